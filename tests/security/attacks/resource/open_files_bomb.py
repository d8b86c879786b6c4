# attack: open descriptors until something stops it (at most 5000)
# %%
import os
handles, why = [], "none"
try:
    for _ in range(5000):
        handles.append(os.open(os.devnull, os.O_RDONLY))
except OSError as error:
    why = "errno%d" % error.errno
raise RuntimeError("REPORT fds=%d; why=%s" % (len(handles), why))
