"""How the worker process is started: inside a bubblewrap sandbox when possible, else a plain
process with resource limits.

``worker_launch(mode)`` returns a :class:`Launch`: how to start the worker and what the report
says about isolation. In the sandbox the worker sees the system folders and the Python install
read-only, plus ``graders/portable``, ``graders/worker`` and the assignment's helpers file: never the
reference, the cases, the gradebook or other submissions. It has no network, a private size-capped
``/tmp``, its own PID namespace (the worker is PID 1, so everything started inside dies with it)
and a clean environment, and runs as the unprivileged user 65534.

Identity, and why: the kernel ignores RLIMIT_NPROC for the host's root user, so student code must
never run as host root, even inside a user namespace.

- grader not root: bubblewrap maps the sandbox user to the grader's own user, in a new user
  namespace; since Linux 5.14 RLIMIT_NPROC counts tasks per user namespace, so the process cap
  applies to this sandbox alone.
- grader is root: a helper creates the user namespace first, mapping sandbox user 65534 to a host
  user id of this worker's own (no account uses it), and bubblewrap joins it (``--userns``). Host
  root appears as uid 1 in it, so bubblewrap can still read a Python installed under a private
  folder such as ``/root`` while it sets up; nothing in the sandbox ever runs as that uid.
- no sandbox (``process``), grader is root: the worker gives itself a private mount namespace and
  forks each child as a user id of its own (see ``graders.worker.isolation``).

cgroups are not used: their layout (v1, v2, delegated or read-only in containers) varies too much
between machines for a default; rlimits plus a capped tmpfs bound every resource per worker.
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import itertools
import os
import select
import shutil
import site
import subprocess
import sys
import sysconfig
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from graders.worker.identity import worker_uid
from graders.worker.isolation import kit_copies, outermost

KIT_ROOT = Path(__file__).resolve().parent.parent.parent
SANDBOX_KIT = "/opt/dnnkit"
SANDBOX_HELPERS = SANDBOX_KIT + "/pack_helpers.py"  #: where the pack's helpers file is mounted
SANDBOX_UID = 65534  #: the user student code runs as inside the sandbox (``nobody``)
ROOT_ALIAS = 1  #: how host root appears inside a namespace made by :func:`new_user_namespace`
KIT_PACKAGES = ("graders", "reference", "tools", "assignments")
DEFAULT_DISK_MB = 64
MODES = ("auto", "bwrap", "process")
MSG_FALLBACK = (
    "strong sandbox off ({reason}): student code runs in a separate process with resource limits, "
    "but it can read files this machine lets any user read, and reach the network. Install "
    "bubblewrap (apt-get install bubblewrap) to turn it on."
)
MSG_NPROC_OFF = (
    "sandbox on, but student code runs in it as this machine's root user, without privileges (a "
    "user of its own could not be set up: {reason}), so the cap on the number of processes is off."
)
_SYSTEM_DIRS = ("/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/etc/alternatives",
                "/etc/ld.so.cache", "/etc/localtime")
_CLONE_NEWUSER = 0x10000000
# Creates the namespace, waits for the grader to write its id maps, then forbids user namespaces
# nested in it (what bubblewrap's --disable-userns does, which --userns does not allow).
_USERNS_HELPER = (
    "import ctypes, os\n"
    "if ctypes.CDLL(None, use_errno=True).unshare(%d) != 0:\n"
    "    raise SystemExit(1)\n"
    "os.write(1, b'+')\n"
    "os.read(0, 1)\n"
    "try:\n"
    "    with open('/proc/sys/user/max_user_namespaces', 'w') as limit:\n"
    "        limit.write('0')\n"
    "    os.write(1, b'+')\n"
    "except OSError:\n"
    "    os.write(1, b'-')\n"
    "os.read(0, 1)\n" % _CLONE_NEWUSER
)
# The worker runs as `python -s -P` with the whitelisted environment of _base_env(), not `-I`:
# `-I` would also ignore PYTHONHASHSEED, and a random hash seed per worker makes code that
# depends on the order of a set of strings grade differently from one run to the next. The boot
# snippet still puts the kit on sys.path itself.
WORKER_FLAGS = ("-s", "-P") if sys.version_info >= (3, 11) else ("-s",)  # -P: no cwd on sys.path
_BOOT = (
    "import os, sys; sys.path.insert(0, os.environ['PYTHONPATH']); "
    "from graders.worker.server import main; sys.exit(main(sys.argv[1:]))"
)


@dataclass(frozen=True)
class Launch:
    """A ready-to-run worker command."""

    argv: list[str]
    env: dict[str, str]
    mode: str  #: "bwrap" or "process"
    note: str  #: what the report says about isolation ("" when the strong sandbox is fully on)
    cwd: str | None = None
    userns: bool = False  #: join a fresh user namespace made at each start (grader is root)
    identity: str = ""  #: bwrap: "own" (a host user id of its own) or "mapped" (the grader's user)
    binds_at: int = 0  #: bwrap: where more mounts go in ``argv`` (before the root is made read-only)

    def with_helpers(self, helpers) -> Launch:
        """This launch, giving the worker an assignment pack's helpers (a
        :class:`graders.assignment.WorkerHelpers`): the helpers file (mounted alone, read-only, in
        the sandbox), the module names students import it under and the modules to stand in for."""
        if helpers is None:
            return self
        argv = list(self.argv)
        path = str(helpers.file)
        if path:  # a pack without a helpers file gets only its stand-ins
            if self.mode == "bwrap":
                argv[self.binds_at:self.binds_at] = ["--ro-bind", path, SANDBOX_HELPERS]
                path = SANDBOX_HELPERS
            argv += ["--helpers", path]
        for name in helpers.modules:
            argv += ["--helper-module", name]
        for name in helpers.standins:
            argv += ["--standin", name]
        return replace(self, argv=argv)

    def spawn(self, **popen_options) -> subprocess.Popen:
        """Start the worker (``popen_options`` go to :class:`subprocess.Popen`)."""
        argv, fds = list(self.argv), []
        try:
            if self.userns:
                fds.append(new_user_namespace())
                argv[1:1] = ["--userns", str(fds[0])]
            if _dies_with_this_thread():
                popen_options.setdefault("preexec_fn", functools.partial(_die_with_parent, os.getpid()))
            return subprocess.Popen(argv, env=dict(self.env), cwd=self.cwd, pass_fds=tuple(fds),
                                    close_fds=True, **popen_options)
        finally:
            for fd in fds:
                os.close(fd)


def _dies_with_this_thread() -> bool:
    """Can the worker be tied to this process's life? On Linux, from the main thread only: the
    kernel's parent-death signal fires when the *thread* that started the child ends, and a Dask
    worker grades in threads that come and go."""
    return sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread()


def _die_with_parent(parent: int) -> None:
    """In the forked child, before exec: die at once when the grader (``parent``) dies, even by
    SIGKILL (the worker inside the sandbox dies with bubblewrap, and everything in it with it)."""
    import ctypes

    ctypes.CDLL(None).prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL
    if os.getppid() != parent:  # the grader died before that took effect
        os._exit(1)


def _base_env() -> dict[str, str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
    }
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def process_launch(reason: str, disk_mb: int = DEFAULT_DISK_MB) -> Launch:
    """The fallback: a plain child process with a clean environment. When the grader is root,
    student code runs as a user id of the worker's own, with a private /tmp of ``disk_mb``."""
    env = _base_env()
    env["PYTHONPATH"] = str(KIT_ROOT)
    argv = [sys.executable, *WORKER_FLAGS, "-c", _BOOT]
    if os.geteuid() == 0:
        argv += ["--own-user", "--disk-mb", str(int(disk_mb))]
        checkouts, folders = kit_copies(str(KIT_ROOT), sorted(_site_dirs()))
        for place in checkouts + [os.path.dirname(folder) for folder in folders]:
            argv += ["--kit-copy", place]
        for folder in hidden_folders():
            argv += ["--hide", folder]
    return Launch(argv, env, "process", MSG_FALLBACK.format(reason=reason), cwd="/")


HIDE_VARIABLE = "DNNGRADE_HIDE"  #: folders (os.pathsep between) student code must never read


def hidden_folders() -> list[str]:
    """Folders named in ``$DNNGRADE_HIDE`` (run_autograder names Gradescope's ``source``). The
    sandbox never mounts them; the process fallback run by root hides them whole."""
    return [os.path.realpath(p) for p in os.environ.get(HIDE_VARIABLE, "").split(os.pathsep) if p]


# -- the user namespace of a root grader ------------------------------------------------------------


_SERIAL = itertools.count()


def new_user_namespace() -> int:
    """A new user namespace where the sandbox user is a host user id of its own (see
    :func:`graders.worker.identity.worker_uid`); returns an fd to it.

    Only root can write such a mapping. A short-lived helper process creates the namespace; the fd
    keeps it alive after the helper ends.
    """
    host_uid = worker_uid(os.getpid(), next(_SERIAL))
    helper = subprocess.Popen([sys.executable, "-I", "-S", "-c", _USERNS_HELPER], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, env=_base_env(), close_fds=True)
    try:
        if _answer(helper) != b"+":
            raise OSError("the kernel refused to create a user namespace")
        mapping = "%d 0 1\n%d %d 1\n" % (ROOT_ALIAS, SANDBOX_UID, host_uid)
        for name in ("uid_map", "gid_map"):
            with open("/proc/%d/%s" % (helper.pid, name), "w") as handle:
                handle.write(mapping)
        stdin = helper.stdin
        assert stdin is not None  # Popen(stdin=PIPE)
        stdin.write(b"+")
        stdin.flush()
        if _answer(helper) not in (b"+", b"-"):  # "-": nested namespaces stay allowed (old kernel)
            raise OSError("the user namespace helper stopped")
        return os.open("/proc/%d/ns/user" % helper.pid, os.O_RDONLY | os.O_CLOEXEC)
    finally:
        for pipe in (helper.stdin, helper.stdout):
            if pipe is not None:
                pipe.close()
        helper.wait()


def _answer(helper: subprocess.Popen, seconds: float = 20.0) -> bytes:
    stdout = helper.stdout
    if stdout is None or not select.select([stdout], [], [], seconds)[0]:
        helper.kill()
        return b""
    return stdout.read(1)


# -- what the sandbox mounts ----------------------------------------------------------------------


def _python_roots() -> list[str]:
    """Folders holding the interpreter, its standard library and installed packages."""
    roots = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.add(os.path.realpath(path))
    roots.add(os.path.realpath(sys.prefix))
    roots.add(os.path.realpath(sys.base_prefix))
    roots.add(os.path.dirname(os.path.realpath(sys.executable)))
    roots.add(os.path.dirname(os.path.abspath(sys.executable)))
    numpy = importlib.util.find_spec("numpy")  # found, not imported: the grader may start a worker first
    if numpy is not None and numpy.origin:
        roots.add(os.path.dirname(os.path.dirname(os.path.realpath(numpy.origin))))
    if "/" in roots:
        raise OSError("Python is installed at the root folder: the sandbox would have to mount everything")
    return outermost(roots)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _site_dirs() -> set[str]:
    dirs = {sysconfig.get_paths().get(key) for key in ("purelib", "platlib")}
    try:
        dirs.update(site.getsitepackages())
    except AttributeError:  # some virtualenv builds lack it
        pass
    return {os.path.realpath(d) for d in dirs if d}


def kit_copies_to_hide(roots: list[str]) -> list[str]:
    """Folders of the kit that the mounted ``roots`` would expose: hide them.

    A non-editable install puts ``graders``, ``reference`` (the solution), ``assignments`` (the
    hidden cases) beside NumPy in site-packages, which the sandbox must mount. A checkout inside a
    mounted folder is hidden whole. An editable install elsewhere is never mounted.
    """
    hide = set()
    kit = os.path.realpath(KIT_ROOT)
    sites = _site_dirs()
    for site_dir in sites:
        if any(_inside(site_dir, root) for root in roots) and os.path.isdir(site_dir):
            for name in KIT_PACKAGES:
                if os.path.isdir(os.path.join(site_dir, name)):
                    hide.add(os.path.join(site_dir, name))
            for name in os.listdir(site_dir):
                if name.startswith("dnn_step_by_step_grader") and name.endswith((".dist-info", ".egg-info")):
                    hide.add(os.path.join(site_dir, name))
    if any(_inside(kit, root) for root in roots) and kit not in sites:
        hide.add(kit)
    checkouts, folders = kit_copies(kit, sorted(sites))
    hide.update(path for path in checkouts + folders if any(_inside(path, root) for root in roots))
    return sorted(hide)


def _bind(source: str, dest: str | None = None) -> list[str]:
    dest = dest or source
    if os.path.islink(source):
        return ["--symlink", os.readlink(source), dest]
    return ["--ro-bind", source, dest]


def bwrap_options(disk_mb: int = DEFAULT_DISK_MB, as_root: bool = False) -> list[str]:
    """bubblewrap's options (without the user-namespace choice and the command)."""
    options = [
        "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        "--die-with-parent", "--new-session", "--as-pid-1",
        "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
        "--proc", "/proc", "--dev", "/dev",
        "--size", str(max(int(disk_mb), 1) * 1024 * 1024), "--tmpfs", "/tmp",
    ]
    for system_dir in _SYSTEM_DIRS:
        if os.path.lexists(system_dir):
            options += _bind(system_dir)
    roots = _python_roots()
    for root in roots:
        options += ["--ro-bind", root, root]
    for hidden in kit_copies_to_hide(roots):
        options += ["--tmpfs", hidden, "--remount-ro", hidden]
    kit = SANDBOX_KIT + "/graders"
    options += [
        "--ro-bind", str(KIT_ROOT / "graders" / "__init__.py"), kit + "/__init__.py",
        "--ro-bind", str(KIT_ROOT / "graders" / "portable"), kit + "/portable",
        "--ro-bind", str(KIT_ROOT / "graders" / "worker"), kit + "/worker",
        "--remount-ro", "/dev", "--remount-ro", "/",
        "--chdir", "/tmp", "--clearenv",
    ]
    env = _base_env()
    env.update(PYTHONPATH=SANDBOX_KIT, TMPDIR="/tmp", HOME="/tmp")
    for key, value in env.items():
        options += ["--setenv", key, value]
    if as_root:
        options += ["--cap-drop", "ALL"]
    return options


def _worker_command(identity: str = "mapped") -> list[str]:
    command = [sys.executable, *WORKER_FLAGS, "-c", _BOOT, "--workdir", "/tmp"]
    if identity == "own":  # the sandbox's user is the worker's alone: its keyrings can be cleared
        command.append("--own-sandbox-user")
    return command


def _remount_at(options: list[str]) -> int:
    """The index of ``--remount-ro /dev`` in bubblewrap's ``options``: mounts must come before it."""
    for index in range(len(options) - 1):
        if options[index] == "--remount-ro" and options[index + 1] == "/dev":
            return index
    raise ValueError("bubblewrap options without --remount-ro /dev")


def bwrap_launch(disk_mb: int = DEFAULT_DISK_MB, identity: str = "auto") -> Launch:
    """The strong sandbox.

    ``identity``: "own" (root only: a namespace made by :func:`new_user_namespace`), "mapped"
    (bubblewrap's own user namespace, mapped to the grader's user), or "auto" ("own" when root).
    """
    root = os.geteuid() == 0
    if identity == "auto":
        identity = "own" if root else "mapped"
    options = bwrap_options(disk_mb, as_root=root)
    if identity == "mapped":
        options = ["--unshare-user", "--disable-userns"] + options
    bwrap = shutil.which("bwrap") or "bwrap"
    return Launch([bwrap] + options + _worker_command(identity), _base_env(), "bwrap", "", cwd="/",
                  userns=identity == "own", identity=identity, binds_at=1 + _remount_at(options))


def _probe(launch: Launch) -> str | None:
    """Start ``launch``'s sandbox with a trivial Python command; None when it works."""
    command = _worker_command(launch.identity)
    probe_argv = launch.argv[: len(launch.argv) - len(command)]
    probe_argv += [sys.executable, "-I", "-S", "-c", "import os; os.write(1, b'ok')"]
    probe = replace(launch, argv=probe_argv)
    try:
        proc = probe.spawn(stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = proc.communicate(timeout=30)
    except (OSError, subprocess.SubprocessError) as error:
        return str(error)[:200]
    if proc.returncode != 0 or out != b"ok":
        return err.decode(errors="replace").strip()[:200] or "exit status %d" % proc.returncode
    return None


def bwrap_unavailable_reason() -> str | None:
    """Why bubblewrap cannot be used here, or None when it can (see :func:`choose_bwrap`)."""
    return choose_bwrap(DEFAULT_DISK_MB)[1]


def choose_bwrap(disk_mb: int) -> tuple[Launch | None, str | None]:
    """The best bubblewrap launch that works here, or ``(None, reason)``."""
    if not sys.platform.startswith("linux"):
        return None, "not Linux"
    if shutil.which("bwrap") is None:
        return None, "bubblewrap is not installed"
    try:
        identities = ("own", "mapped") if os.geteuid() == 0 else ("mapped",)
        first_failure = None
        for identity in identities:
            launch = bwrap_launch(disk_mb, identity)
            why_not = _probe(launch)
            if why_not is None:
                if first_failure:
                    launch = replace(launch, note=MSG_NPROC_OFF.format(reason=first_failure))
                return launch, None
            first_failure = first_failure or why_not
    except OSError as error:
        return None, str(error)
    return None, "bubblewrap cannot create namespaces here (%s)" % first_failure


_CHOSEN: dict[int, tuple[Launch | None, str | None]] = {}


def worker_launch(mode: str = "auto", disk_mb: int = DEFAULT_DISK_MB) -> Launch:
    """The command for a worker in ``mode``: "bwrap" (required), "process", or "auto" (bwrap when
    it works here, else process with a note saying the strong sandbox is off).

    ``disk_mb`` caps the sandbox's ``/tmp`` (the process fallback relies on the file-size rlimit).
    """
    if mode == "process":
        return process_launch("turned off with --sandbox process", disk_mb)
    if disk_mb not in _CHOSEN:
        _CHOSEN[disk_mb] = choose_bwrap(disk_mb)
    launch, reason = _CHOSEN[disk_mb]
    if launch is not None:
        return launch
    if mode == "bwrap":
        from graders.errors import UserError

        raise UserError("the bubblewrap sandbox was required but %s" % reason)
    return process_launch(reason or "bubblewrap is not available", disk_mb)


def first_launch(mode: str = "auto", disk_mb: int = DEFAULT_DISK_MB) -> tuple[Launch | None, bool]:
    """The launch to try first, and whether it is known to work here.

    Known: the choice of :func:`worker_launch`, once made in this process, or the plain process.
    Otherwise a guess, without the probe: bubblewrap as it usually works (a user of its own when
    root). Starting the worker is then the probe: if it fails, :func:`worker_launch` chooses, and
    says why in the report. ``(None, False)``: nothing to guess, ask :func:`worker_launch`.
    """
    if mode == "process" or disk_mb in _CHOSEN:
        return worker_launch(mode, disk_mb), True
    if not sys.platform.startswith("linux") or shutil.which("bwrap") is None:
        return None, False
    try:
        return bwrap_launch(disk_mb), False
    except OSError:
        return None, False


def confirm_launch(launch: Launch, disk_mb: int = DEFAULT_DISK_MB) -> None:
    """A guessed launch started a worker: use it from now on, without probing."""
    if launch.mode == "bwrap":
        _CHOSEN.setdefault(disk_mb, (launch, None))


WORKER_PIPES = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.DEVNULL,
                "start_new_session": True}
_EARLY: dict[tuple, tuple[Launch, bool, subprocess.Popen]] = {}


def start_early(mode: str = "auto", disk_mb: int = DEFAULT_DISK_MB, helpers=None) -> None:
    """Start a worker now, before the grader has loaded NumPy and the cases: the two start-ups
    overlap. The next :class:`graders.sandbox.worker.WorkerProcess` with the same settings takes it
    (:func:`take_early`); one nobody takes is stopped at exit."""
    launch, known = first_launch(mode, disk_mb)
    if launch is None or (mode, disk_mb, helpers) in _EARLY:
        return
    try:
        proc = launch.with_helpers(helpers).spawn(**WORKER_PIPES)
    except OSError:
        return
    if not _EARLY:
        atexit.register(_stop_early)
    _EARLY[mode, disk_mb, helpers] = (launch, known, proc)


def take_early(mode: str, disk_mb: int, helpers=None) -> tuple[Launch, bool, subprocess.Popen] | None:
    """The worker :func:`start_early` started with these settings, if any (taken once), with its
    launch as chosen (without the helpers, which :meth:`Launch.with_helpers` adds)."""
    return _EARLY.pop((mode, disk_mb, helpers), None)


def _stop_early() -> None:
    while _EARLY:
        _, _, proc = _EARLY.popitem()[1]
        proc.kill()
        proc.wait()
