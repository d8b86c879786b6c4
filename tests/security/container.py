"""Run a command as root in a Docker-like container: no namespaces, Docker's default capabilities.

``python -m tests.security.container [--open-folder DIR]... [--cover DIR]... -- COMMAND...``

What Gradescope's containers look like to the kit, reproduced without a container engine:

- a seccomp filter makes ``unshare``, ``setns`` and ``clone`` with any namespace flag fail with
  EPERM, and ``clone3`` with ENOSYS (as Docker's default profile does), so neither bubblewrap nor
  the worker's own mount namespace can start;
- the capability bounding set is Docker's default (``setpriv``): no CAP_SYS_ADMIN, so no mount;
- before that, in a mount namespace of this command's own (the only one it makes): each
  ``--open-folder`` (a folder other users cannot enter, such as ``/root`` holding the test's
  Python) is made enterable by others, its content bound back as it is, and each ``--cover``
  folder is covered by an empty one (the developer's checkout, which a real container does not
  have). Nothing outside this command sees either change.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import platform
import shutil
import struct
import sys

#: Docker's default capabilities (moby's defaults): what root keeps in such a container
DOCKER_CAPABILITIES = ("chown", "dac_override", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap",
                       "net_bind_service", "net_raw", "sys_chroot", "mknod", "audit_write", "setfcap")
_SYSCALLS = {  # unshare, setns, clone, clone3
    "x86_64": (0xC000003E, 272, 308, 56, 435),
    "aarch64": (0xC00000B7, 97, 268, 220, 435),
}
_NAMESPACE_FLAGS = 0x7E020000  # CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET
_EPERM, _ENOSYS = 1, 38
_RET_ALLOW, _RET_ERRNO = 0x7FFF0000, 0x00050000
_LD_W_ABS, _JEQ_K, _JSET_K, _RET_K = 0x20, 0x15, 0x45, 0x06
_CLONE_NEWNS, _MS_BIND, _MS_REC, _MS_PRIVATE, _MS_RDONLY, _MS_REMOUNT = 0x20000, 4096, 16384, 1 << 18, 1, 32


def supported() -> str | None:
    """Why the container cannot be reproduced here, or None."""
    if not sys.platform.startswith("linux"):
        return "not Linux"
    if os.geteuid() != 0:
        return "needs root (a container's root user)"
    if platform.machine() not in _SYSCALLS:
        return "no seccomp filter for %s" % platform.machine()
    if shutil.which("setpriv") is None:
        return "setpriv (util-linux) is not installed"
    return None


def _filter() -> bytes:
    arch, unshare, setns, clone, clone3 = _SYSCALLS[platform.machine()]

    def op(code, k, jt=0, jf=0):
        return struct.pack("=HBBI", code, jt, jf, k)

    program = [
        op(_LD_W_ABS, 4),  # seccomp_data.arch
        op(_JEQ_K, arch, 1, 0),
        op(_RET_K, _RET_ALLOW),
        op(_LD_W_ABS, 0),  # seccomp_data.nr
        op(_JEQ_K, unshare, 5, 0),
        op(_JEQ_K, setns, 4, 0),
        op(_JEQ_K, clone3, 5, 0),
        op(_JEQ_K, clone, 0, 5),
        op(_LD_W_ABS, 16),  # the low word of clone's flags
        op(_JSET_K, _NAMESPACE_FLAGS, 0, 3),
        op(_RET_K, _RET_ERRNO | _EPERM),
        op(_RET_K, _RET_ALLOW),
        op(_RET_K, _RET_ERRNO | _ENOSYS),
        op(_RET_K, _RET_ALLOW),
    ]
    return b"".join(program)


def _install_filter(libc) -> None:
    code = _filter()
    buffer = ctypes.create_string_buffer(code, len(code))

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    program = Program(len(code) // 8, ctypes.addressof(buffer))
    if libc.prctl(22, 2, ctypes.byref(program), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        raise OSError(ctypes.get_errno(), "seccomp")


def _mount(libc, source, target, fstype, flags, data=None) -> None:
    encode = lambda text: text.encode() if text is not None else None  # noqa: E731
    if libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)) != 0:
        raise OSError(ctypes.get_errno(), "mount %s" % target)


def _open_folder(libc, folder: str) -> None:
    """Make ``folder`` enterable by other users: an empty tmpfs (mode 0711) over it, with each of
    its entries bound back."""
    names = sorted(os.listdir(folder))
    fds = {name: os.open(os.path.join(folder, name), os.O_PATH | os.O_NOFOLLOW) for name in names}
    _mount(libc, "tmpfs", folder, "tmpfs", 0, "mode=0711,size=1m")
    for name, fd in fds.items():
        path = os.path.join(folder, name)
        if os.path.isdir("/proc/self/fd/%d" % fd):
            os.mkdir(path)
        else:
            open(path, "w").close()
        try:
            _mount(libc, "/proc/self/fd/%d" % fd, path, None, _MS_BIND | _MS_REC)
        except OSError:
            pass  # (a symbolic link or a socket: the test's Python needs neither)
        os.close(fd)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open-folder", action="append", default=[])
    parser.add_argument("--cover", action="append", default=[])
    parser.add_argument("command", nargs="+")
    options = parser.parse_args(argv)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare")
    _mount(libc, None, "/", None, _MS_REC | _MS_PRIVATE)
    for folder in options.open_folder:
        _open_folder(libc, folder)
    for folder in options.cover:
        _mount(libc, "tmpfs", folder, "tmpfs", _MS_RDONLY, "mode=0755,size=4k")
    _install_filter(libc)
    bounding = "-all," + ",".join("+" + name for name in DOCKER_CAPABILITIES)
    setpriv = shutil.which("setpriv") or "setpriv"
    os.execv(setpriv, [setpriv, "--bounding-set", bounding, "--"] + options.command)
    return 127


if __name__ == "__main__":
    sys.exit(main())
