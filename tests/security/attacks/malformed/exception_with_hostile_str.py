# attack: raise exceptions whose str() raises, hangs or returns a non-string, and exit with such a code
# %%
class Raising(Exception):
    def __str__(self):
        raise ValueError("no")

raise Raising()
# %%
class Hanging(Exception):
    def __str__(self):
        while True:
            pass

raise Hanging()
# %%
import sys

class Code:
    def __str__(self):
        while True:
            pass

sys.exit(Code())
