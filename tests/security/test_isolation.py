"""Isolation between submissions, the identity student code runs as, worker deaths, the fallback,
and both install layouts of the kit."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from graders.errors import UserError
from graders.grade import Grader, Limits
from graders.kit.nbbuild import notebook_bytes, solution_cells
from graders.sandbox import launch as sandbox
from graders.sandbox.launch import KIT_ROOT, MSG_FALLBACK, kit_copies_to_hide, worker_launch
from graders.sandbox.worker import descendants
from graders.worker.identity import UID_BASE, worker_uid
from tests.security.support import FAST, SPEC, attack_processes, honest_score_holds, reports, strong

PLANT = r'''
import ctypes, os, sys, time
import numpy as np
for path in ("planted.txt", "/tmp/planted.txt", os.path.expanduser("~/planted.txt"), "/dev/shm/planted.txt"):
    try:
        with open(path, "w") as handle:
            handle.write("left behind")
    except OSError:
        pass
with open("planted_module.py", "w") as handle:
    handle.write("VALUE = 1\n")
sys.path.insert(0, os.getcwd())
np.planted = True
np.dot = lambda *args: 0
os.environ["PLANTED"] = "1"
sys.modules["planted_module_in_memory"] = sys
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        ctypes.CDLL(None).prctl(15, b"dnnattack", 0, 0, 0)
        time.sleep(60)
    os._exit(0)
'''
PROBE = r'''
import glob, os, sys
import numpy as np
left = []
for path in ("planted.txt", "/tmp/planted.txt", os.path.expanduser("~/planted.txt"), "/dev/shm/planted.txt",
             "planted_module.py", "/tmp/submission/planted_module.py"):
    if os.path.exists(path):
        left.append(path)
try:
    import planted_module
    left.append("module")
except ImportError:
    pass
if getattr(np, "planted", False) or np.dot(np.ones(2), np.ones(2)) != 2:
    left.append("numpy")
if "PLANTED" in os.environ or "planted_module_in_memory" in sys.modules:
    left.append("state")
for pid in os.listdir("/proc"):
    try:
        if pid.isdigit() and open("/proc/%s/comm" % pid).read().strip() == "dnnattack":
            left.append("process")
    except OSError:
        pass
raise RuntimeError("REPORT left=%s" % ",".join(left))
'''


def _honest_with(cell: str) -> bytes:
    return notebook_bytes(solution_cells() + [cell])


def test_nothing_carries_over_to_the_next_submission(mode, grader):
    if not strong(mode):
        pytest.skip("a non-root fallback shares /tmp with the machine")
    planted = grader.grade_bytes(_honest_with(PLANT), "planter.ipynb")
    probed = grader.grade_bytes(_honest_with(PROBE), "prober.ipynb")
    assert planted.status == "graded"  # its own functions suffer from its np.dot: its business
    assert honest_score_holds(probed, set()) == []
    assert reports(probed)["left"] == ""
    assert attack_processes() == []


def _host_uid_of(comm: str, seen: list, stop: threading.Event) -> None:
    while not stop.is_set():
        for pid in os.listdir("/proc"):
            try:
                if pid.isdigit() and open("/proc/%s/comm" % pid).read().strip() == comm:
                    status = open("/proc/%s/status" % pid).read()
                    seen.append(int(status.split("Uid:")[1].split()[0]))
                    return
            except (OSError, IndexError, ValueError):
                continue
        time.sleep(0.02)


def test_student_code_never_runs_as_root_and_has_no_capabilities(mode, grader):
    cell = (
        "import ctypes, os, time\n"
        "ctypes.CDLL(None).prctl(15, b'dnnprobe', 0, 0, 0)\n"
        "status = open('/proc/self/status').read()\n"
        "caps = [line.split()[1] for line in status.splitlines() if line.startswith(('CapEff', 'CapPrm'))]\n"
        "time.sleep(0.5)\n"
        "raise RuntimeError('REPORT uid=%d; caps=%s' % (os.getuid(), ','.join(caps)))\n"
    )
    seen, stop = [], threading.Event()
    watcher = threading.Thread(target=_host_uid_of, args=("dnnprobe", seen, stop), daemon=True)
    watcher.start()
    try:
        result = grader.grade_bytes(_honest_with(cell), "whoami.ipynb")
    finally:
        stop.set()
        watcher.join(2)
    report = reports(result)
    assert result.score == SPEC.total_points
    if os.geteuid() == 0:
        assert int(report["uid"]) != 0 and seen and seen[0] != 0
        assert seen[0] >= UID_BASE  # a user id of this worker's own
    assert report["caps"] == "0000000000000000,0000000000000000"


def test_workers_get_user_ids_of_their_own():
    assert worker_uid(100) != worker_uid(101)
    assert worker_uid(100, 0) != worker_uid(100, 1)
    assert all(UID_BASE <= worker_uid(pid, serial) < 2**31 - 1 for pid in (1, 4_194_304) for serial in (0, 63))


def test_a_worker_killed_mid_notebook_costs_only_that_notebook(mode):
    cells = solution_cells() + ["import time\ntime.sleep(0.8)\n"]
    with Grader(limits=FAST, sandbox=mode) as grader:
        worker = grader.start().proc.pid  # bubblewrap, or the worker itself
        victim = ([worker] + descendants(worker))[1 if mode == "bwrap" else 0]
        killer = threading.Timer(0.3, lambda: os.kill(victim, 9))
        killer.start()
        lost = grader.grade_bytes(notebook_bytes(cells), "victim.ipynb")
        killer.join()
        after = grader.grade_bytes(notebook_bytes(solution_cells()), "next.ipynb")
    assert lost.status == "could_not_grade"
    assert after.status == "graded" and after.score == SPEC.total_points


def test_the_editable_kit_is_not_mounted_at_all(bwrap_works):
    if not bwrap_works:
        pytest.skip("bubblewrap is not available here")
    cell = "import os\nraise RuntimeError('REPORT kit=%%s' %% os.path.exists(%r))\n" % str(KIT_ROOT)
    with Grader(limits=FAST, sandbox="bwrap") as grader:
        result = grader.grade_bytes(_honest_with(cell), "kit.ipynb")
    assert reports(result)["kit"] == "False"


# -- the fallback -----------------------------------------------------------------------------------


@pytest.fixture
def no_bubblewrap(monkeypatch):
    real_which = shutil.which
    monkeypatch.setattr(sandbox, "_CHOSEN", {})
    monkeypatch.setattr(sandbox.shutil, "which", lambda name, *a, **k: None if name == "bwrap" else real_which(name))


def test_without_bubblewrap_grading_falls_back_and_says_so(no_bubblewrap):
    launch = worker_launch("auto")
    assert launch.mode == "process"
    assert launch.note == MSG_FALLBACK.format(reason="bubblewrap is not installed")
    with Grader(limits=FAST, sandbox="auto") as grader:
        result = grader.grade_bytes(notebook_bytes(solution_cells()), "fallback.ipynb")
    assert result.sandbox == "process" and result.score == SPEC.total_points
    assert [e.message for e in result.events if e.kind == "sandbox"] == [launch.note]


def test_requiring_bubblewrap_where_it_is_missing_is_a_clear_error(no_bubblewrap):
    with pytest.raises(UserError, match="bubblewrap is not installed"):
        worker_launch("bwrap")


def test_the_fallback_still_caps_processes_memory_and_file_size():
    cell = (
        "import os, time\n"
        "forks = 0\n"
        "for _ in range(30):\n"
        "    try:\n"
        "        pid = os.fork()\n"
        "    except OSError:\n"
        "        break\n"
        "    if pid == 0:\n"
        "        time.sleep(30)\n"
        "        os._exit(0)\n"
        "    forks += 1\n"
        "try:\n"
        "    hog = bytearray(700 * 1024 * 1024)\n"
        "    memory = 'allocated'\n"
        "except MemoryError:\n"
        "    memory = 'MemoryError'\n"
        "try:\n"
        "    with open('big.bin', 'wb') as handle:\n"
        "        for _ in range(40):\n"
        "            handle.write(b'x' * 1024 * 1024)\n"
        "    size = 'written'\n"
        "except OSError:\n"
        "    size = 'stopped'\n"
        "raise RuntimeError('REPORT forks=%d; memory=%s; size=%s' % (forks, memory, size))\n"
    )
    with Grader(limits=Limits(cell_seconds=5, call_seconds=1, memory_mb=500), sandbox="process") as grader:
        result = grader.grade_bytes(_honest_with(cell), "limits.ipynb")
    report = reports(result)
    assert int(report["forks"]) <= 3 and report["memory"] == "MemoryError" and report["size"] == "stopped"
    assert result.score == SPEC.total_points


# -- where the kit is installed ---------------------------------------------------------------------


def test_a_kit_inside_a_mounted_folder_is_hidden(tmp_path, monkeypatch):
    site = tmp_path / "lib" / "python3" / "site-packages"
    for name in ("graders", "reference", "assignments", "numpy"):
        (site / name).mkdir(parents=True)
    (site / "dnn_step_by_step_grader-0.1.0.dist-info").mkdir()
    monkeypatch.setattr(sandbox, "KIT_ROOT", site)
    monkeypatch.setattr(sandbox, "_site_dirs", lambda: {str(site)})
    hidden = kit_copies_to_hide([str(tmp_path)])
    assert hidden == sorted(str(site / n) for n in ("assignments", "dnn_step_by_step_grader-0.1.0.dist-info",
                                                   "graders", "reference"))
    checkout = tmp_path / "src" / "kit"
    checkout.mkdir(parents=True)
    monkeypatch.setattr(sandbox, "KIT_ROOT", checkout)
    monkeypatch.setattr(sandbox, "_site_dirs", lambda: set())
    assert kit_copies_to_hide([str(tmp_path)]) == [str(checkout)]
    assert kit_copies_to_hide([str(tmp_path / "other")]) == []


STEAL = r'''
import glob, importlib, os, sys
found = []
for name in ("reference.dnn", "assignments.dnn_step_by_step"):
    try:
        module = importlib.import_module(name)
        if getattr(module, "compute_cost", None) or glob.glob(os.path.dirname(module.__file__) + "/*"):
            found.append(name)
    except Exception:
        pass
site = sys.prefix + "/lib/python3*/site-packages"
patterns = [site + "/assignments/*/cases/*.json", site + "/reference/*.py", site + "/graders/cases.py"]
patterns += [CHECKOUT + "/reference/*.py", CHECKOUT + "/assignments/*/cases/*.json", CHECKOUT + "/.git/*",
             CHECKOUT + "/tests/*"]
for pattern in patterns:
    for path in glob.glob(pattern):
        try:
            open(path, "rb").read(1)
            found.append(path)
        except OSError:
            pass
raise RuntimeError("REPORT found=%s; prefix=%s" % (",".join(found), sys.prefix))
'''
RUN_IN_VENV = r'''
import json, sys
import graders
from graders.grade import Grader, Limits
assert graders.__file__.startswith(sys.prefix), graders.__file__
with Grader(limits=Limits(cell_seconds=2, call_seconds=1), sandbox=sys.argv[2]) as grader:
    result = grader.grade_path(sys.argv[1])
print(json.dumps({"score": result.score, "sandbox": result.sandbox,
                  "events": [e.message for e in result.events]}))
'''


def _installed_copy(target: Path, checkout: Path) -> Path:
    """A virtual environment holding the kit as a non-editable install would: in its site-packages;
    and a second copy, a checkout, on its import path (as an older editable install puts it)."""
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(target)],
                   check=True, capture_output=True)
    python = target / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("graders", "reference", "assignments", "tools"):
        shutil.copytree(KIT_ROOT / name, Path(site) / name, ignore=ignore)
        shutil.copytree(KIT_ROOT / name, checkout / name, ignore=ignore)
    shutil.copy(KIT_ROOT / "pyproject.toml", checkout)
    for name in (".git", "tests"):
        (checkout / name).mkdir()
        (checkout / name / "solution").write_text("a solution")
    (Path(site) / "zz_checkout.pth").write_text(str(checkout) + "\n")
    return python


def _outside_private_tmp(tmp_path: Path) -> Path:
    """A folder the worker's private /tmp does not cover (the unsandboxed root worker mounts its own)."""
    for base in ("/srv", "/opt", "/mnt"):
        if os.geteuid() == 0 and os.path.isdir(base) and os.access(base, os.W_OK):
            return Path(tempfile.mkdtemp(prefix="dnngrade-test-", dir=base))
    return Path(tempfile.mkdtemp(dir=tmp_path))


def test_a_non_editable_install_hides_the_solution_and_cases(mode, tmp_path):
    if not strong(mode):
        pytest.skip("a non-root fallback does not hide files")
    elsewhere = _outside_private_tmp(tmp_path)
    try:
        checkout = elsewhere / "checkout"
        python = _installed_copy(tmp_path / "venv", checkout)
        notebook = tmp_path / "steal.ipynb"
        notebook.write_bytes(_honest_with("CHECKOUT = %r\n" % str(checkout) + STEAL))
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
               "DNNGRADE_ASSIGNMENT": os.environ["DNNGRADE_ASSIGNMENT"]}
        done = subprocess.run([str(python), "-c", RUN_IN_VENV, str(notebook), mode], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(elsewhere, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-2000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["sandbox"] == mode and outcome["score"] == SPEC.total_points
    report = " ".join(outcome["events"])
    assert "REPORT found=;" in report, report


# -- starting workers without probing first -----------------------------------------------------------


def _broken_launch(disk_mb=64, identity="auto"):
    """A launch whose worker dies at once, as a bubblewrap that cannot make namespaces would."""
    return sandbox.Launch([shutil.which("false") or "/bin/false"] + sandbox._worker_command(), {}, "bwrap", "", cwd="/")


def test_a_guessed_launch_that_fails_gives_way_to_the_probed_choice(monkeypatch, bwrap_works):
    monkeypatch.setattr(sandbox, "_CHOSEN", {})
    monkeypatch.setattr(sandbox, "first_launch", lambda mode, disk_mb: (_broken_launch(), False))
    import graders.sandbox.worker

    monkeypatch.setattr(graders.sandbox.worker, "first_launch", sandbox.first_launch)
    with Grader(limits=FAST, sandbox="auto") as grader:
        result = grader.grade_bytes(notebook_bytes(solution_cells()), "guess.ipynb")
    assert result.score == SPEC.total_points
    assert result.sandbox == ("bwrap" if bwrap_works else "process")


def test_where_no_sandbox_starts_the_guess_falls_back_to_a_process_and_says_why(monkeypatch):
    monkeypatch.setattr(sandbox, "_CHOSEN", {})
    monkeypatch.setattr(sandbox, "bwrap_launch", _broken_launch)
    with Grader(limits=FAST, sandbox="auto") as grader:
        result = grader.grade_bytes(notebook_bytes(solution_cells()), "fallback.ipynb")
    assert result.sandbox == "process" and result.score == SPEC.total_points
    notes = [e.message for e in result.events if e.kind == "sandbox"]
    assert len(notes) == 1 and notes[0].startswith("strong sandbox off (bubblewrap cannot create namespaces")
    with pytest.raises(UserError, match="bubblewrap sandbox was required"):
        Grader(limits=FAST, sandbox="bwrap").start()


def test_a_worker_started_early_is_the_one_that_grades(mode):
    from graders.assignment import current

    helpers = current().worker_helpers()
    sandbox.start_early(mode, FAST.disk_mb, helpers)
    early = sandbox._EARLY[mode, FAST.disk_mb, helpers][2]
    with Grader(limits=FAST, sandbox=mode) as grader:
        result = grader.grade_bytes(notebook_bytes(solution_cells()), "early.ipynb")
        assert grader._worker is not None and grader._worker.proc is early
    assert result.sandbox == mode and result.score == SPEC.total_points
    assert sandbox.take_early(mode, FAST.disk_mb, helpers) is None


def test_a_worker_started_early_that_nobody_takes_is_stopped():
    sandbox.start_early("process", 64)
    proc = sandbox._EARLY["process", 64, None][2]
    sandbox._stop_early()
    assert proc.poll() is not None and not sandbox._EARLY


# -- the unsandboxed root worker: copies of the kit, nested, and a failure to hide them ---------------


def test_nested_copies_of_the_kit_are_hidden_and_grading_goes_on(monkeypatch, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("only a root worker hides files without bubblewrap")
    elsewhere = _outside_private_tmp(tmp_path)
    try:
        outer = elsewhere / "outer"
        inner = outer / "vendor" / "kit"
        for checkout in (outer, inner):
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(KIT_ROOT / "reference", checkout / "reference", ignore=ignore)
            (checkout / "graders").mkdir()
            shutil.copy(KIT_ROOT / "pyproject.toml", checkout)
        monkeypatch.setattr(sys, "path", sys.path + [str(outer), str(inner)])  # the grader sees both
        cell = ("import os\nfound = [p for p in %r if os.path.exists(p)]\n"
                "raise RuntimeError('REPORT found=%%s' %% ','.join(found))\n"
                % [str(outer / "reference" / "dnn.py"), str(inner / "reference" / "dnn.py")])
        with Grader(limits=FAST, sandbox="process") as grader:
            result = grader.grade_bytes(_honest_with(cell), "nested.ipynb")
    finally:
        shutil.rmtree(elsewhere, ignore_errors=True)
    assert result.status == "graded" and result.score == SPEC.total_points
    assert reports(result)["found"] == ""


def test_a_worker_that_could_not_hide_the_kit_runs_nothing(tmp_path):
    from graders.portable import wire
    from graders.worker.server import Worker, _Reader

    requests = wire.encode_frame({"op": "setup", "calls": [], "limits": {}}, {"args": []})
    requests += wire.encode_frame({"op": "run", "job": "x", "cells": ["open('/etc/hostname')"]})
    inbound, outbound = os.pipe(), os.pipe()
    os.write(inbound[1], requests)
    os.close(inbound[1])
    with os.fdopen(inbound[0], "rb", buffering=0) as stdin, os.fdopen(outbound[1], "wb") as stdout:
        Worker(_Reader(stdin), stdout, [str(tmp_path)], None, "the kit could not be hidden").serve()
    with os.fdopen(outbound[0], "rb") as replies:
        answers = [wire.read_frame(replies)[0] for _ in range(2)]
    assert answers == [{"op": "error", "detail": "the kit could not be hidden"}] * 2
