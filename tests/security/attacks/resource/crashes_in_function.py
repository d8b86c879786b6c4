# attack: a graded function that kills its own process on every call
# spoils: compute_cost
# %%
import os
import signal

def compute_cost(AL, Y):
    os.kill(os.getpid(), signal.SIGKILL)
