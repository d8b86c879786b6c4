# attack: double-fork a session leader that sleeps, hoping it outlives the notebook
# %%
import ctypes
import os
import time

pid = os.fork()
if pid == 0:
    os.setsid()
    if os.fork() == 0:
        ctypes.CDLL(None).prctl(15, b"dnnattack", 0, 0, 0)
        time.sleep(120)
    os._exit(0)
os.waitpid(pid, 0)
