"""Keeping submissions apart outside the child: killing what a child left running, emptying the
scratch folders, and, for a worker that root runs without a sandbox, a private /tmp and a user of
the child's own.

Used by :mod:`.server`; imports only the standard library and :mod:`.runtime`.
"""

import os
import signal
import stat
import sys
import tempfile

from .identity import become_user, worker_uid

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36


def _libc():
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def prctl(option, value):
    try:
        _libc().prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def quietly(function, *args):
    try:
        function(*args)
    except OSError:
        pass


def reap_everything():
    """As PID 1: kill and reap until no process but this one is left in the namespace."""
    while True:
        quietly(os.kill, -1, signal.SIGKILL)
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return
        except InterruptedError:
            continue


def _children():
    """Our direct children (orphans of a child re-parent to us: we are a subreaper)."""
    me = os.getpid()
    try:
        with open("/proc/%d/task/%d/children" % (me, me)) as handle:
            return [int(pid) for pid in handle.read().split()]
    except OSError:
        pass
    found = []
    try:
        names = os.listdir("/proc")
    except OSError:  # macOS: the process group kill is all there is
        return []
    for name in names:
        if name.isdigit():
            try:
                with open("/proc/%s/stat" % name, "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
                if int(fields[1]) == me:
                    found.append(int(name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def kill_descendants():
    """Outside a PID namespace: kill every remaining descendant, including setsid daemons."""
    for _ in range(1000):
        children = _children()
        if not children:
            break
        for pid in children:
            quietly(os.kill, pid, signal.SIGKILL)
        for pid in children:
            quietly(os.waitpid, pid, 0)
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG) == (0, 0):
                break
        except ChildProcessError:
            break


def empty(folder):
    """Delete everything inside ``folder``, whatever permissions the child left on it."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return
    except PermissionError:
        quietly(os.chmod, folder, 0o700)
        names = os.listdir(folder)
    for name in names:
        path = os.path.join(folder, name)
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            continue
        if stat.S_ISDIR(mode):
            quietly(os.chmod, path, 0o700)
            empty(path)
            quietly(os.rmdir, path)
        else:
            quietly(os.unlink, path)


# -- a worker run by root without a sandbox --------------------------------

_CLONE_NEWNS = 0x00020000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18


def _encode(text):
    return text.encode() if text is not None else None


def _mount(libc, source, target, fstype, flags, data=None):
    if libc.mount(_encode(source), _encode(target), _encode(fstype), flags, _encode(data)) != 0:
        import ctypes

        raise OSError(ctypes.get_errno(), "mount %s" % target)


def _blocked_ancestor(path):
    """The outermost folder above ``path`` that other users cannot traverse, or None."""
    parts = os.path.realpath(path).split(os.sep)[1:]
    for depth in range(1, len(parts)):
        ancestor = os.sep + os.sep.join(parts[:depth])
        try:
            if not os.stat(ancestor).st_mode & stat.S_IXOTH:
                return ancestor
        except OSError:
            return None
    return None


SECRET_FOLDERS = ("reference", "assignments", "tools")  #: the solution, the cases and their generators
_DISTRIBUTION = "dnn-step-by-step-grader"


def _package_folders(name):
    """Every folder an import of ``name`` could come from: on ``sys.path`` or named by an import
    hook (an editable install's finder), whichever would win."""
    folders = []
    for entry in sys.path:
        if entry and os.path.isdir(os.path.join(entry, name)):
            folders.append(os.path.join(entry, name))
    for finder in list(sys.meta_path):
        try:
            spec = finder.find_spec(name, None)
        except Exception:  # noqa: BLE001 - a third-party hook; what it cannot say, it cannot expose
            continue
        for location in getattr(spec, "submodule_search_locations", None) or []:
            if os.path.isdir(location):
                folders.append(location)
    return folders


def _editable_checkout():
    """The checkout an editable install of the kit points at (from its ``direct_url.json``), or None."""
    try:
        import json
        from importlib import metadata
        from urllib.parse import unquote, urlparse

        record = json.loads(metadata.distribution(_DISTRIBUTION).read_text("direct_url.json") or "{}")
    except Exception:  # noqa: BLE001 - not installed, or not from a folder
        return None
    url = urlparse(record.get("url", ""))
    return unquote(url.path) if url.scheme == "file" and os.path.isdir(unquote(url.path)) else None


def holds_kit(folder):
    """Does ``folder`` hold the kit's solution or cases (not just packages with the same names)?"""
    return (os.path.isfile(os.path.join(folder, "reference", "dnn.py"))
            or os.path.isdir(os.path.join(folder, "assignments", "dnn_step_by_step")))


def is_checkout(folder):
    """A source tree of the kit (hidden whole: its tests and history hold solutions too)."""
    return (os.path.isfile(os.path.join(folder, "pyproject.toml")) and os.path.isdir(os.path.join(folder, "graders"))
            and holds_kit(folder))


def kit_copies(own_root, extra=()):
    """Where this machine keeps the solution or the cases: ``(checkouts, folders)``.

    A checkout is hidden whole; an installed copy (``reference`` beside NumPy in site-packages) is
    hidden folder by folder. Found from the kit running (``own_root``), the import path, import
    hooks, the install record of an editable install, and ``extra`` (what the grader sees)."""
    places = [own_root] + list(extra)
    checkout = _editable_checkout()
    if checkout:
        places.append(checkout)
    for name in ("reference", "assignments"):
        places += [os.path.dirname(folder) for folder in _package_folders(name)]
    checkouts, folders = set(), set()
    for place in places:
        place = os.path.realpath(place)
        if is_checkout(place):
            checkouts.add(place)
            continue
        if not holds_kit(place):
            continue
        for name in SECRET_FOLDERS:
            if os.path.isdir(os.path.join(place, name)):
                folders.add(os.path.join(place, name))
    return sorted(checkouts), sorted(folders)


def _inside(path, folder):
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _cover(libc, folder, keep, mode="0755"):
    """Mount an empty tmpfs over ``folder``, then bind the paths in ``keep`` (inside it) back, read-only."""
    fds = [(os.open(p, os.O_PATH | os.O_DIRECTORY), p) for p in sorted(set(keep))]
    _mount(libc, "tmpfs", folder, "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=%s,size=1m" % mode)
    for fd, path in fds:
        os.makedirs(path, exist_ok=True)
        _mount(libc, "/proc/self/fd/%d" % fd, path, None, _MS_BIND | _MS_REC)
        _mount(libc, None, path, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY)
        os.close(fd)
    _mount(libc, None, folder, None, _MS_REMOUNT | _MS_NOSUID | _MS_NODEV | _MS_RDONLY)


class IsolationFailed(Exception):
    """The worker has a mount namespace of its own but could not hide the kit in it: no student
    code may run (the grader is told why)."""


def private_mounts(kit_root, disk_mb, needed, extra=()):
    """In a mount namespace of the worker's own: a private size-capped /tmp, every copy of the
    kit's solution and cases hidden (see :func:`kit_copies`), and the folders in ``needed`` (the
    Python install) reachable by the unprivileged child even when they sit under a private folder
    such as /root or inside a hidden checkout (a virtual environment in it).

    Raises OSError when there can be no namespace here (nothing changed yet), and
    :class:`IsolationFailed` when a step after that fails."""
    libc = _libc()
    if libc.unshare(_CLONE_NEWNS) != 0:
        raise OSError("unshare")
    try:
        _mount(libc, None, "/", None, _MS_REC | _MS_PRIVATE)
        _hide_kit_copies(libc, kit_root, needed, extra)
        size = "mode=1777,size=%dm" % max(int(disk_mb), 1)
        _mount(libc, "tmpfs", "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, size)
        for shared in ("/var/tmp", "/dev/shm"):
            if os.path.isdir(shared):
                _mount(libc, "tmpfs", shared, "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_RDONLY, "mode=0755,size=4k")
    except (OSError, ValueError) as error:
        raise IsolationFailed("the kit's solution and cases could not be hidden from student code (%s)"
                              % (error,)) from None


def _hide_kit_copies(libc, kit_root, needed, extra):
    kit_root = os.path.realpath(kit_root)
    own_code = os.path.join(kit_root, "graders")
    checkouts, folders = kit_copies(kit_root, extra)
    needed = [os.path.realpath(p) for p in needed if os.path.isdir(p)]
    covered = []
    for checkout in sorted(checkouts, key=len):  # outer first; one inside a covered checkout is hidden with it
        if any(_inside(checkout, outer) for outer in covered):
            continue
        keep = [p for p in needed + [own_code] if _inside(p, checkout) and p != checkout
                and not any(_inside(p, os.path.join(checkout, name)) for name in SECRET_FOLDERS + ("tests", ".git"))]
        _cover(libc, checkout, keep)
        covered.append(checkout)
    for folder in folders:
        if os.path.isdir(folder):  # (gone when a covered checkout held it)
            _mount(libc, "tmpfs", folder, "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_RDONLY, "mode=0000,size=4k")
    blocked = {}
    for path in needed + [own_code]:
        ancestor = _blocked_ancestor(path)
        if ancestor and os.path.isdir(path):
            blocked.setdefault(ancestor, []).append(os.path.realpath(path))
    for ancestor, paths in blocked.items():
        _cover(libc, ancestor, paths)


def _can_become(uid):
    """Can a child of ours switch to ``uid``? (Not, for example, in a container without CAP_SETUID.)"""
    pid = os.fork()
    if pid == 0:
        try:
            become_user(uid)
            os._exit(0)
        except BaseException:  # noqa: BLE001
            os._exit(1)
    return os.waitpid(pid, 0)[1] == 0


def isolate_unsandboxed(disk_mb, extra=()):
    """Worker run by root without a sandbox: a private /tmp, the kit's secrets hidden, and a user of
    the child's own, when this machine allows them; returns the scratch folders and that user (or
    None). ``extra``: copies of the kit the grader knows of (see :func:`kit_copies`). Raises
    :class:`IsolationFailed` when hiding was possible here but failed."""
    kit_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    needed = [p for p in sys.path if p and os.path.isdir(p) and os.path.realpath(p) != kit_root]
    needed += [sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable))]
    user = worker_uid(os.getpid())
    try:
        private_mounts(kit_root, disk_mb, needed, extra)  # IsolationFailed goes up: nothing may run
        scratch = ["/tmp"]
    except (OSError, AttributeError):  # no mount namespace here (an unprivileged container, macOS)
        scratch = [private_folder()]
        if any(_blocked_ancestor(path) for path in needed):
            user = None  # the child could not even import the standard library as another user
    if user is not None and not _can_become(user):
        user = None
    return scratch, user


def private_folder():
    private = tempfile.mkdtemp(prefix="dnngrade-")
    os.chmod(private, 0o711)  # the child's own user must reach its working folder inside
    return private
