# attack: create user, mount and network namespaces (the first step of most container escapes)
# modes: bwrap
# %%
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
made = []
for name, flag in (("user", 0x10000000), ("mount", 0x00020000), ("net", 0x40000000), ("pid", 0x20000000)):
    if libc.unshare(flag) == 0:
        made.append(name)
if libc.mount(b"none", b"/tmp", b"tmpfs", 0, None) == 0:
    made.append("mounted")
raise RuntimeError("REPORT made=%s" % ",".join(made))
