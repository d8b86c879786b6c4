# attack: read the worker's memory map, memory, open files and working folder through /proc
# modes: strong
# %%
import os
got = []
for pid in sorted({os.getppid(), 1}):
    for name in ("mem", "maps", "environ", "fd", "cwd", "root", "stack", "auxv", "syscall", "pagemap"):
        path = "/proc/%d/%s" % (pid, name)
        try:
            if os.path.isdir(path):
                os.listdir(path)
            else:
                with open(path, "rb") as handle:
                    handle.read(64)
            got.append("%d/%s" % (pid, name))
        except OSError:
            pass
raise RuntimeError("REPORT got=%s" % ",".join(got))
