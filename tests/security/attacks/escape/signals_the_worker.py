# attack: stop, interrupt or kill the worker that runs the notebook
# modes: strong
# refused: shared-user
# %%
import os
import signal
for target in (1, os.getppid(), -1, 0):
    for number in (signal.SIGSTOP, signal.SIGINT, signal.SIGTERM, signal.SIGALRM, signal.SIGUSR1):
        try:
            os.kill(target, number)
        except OSError:
            pass
