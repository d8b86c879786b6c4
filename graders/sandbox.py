"""How the worker process is started: inside a bubblewrap sandbox when possible, else a plain
process with resource limits.

``worker_launch(mode)`` returns the command, environment and a description of the isolation in
force. The worker sees only ``graders/portable``, ``graders/worker`` and the ``dnn_utils`` helpers:
never the reference, the cases, the gradebook or other submissions.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parent.parent
DNN_UTILS = KIT_ROOT / "reference" / "dnn_utils.py"
SANDBOX_KIT = "/opt/dnnkit"
MODES = ("auto", "bwrap", "process")
MSG_FALLBACK = (
    "strong sandbox off ({reason}): student code runs in a separate process with resource limits, "
    "but it can see this machine's files and network. Install bubblewrap (apt-get install bubblewrap) "
    "to turn it on."
)


@dataclass(frozen=True)
class Launch:
    """A ready-to-run worker command."""

    argv: list[str]
    env: dict[str, str]
    mode: str  #: "bwrap" or "process"
    note: str  #: what the report says about isolation ("" when the strong sandbox is on)
    cwd: str | None = None


def _base_env() -> dict[str, str]:
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
    }


def process_launch(reason: str) -> Launch:
    """The fallback: a plain child process with a clean environment."""
    env = _base_env()
    env["PYTHONPATH"] = str(KIT_ROOT)
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if key in os.environ:
            env[key] = os.environ[key]
    argv = [sys.executable, "-I", "-c", _BOOT, "--dnn-utils", str(DNN_UTILS)]
    return Launch(argv, env, "process", MSG_FALLBACK.format(reason=reason))


# `python -I` ignores PYTHONPATH, so the boot snippet puts the kit on sys.path itself.
_BOOT = (
    "import os, sys; sys.path.insert(0, os.environ['PYTHONPATH']); "
    "from graders.worker.server import main; sys.exit(main(sys.argv[1:]))"
)


def bwrap_unavailable_reason() -> str | None:
    """Why bubblewrap cannot be used here, or None when it can."""
    if not sys.platform.startswith("linux"):
        return "not Linux"
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed"
    probe = subprocess.run(
        ["bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"],
        capture_output=True, timeout=20,
    )
    if probe.returncode != 0:
        return "bubblewrap cannot create namespaces here (%s)" % probe.stderr.decode(errors="replace").strip()[:200]
    return None


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
    import numpy

    roots.add(os.path.dirname(os.path.dirname(os.path.realpath(numpy.__file__))))
    # keep only the outermost folders
    ordered = sorted(roots, key=len)
    outer: list[str] = []
    for path in ordered:
        if not any(path == kept or path.startswith(kept + os.sep) for kept in outer):
            outer.append(path)
    return outer


def _hidden_inside(roots: list[str]) -> list[str]:
    """Copies of the kit inside the mounted Python folders (a non-editable install): hide them."""
    hide = []
    for root in roots:
        for name in ("reference", "graders", "tools", "assignments"):
            for site in ("purelib", "platlib"):
                base = sysconfig.get_paths().get(site)
                if base and os.path.realpath(base).startswith(root):
                    candidate = os.path.join(os.path.realpath(base), name)
                    if os.path.isdir(candidate):
                        hide.append(candidate)
    return sorted(set(hide))


def bwrap_launch() -> Launch:
    """The strong sandbox: new namespaces (no network), a read-only system, nothing of the kit's
    but the worker's own code, a private /tmp, a clean environment and an unprivileged user."""
    roots = _python_roots()
    argv = [
        "bwrap", "--unshare-all", "--die-with-parent", "--new-session",
        "--uid", "65534", "--gid", "65534",
        "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
    ]
    for system_dir in ("/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc/alternatives", "/etc/ld.so.cache",
                       "/etc/localtime"):
        if os.path.exists(system_dir):
            if os.path.islink(system_dir):
                argv += ["--symlink", os.readlink(system_dir), system_dir]
            else:
                argv += ["--ro-bind", system_dir, system_dir]
    for root in roots:
        argv += ["--ro-bind", root, root]
    for hidden in _hidden_inside(roots):
        argv += ["--tmpfs", hidden]
    kit = SANDBOX_KIT + "/graders"
    argv += [
        "--dir", kit,
        "--ro-bind", str(KIT_ROOT / "graders" / "__init__.py"), kit + "/__init__.py",
        "--ro-bind", str(KIT_ROOT / "graders" / "portable"), kit + "/portable",
        "--ro-bind", str(KIT_ROOT / "graders" / "worker"), kit + "/worker",
        "--ro-bind", str(DNN_UTILS), SANDBOX_KIT + "/dnn_utils.py",
        "--chdir", "/tmp", "--clearenv",
    ]
    env = _base_env()
    env["PYTHONPATH"] = SANDBOX_KIT
    env["TMPDIR"] = "/tmp"
    env["HOME"] = "/tmp"
    for key, value in env.items():
        argv += ["--setenv", key, value]
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if key in os.environ:
            argv += ["--setenv", key, os.environ[key]]
    argv += [sys.executable, "-I", "-c", _BOOT, "--dnn-utils", SANDBOX_KIT + "/dnn_utils.py",
             "--workdir", "/tmp"]
    return Launch(argv, {}, "bwrap", "")


_PROBED: dict[str, str | None] = {}


def worker_launch(mode: str = "auto") -> Launch:
    """The command for a worker in ``mode``: "bwrap" (required), "process", or "auto" (bwrap when
    it works here, else process with a note saying the strong sandbox is off)."""
    if mode == "process":
        return process_launch("turned off with --sandbox process")
    if "reason" not in _PROBED:
        _PROBED["reason"] = bwrap_unavailable_reason()
    reason = _PROBED["reason"]
    if reason is None:
        return bwrap_launch()
    if mode == "bwrap":
        from graders.errors import UserError

        raise UserError("the bubblewrap sandbox was required but %s" % reason)
    return process_launch(reason)
