# attack: catch every exception, the grader's timeout included, and carry on sleeping
# %%
import time
while True:
    try:
        time.sleep(100)
    except BaseException:
        pass
