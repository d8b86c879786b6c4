"""A batch killed with SIGKILL part-way resumes, and ends identical to an uninterrupted run."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing

from graders.batch.gradebook import Gradebook
from tests.batch_support import FAST_OPTIONS, REPO, cli_env, dnngrade, sleepy_batch

COUNT = 16
KILL_AFTER = 4  # committed results before the kill
POLL_SECONDS = 0.02
GIVE_UP_SECONDS = 120  # a safety net for a stuck batch, not a timing assertion


def committed(path) -> int:
    """Submissions committed so far, read without taking any lock the batch could wait on."""
    if not path.exists():
        return 0
    try:
        with closing(sqlite3.connect("file:%s?mode=ro" % path, uri=True)) as db:
            return int(db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0])
    except sqlite3.Error:  # the schema is not written yet
        return 0


def batch_args(folder, gradebook):
    return ["batch", str(folder), "--gradebook", str(gradebook), "--workers", "2", "--quiet", *FAST_OPTIONS]


def test_killed_batch_resumes_to_the_same_gradebook(tmp_path):
    folder = sleepy_batch(tmp_path / "subs", COUNT, seconds=0.3)
    reference, resumed = tmp_path / "reference.sqlite", tmp_path / "resumed.sqlite"
    assert dnngrade(*batch_args(folder, reference)).returncode == 0

    process = subprocess.Popen([sys.executable, "-m", "graders.cli", *batch_args(folder, resumed)], cwd=REPO,
                               env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + GIVE_UP_SECONDS
        while committed(resumed) < KILL_AFTER and process.poll() is None and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
        os.kill(process.pid, signal.SIGKILL)  # the batch's main process only, as `kill -9 PID` does
        process.wait()
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # pool processes left behind, if any
        except ProcessLookupError:
            pass
    assert process.returncode == -signal.SIGKILL
    with Gradebook(resumed) as book:
        before = {row.student_id: row.run_id for row in book.submissions()}
    assert KILL_AFTER <= len(before) < COUNT, "the batch was not stopped part-way"

    rerun = dnngrade(*batch_args(folder, resumed))
    assert rerun.returncode == 0, rerun.stderr
    with Gradebook(reference) as a, Gradebook(resumed) as b:
        assert b.snapshot() == a.snapshot()
        assert b.count() == COUNT
        rows = b.db.execute("SELECT COUNT(*), COUNT(DISTINCT student_id || function) FROM function_results")
        assert tuple(rows.fetchone()) == (COUNT * 10, COUNT * 10)
        after = {row.student_id: row.run_id for row in b.submissions()}
        runs = b.runs()
    assert all(after[student] == run for student, run in before.items()), "graded results were graded again"
    assert [run["finished_at"] is not None for run in runs] == [False, True]
