# attack: fork as many sleeping processes as possible (stops itself after 40, so CI is safe anyway)
# %%
import ctypes
import os
import time

forks, why = 0, "none"
for _ in range(40):
    try:
        pid = os.fork()
    except OSError as error:
        why = type(error).__name__
        break
    if pid == 0:
        ctypes.CDLL(None).prctl(15, b"dnnattack", 0, 0, 0)
        time.sleep(60)
        os._exit(0)
    forks += 1
raise RuntimeError("REPORT forks=%d; why=%s" % (forks, why))
