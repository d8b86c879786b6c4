"""A grader killed with SIGKILL takes every process it started with it, at once, in every mode.

A grading script runs a notebook whose last cell sleeps for minutes (its cell limit is longer
still). The test waits until that cell runs, kills the script with SIGKILL (nothing of it can
clean up), and then every process the script had started (bubblewrap, the worker, its zygote, the
child running the cell) must be gone within seconds, long before the cell would have ended.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.security.support import ATTACK_COMM, attack_processes

REPO_ROOT = Path(__file__).resolve().parents[2]
SLEEP_SECONDS = 240  #: how long the cell would run; the processes must die long before
GONE_WITHIN = 60  #: generous on a busy machine, and far below SLEEP_SECONDS

SCRIPT = '''
import sys
from graders.grade import Grader, Limits
from graders.kit.nbbuild import notebook_bytes, solution_cells
cell = "import ctypes, time\\nctypes.CDLL(None).prctl(15, b%r, 0, 0, 0)\\ntime.sleep(%d)\\n"
grader = Grader(limits=Limits(cell_seconds=%d, notebook_seconds=%d), sandbox=sys.argv[1])
grader.grade_bytes(notebook_bytes(solution_cells() + [cell]), "sleeper.ipynb")
''' % (ATTACK_COMM, SLEEP_SECONDS, SLEEP_SECONDS * 2, SLEEP_SECONDS * 4)


def _parents() -> dict[int, int]:
    found = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/stat" % name) as handle:
                    found[int(name)] = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    return found


def descendants(pid: int) -> set[int]:
    parents, found, frontier = _parents(), set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_killed_grader_takes_its_workers_with_it(mode):
    before = set(attack_processes())
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    script = subprocess.Popen([sys.executable, "-c", SCRIPT, mode], cwd=REPO_ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not set(attack_processes()) - before:
            assert script.poll() is None, "the grading script ended before the cell ran"
            assert time.monotonic() < deadline, "the sleeping cell never started"
            time.sleep(0.1)
        started = descendants(script.pid)
        assert started, "the script started no process"
        script.send_signal(signal.SIGKILL)
        script.wait()
        killed = time.monotonic()
        while any(alive(pid) for pid in started) and time.monotonic() - killed < GONE_WITHIN:
            time.sleep(0.1)
        left = sorted(pid for pid in started if alive(pid))
        assert left == [], "still running %.0f s after the grader was killed: %s" % (GONE_WITHIN, left)
        # and reaped (by the machine's init), so later tests that look at /proc see none of them
        while any(os.path.exists("/proc/%d" % pid) for pid in started) and time.monotonic() - killed < GONE_WITHIN:
            time.sleep(0.1)
    finally:
        if script.poll() is None:
            script.kill()
        for pid in set(attack_processes()) - before:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
