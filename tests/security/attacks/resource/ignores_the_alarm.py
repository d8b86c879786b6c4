# attack: turn off the per-step alarm, then spin: only the worker's hard kill can stop it
# %%
import signal
signal.signal(signal.SIGALRM, signal.SIG_IGN)
signal.setitimer(signal.ITIMER_REAL, 0)
while True:
    pass
