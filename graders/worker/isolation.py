"""Keeping submissions apart outside the child: killing what a child left running, emptying the
scratch folders, and, for a worker that root runs without a sandbox, a private /tmp and a user of
the child's own.

Used by :mod:`.server`; imports only the standard library and :mod:`.runtime`.
"""

import itertools
import os
import signal
import stat
import sys
import tempfile

from .identity import become_user, worker_uid

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36


_LIBC: list = []  #: the C library, opened once per process (a zygote's children inherit it)


def _libc():
    if not _LIBC:
        import ctypes

        _LIBC.append(ctypes.CDLL(None, use_errno=True))
    return _LIBC[0]


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


def _processes():
    """Every process this one can see in /proc (in a PID namespace: the namespace's own)."""
    try:
        return [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return []


def kill_all_except(keep=()):
    """As PID 1: kill and reap every process in the namespace but this one and those in ``keep``."""
    me = os.getpid()
    for _ in range(1000):
        others = [pid for pid in _processes() if pid != me and pid not in keep]
        if not others:
            break
        for pid in others:
            quietly(os.kill, pid, signal.SIGKILL)
        for pid in others:
            try:
                os.waitpid(pid, 0)
            except (ChildProcessError, InterruptedError):
                pass  # not ours (yet): its parent dies first, then it comes to us
    _reap_zombies(keep)


def _reap_zombies(keep):
    for _ in range(10000):
        try:
            pid = os.waitpid(-1, os.WNOHANG)[0]
        except ChildProcessError:
            return
        if pid == 0:
            return


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


def kill_descendants(keep=()):
    """Outside a PID namespace: kill every remaining descendant but those in ``keep``, including
    setsid daemons (orphans re-parent to us: we are a subreaper)."""
    for _ in range(1000):
        children = [pid for pid in _children() if pid not in keep]
        if not children:
            break
        for pid in children:
            quietly(os.kill, pid, signal.SIGKILL)
        for pid in children:
            quietly(os.waitpid, pid, 0)
    _reap_zombies(keep)


# -- what a child may leave outside its folders ------------------------------------------------

_IPC = {"shm": ("shmid", "shmctl"), "msg": ("msqid", "msgctl"), "sem": ("semid", "semctl")}
_IPC_RMID = 0
#: world-writable folders a child could leave files in for the next one (swept where not covered)
SHARED_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock", "/dev/mqueue")


def ipc_objects():
    """The System V IPC objects this process can see: ``{(kind, id): creator uid}``."""
    found = {}
    for kind, (id_column, _) in _IPC.items():
        try:
            with open("/proc/sysvipc/%s" % kind) as table:
                lines = table.read().splitlines()
        except OSError:
            continue
        if not lines:
            continue
        columns = lines[0].split()
        try:
            id_at, cuid_at = columns.index(id_column), columns.index("cuid")
        except ValueError:
            continue
        for line in lines[1:]:
            fields = line.split()
            try:
                found[(kind, int(fields[id_at]))] = int(fields[cuid_at])
            except (IndexError, ValueError):
                continue
    return found


def remove_ipc_objects(uid, before):
    """Remove every System V shared memory segment, message queue and semaphore set that ``uid``
    created since ``before`` (an :func:`ipc_objects` snapshot): no memory held outside the child's
    cap, no message left for the next notebook.

    A worker of another user removes them as ``uid`` (a forked helper): their creator may always
    remove them, root without CAP_IPC_OWNER (a container's) may not."""
    targets = [(kind, number) for (kind, number), creator in ipc_objects().items()
               if creator == uid and (kind, number) not in before]
    if not targets:
        return
    if os.getuid() == uid:
        _remove_ipc(targets)
        return
    pid = os.fork()
    if pid == 0:
        try:
            become_user(uid)
            _remove_ipc(targets)
        finally:
            os._exit(0)
    quietly(os.waitpid, pid, 0)


def _remove_ipc(targets):
    libc = _libc()
    for kind, number in targets:
        function = getattr(libc, _IPC[kind][1], None)
        if function is not None:
            if kind == "sem":
                function(number, 0, _IPC_RMID)
            else:
                function(number, _IPC_RMID, None)


_KEYCTL = {"x86_64": 250, "aarch64": 219, "armv7l": 311, "ppc64le": 289, "s390x": 280}
_KEYCTL_CLEAR, _USER_KEYRING, _USER_SESSION_KEYRING = 7, -4, -5


def clear_user_keyrings():
    """Empty this user's keyrings (keys a child added there would wait for the next notebook).
    Only for a user that belongs to this worker alone."""
    import platform

    number = _KEYCTL.get(platform.machine())
    if number is None or not sys.platform.startswith("linux"):
        return
    libc = _libc()
    for keyring in (_USER_KEYRING, _USER_SESSION_KEYRING):
        libc.syscall(number, _KEYCTL_CLEAR, keyring)


def sweep_shared_folders(uid, folders=SHARED_FOLDERS):
    """Delete what ``uid`` (a user of the child's own) owns at the top of the shared ``folders``."""
    for folder in folders:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            path = os.path.join(folder, name)
            try:
                info = os.lstat(path)
            except OSError:
                continue
            if info.st_uid != uid:
                continue
            if stat.S_ISDIR(info.st_mode):
                empty(path)
                quietly(os.rmdir, path)
            else:
                quietly(os.unlink, path)


_FLAT_DEPTH = 32  #: folders deeper than this are moved to the top for the next pass of empty()
_OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
_MOVED = itertools.count()


def empty(folder):
    """Delete everything inside ``folder``, whatever permissions the child left on it.

    Iterative, on descriptors: no recursion and no long paths, however deep the child nested its
    folders (deeper ones are moved up to ``folder`` and emptied in a later pass). Run only after
    every process of the child is dead, so nothing changes under it."""
    try:
        top = os.open(folder, _OPEN_DIR)
    except FileNotFoundError:
        return
    except PermissionError:
        quietly(os.chmod, folder, 0o700)
        top = os.open(folder, _OPEN_DIR)
    try:
        device = os.fstat(top).st_dev
        for _ in range(100000):
            if not _empty_pass(top, device):
                return
    finally:
        os.close(top)


def _names(fd):
    try:
        return os.listdir(fd)
    except PermissionError:
        quietly(os.fchmod, fd, 0o700)
        try:
            return os.listdir(fd)
        except OSError:
            return []
    except OSError:
        return []


def _empty_pass(top, device):
    """Delete what can be reached within ``_FLAT_DEPTH``; True when deeper folders were moved up.
    Never crosses into another file system (``device`` is the folder's own): what is mounted
    inside, such as a Python install bound into the sandbox's /tmp, is not the child's to delete,
    and walking it would cost thousands of failed unlinks per child."""
    moved = False
    frames = [(top, None, _names(top))]  # (descriptor, name in its parent, names left to delete)
    while frames:
        fd, own_name, pending = frames[-1]
        if not pending:
            frames.pop()
            if frames:
                os.close(fd)
                try:
                    os.rmdir(own_name, dir_fd=frames[-1][0])
                except OSError:
                    pass
            continue
        name = pending.pop()
        try:
            info = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except OSError:
            continue
        if info.st_dev != device:
            continue  # a mount point
        if not stat.S_ISDIR(info.st_mode):
            try:
                os.unlink(name, dir_fd=fd)
            except OSError:
                pass
            continue
        if len(frames) > _FLAT_DEPTH:
            try:
                os.rename(name, ".flat-%d-%d" % (os.getpid(), next(_MOVED)), src_dir_fd=fd, dst_dir_fd=top)
                moved = True
            except OSError:
                pass
            continue
        try:
            child = os.open(name, _OPEN_DIR, dir_fd=fd)
        except PermissionError:
            try:
                os.chmod(name, 0o700, dir_fd=fd)
                child = os.open(name, _OPEN_DIR, dir_fd=fd)
            except OSError:
                continue
        except OSError:
            continue
        frames.append((child, name, _names(child)))
    return moved


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
    for name in SECRET_FOLDERS[:2]:
        inside = os.path.join(folder, name)
        try:
            entries = os.listdir(inside) if os.path.isdir(inside) else []
        except OSError:
            entries = []
        if name == "reference" and any(entry.endswith(".py") and entry != "__init__.py" for entry in entries):
            return True
        if name == "assignments" and any(os.path.isfile(os.path.join(inside, entry, "assignment.toml"))
                                         for entry in entries):
            return True
    return False


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
    """Mount an empty tmpfs over ``folder``, then bind the paths in ``keep`` (inside it: folders
    or files) back, read-only."""
    fds = [(os.open(p, os.O_PATH), p) for p in sorted(set(keep))]
    _mount(libc, "tmpfs", folder, "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=%s,size=1m" % mode)
    for fd, path in fds:
        _bind_back(libc, fd, path)
        os.close(fd)
    _mount(libc, None, folder, None, _MS_REMOUNT | _MS_NOSUID | _MS_NODEV | _MS_RDONLY)


def _bind_back(libc, fd, path):
    """Bind what ``fd`` (an O_PATH descriptor, folder or file) opened at ``path``, read-only."""
    if os.path.isdir("/proc/self/fd/%d" % fd):
        os.makedirs(path, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "a").close()
    _mount(libc, "/proc/self/fd/%d" % fd, path, None, _MS_BIND | _MS_REC)
    _mount(libc, None, path, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY)


class IsolationFailed(Exception):
    """The worker has a mount namespace of its own but could not hide the kit in it: no student
    code may run (the grader is told why)."""


def private_mounts(kit_root, disk_mb, needed, extra=(), hide=()):
    """In a mount namespace of the worker's own: a private size-capped /tmp, every copy of the
    kit's solution and cases hidden (see :func:`kit_copies`), and the folders in ``needed`` (the
    Python install) reachable by the unprivileged child even when they sit under a private folder
    such as /root or inside a hidden checkout (a virtual environment in it).

    Raises OSError when there can be no namespace here (nothing changed yet), and
    :class:`IsolationFailed` when a step after that fails."""
    libc = _libc()
    if libc.unshare(_CLONE_NEWNS) != 0:
        raise OSError("unshare")
    kept = []
    try:
        _mount(libc, None, "/", None, _MS_REC | _MS_PRIVATE)
        # what Python or the worker's own code needs under /tmp (a virtual environment there), as
        # it is now, before anything is covered: bound back into the private /tmp, read-only
        own_code = _worker_part(os.path.join(os.path.realpath(kit_root), "graders"))
        in_tmp = [os.path.realpath(p) for p in list(needed) if os.path.isdir(p)] + own_code
        for path in outermost(p for p in in_tmp if _inside(p, "/tmp") and p != "/tmp"):
            kept.append((os.open(path, os.O_PATH), path))
        _hide_kit_copies(libc, kit_root, needed, extra)
        _hide_folders(libc, kit_root, needed, hide)
        size = "mode=1777,size=%dm" % max(int(disk_mb), 1)
        _mount(libc, "tmpfs", "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, size)
        for fd, path in kept:
            _bind_back(libc, fd, path)
        for shared in SHARED_FOLDERS[1:]:
            if os.path.isdir(shared) and not os.path.islink(shared):
                _mount(libc, "tmpfs", shared, "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_RDONLY, "mode=0755,size=4k")
    except (OSError, ValueError) as error:
        raise IsolationFailed("the kit's solution and cases could not be hidden from student code (%s)"
                              % (error,)) from None
    finally:
        for fd, _ in kept:
            quietly(os.close, fd)


def outermost(paths):
    """``paths`` without those inside another of them, shortest first."""
    outer = []
    for path in sorted(set(paths), key=len):
        if not any(_inside(path, kept) for kept in outer):
            outer.append(path)
    return outer


def _hide_folders(libc, kit_root, needed, hide):
    """Cover each folder in ``hide`` whole (but what Python or the worker's own code needs in it)."""
    own_code = os.path.join(os.path.realpath(kit_root), "graders")
    needed = [os.path.realpath(p) for p in needed if os.path.isdir(p)] + [own_code]
    for folder in sorted({os.path.realpath(p) for p in hide if os.path.isdir(p)}, key=len):
        keep = [p for p in needed if _inside(p, folder) and p != folder]
        if keep:
            _cover(libc, folder, keep)
        else:
            _mount(libc, "tmpfs", folder, "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_RDONLY, "mode=0000,size=4k")


def _hide_kit_copies(libc, kit_root, needed, extra):
    kit_root = os.path.realpath(kit_root)
    own_code = os.path.join(kit_root, "graders")
    checkouts, folders = kit_copies(kit_root, extra)
    needed = [os.path.realpath(p) for p in needed if os.path.isdir(p)]
    covered = []
    for checkout in sorted(checkouts, key=len):  # outer first; one inside a covered checkout is hidden with it
        if any(_inside(checkout, outer) for outer in covered):
            continue
        keep = [p for p in needed + _worker_part(own_code) if _inside(p, checkout) and p != checkout
                and not any(_inside(p, os.path.join(checkout, name)) for name in SECRET_FOLDERS + ("tests", ".git"))]
        _cover(libc, checkout, keep)
        covered.append(checkout)
    for folder in folders:
        if os.path.isdir(folder):  # (gone when a covered checkout held it)
            _mount(libc, "tmpfs", folder, "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_RDONLY, "mode=0000,size=4k")
    for package in _installed_graders(folders):
        # the grader's own modules beside them (its case loader, its scoring): only the worker's
        # part stays, as in the sandbox
        _cover(libc, package, _worker_part(package))
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


MSG_ROOT_ONLY = ("student code would have to run as root here, which the kit never does: %s. Install Python "
                 "where every user can read it (the system python3, /usr/local, or a virtual environment "
                 "under /opt or /srv), or allow user namespaces so that bubblewrap can run")
MSG_NOT_HIDDEN = "the sandbox could not hide the solution from student code: %s"


def isolate_unsandboxed(disk_mb, extra=(), hide=()):
    """Worker run by root without a sandbox: a private /tmp, the kit's secrets hidden, and a user of
    the child's own; returns the scratch folders, that user and the shared folders to sweep of
    that user's files after each child (where they could not be covered). ``extra``: copies of the kit the
    grader knows of (see :func:`kit_copies`); ``hide``: folders to hide whole (the Gradescope
    ``source`` folder). Raises :class:`IsolationFailed` when student code could read a secret or
    would run as root: then no student code may run.

    Where the worker can have a mount namespace, the secrets are covered by empty mounts. Where it
    cannot (a container without the capability, as on Gradescope), their group and other
    permissions are taken off, for good, which leaves the owner's access alone; a probe forked as
    the child's user then checks that it can read none of them and can still read Python."""
    kit_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    needed = [p for p in sys.path if p and os.path.isdir(p) and os.path.realpath(p) != kit_root]
    needed += [sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable))]
    user = worker_uid(os.getpid())
    try:
        private_mounts(kit_root, disk_mb, needed, extra, hide)  # IsolationFailed goes up
        scratch = ["/tmp"]
    except (OSError, AttributeError):  # no mount namespace here (a container, macOS)
        blocked = sorted({_blocked_ancestor(path) for path in needed} - {None})
        if blocked:
            raise IsolationFailed(MSG_ROOT_ONLY % ("Python sits under %s, which other users cannot enter"
                                                   % ", ".join(blocked))) from None
        scratch = [private_folder()]
        secrets = hide_by_permissions(kit_root, extra, hide, needed)
        why = _probe_as(user, secrets, needed)
        if why:
            raise IsolationFailed(why) from None
        return scratch, user, SHARED_FOLDERS
    if not _can_become(user):
        raise IsolationFailed(MSG_ROOT_ONLY % "this process may not switch to another user (no CAP_SETUID)")
    return scratch, user, ()


def _installed_graders(folders):
    """The ``graders`` package installed beside the secret ``folders`` (a site-packages install)."""
    places = sorted({os.path.dirname(folder) for folder in folders})
    return [os.path.join(place, "graders") for place in places if os.path.isdir(os.path.join(place, "graders"))]


_WORKER_PART = ("__init__.py", "portable", "worker")  #: what student code's process needs of ``graders``


def _worker_part(package):
    return [os.path.join(package, name) for name in _WORKER_PART if os.path.lexists(os.path.join(package, name))]


def hide_by_permissions(kit_root, extra, hide, needed):
    """Take group and other permissions off every copy of the solution and cases (a checkout: all
    of it but the worker's own code and folders Python needs; an installed copy: its secret
    folders) and off the folders in ``hide``; return what must now be unreadable."""
    checkouts, folders = kit_copies(os.path.realpath(kit_root), extra)
    needed = [os.path.realpath(p) for p in needed if os.path.isdir(p)]
    secrets = set(folders) | {os.path.realpath(p) for p in hide if os.path.lexists(p)}
    for checkout in checkouts:
        for name in sorted(os.listdir(checkout)):
            path = os.path.join(checkout, name)
            if name == "graders" or any(_inside(p, path) for p in needed):
                continue  # (a virtual environment inside the checkout stays readable)
            secrets.add(path)
    for package in _installed_graders(folders) + [os.path.join(c, "graders") for c in checkouts]:
        for name in sorted(os.listdir(package)) if os.path.isdir(package) else []:
            if name not in _WORKER_PART:
                secrets.add(os.path.join(package, name))
    for path in sorted(secrets):
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            continue
        if not stat.S_ISLNK(mode):
            quietly(os.chmod, path, stat.S_IMODE(mode) & 0o700)
    return sorted(secrets)


def _probe_as(uid, secrets, needed):
    """Fork a probe as ``uid``: why student code could read a secret or not Python, or None."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_fd)
            become_user(uid)
            why = ""
            for path in secrets:
                try:
                    if os.path.isdir(path):
                        os.listdir(path)
                    else:
                        os.close(os.open(path, os.O_RDONLY))
                except PermissionError:
                    continue
                except OSError:
                    continue  # gone, or not a file one can open: nothing to read
                why = MSG_NOT_HIDDEN % ("%s stays readable to other users" % path)
                break
            if not why:
                for path in needed:
                    try:
                        os.listdir(path)
                    except OSError:
                        why = MSG_ROOT_ONLY % ("another user cannot read %s" % path)
                        break
            os.write(write_fd, why.encode("utf-8", "replace")[:2000])
            os._exit(0)
        except BaseException:  # noqa: BLE001
            os._exit(1)
    os.close(write_fd)
    chunks = []
    while True:
        chunk = os.read(read_fd, 4096)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_fd)
    status = os.waitpid(pid, 0)[1]
    if status != 0:
        return MSG_ROOT_ONLY % "this process may not switch to another user (no CAP_SETUID)"
    return b"".join(chunks).decode("utf-8", "replace") or None


def private_folder():
    private = tempfile.mkdtemp(prefix="dnngrade-")
    os.chmod(private, 0o711)  # the child's own user must reach its working folder inside
    return private
