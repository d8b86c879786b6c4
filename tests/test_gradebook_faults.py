"""Faults of the gradebook: each gets a clear message and an exit status, and nothing committed is lost.

A second batch on a gradebook in use (refused, or queued with ``--wait``); a damaged file (refused
by batch and export alike, before anything is read); a disk that fills up in the middle of a batch
and a gradebook on a read-only file system (both reproduced for real, in a mount namespace of
the test's own, where the machine allows one).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from graders.batch.gradebook import Gradebook
from graders.batch.run import run_batch
from graders.errors import UserError
from tests.batch_support import FAST, FAST_OPTIONS, copy_samples, quick_samples

REPO = Path(__file__).resolve().parent.parent


def _few(tmp_path: Path, count: int = 3) -> Path:
    return copy_samples(tmp_path / "submissions", quick_samples()[:count])


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graders.cli", *args], capture_output=True, text=True,
                          cwd=cwd or REPO, timeout=300)


def _stored(path: Path) -> int:
    with sqlite3.connect(str(path)) as db:
        return db.execute("SELECT count(*) FROM submissions").fetchone()[0]


HOLDER = """
import sys, time
from graders.batch.gradebook import Gradebook
book = Gradebook(sys.argv[1], writer=True)
print("held", flush=True)
sys.stdin.read()
"""


def test_a_second_batch_on_a_gradebook_in_use_says_so(tmp_path):
    submissions, gradebook = _few(tmp_path), tmp_path / "gb.sqlite"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(gradebook)], cwd=REPO, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(UserError) as refused:
            run_batch(submissions, gradebook, workers=1, limits=FAST, show_progress=False)
        message = str(refused.value)
        assert "another `dnngrade batch` is grading into" in message and "pid %d" % holder.pid in message
        assert "--wait" in message
        completed = _cli("batch", str(submissions), "--gradebook", str(gradebook), "--quiet", *FAST_OPTIONS)
        assert completed.returncode == 1 and "another `dnngrade batch`" in completed.stderr, completed.stderr
    finally:
        holder.communicate("", timeout=60)
    summary = run_batch(submissions, gradebook, workers=1, limits=FAST, show_progress=False)
    assert summary.graded_now == 3
    again = run_batch(submissions, gradebook, workers=2, limits=FAST, show_progress=False, regrade=True)
    assert again.graded_now == 3, "the lock went with the batch (its pool processes do not keep it)"


def test_wait_starts_when_the_running_batch_ends(tmp_path):
    submissions, gradebook = _few(tmp_path), tmp_path / "gb.sqlite"
    held, release = threading.Event(), threading.Event()

    def another_batch():  # holds the gradebook as a running batch does, until told to stop
        running = Gradebook(gradebook, writer=True)
        held.set()
        release.wait(0.5)
        running.close()

    holder = threading.Thread(target=another_batch)
    holder.start()
    held.wait(60)
    try:
        summary = run_batch(submissions, gradebook, workers=1, limits=FAST, show_progress=False, wait=True)
    finally:
        release.set()
        holder.join()
    assert summary.graded_now == 3 and _stored(gradebook) == 3


def test_a_damaged_gradebook_is_refused_by_batch_and_export(tmp_path):
    submissions, gradebook = _few(tmp_path), tmp_path / "gb.sqlite"
    run_batch(submissions, gradebook, workers=1, limits=FAST, show_progress=False)
    size = gradebook.stat().st_size
    assert size > 4 * 4096, "a gradebook of a few pages"
    with open(gradebook, "r+b") as handle:  # garbage over the middle pages, the header left whole
        handle.seek(2 * 4096)
        handle.write(os.urandom(min(size - 3 * 4096, 8 * 4096)))
    with pytest.raises(UserError) as refused:
        Gradebook(gradebook)
    assert "is damaged" in str(refused.value) and "backup" in str(refused.value)
    for command in (["batch", str(submissions), "--gradebook", str(gradebook), "--quiet", *FAST_OPTIONS],
                    ["export", "--gradebook", str(gradebook), "--out", str(tmp_path / "grades.csv")]):
        completed = _cli(*command)
        assert completed.returncode == 1, (command, completed.stderr[-500:])
        assert "is damaged" in completed.stderr and "Traceback" not in completed.stderr, completed.stderr[-800:]
    assert not (tmp_path / "grades.csv").exists()


def _namespaces_for_mounts() -> str | None:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return "needs root and unshare(1) to mount a small file system of the test's own"
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return None if probe.returncode == 0 else "no mount namespaces here"


def _in_own_mounts(script: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["unshare", "-m", "sh", "-c", "mount --make-rprivate / && " + script],
                          capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.mark.skipif(_namespaces_for_mounts() is not None, reason=str(_namespaces_for_mounts()))
def test_a_full_disk_stops_the_batch_clearly_and_the_next_run_resumes(tmp_path):
    submissions = copy_samples(tmp_path / "submissions")
    small, kept = tmp_path / "small-disk", tmp_path / "kept"
    small.mkdir()
    kept.mkdir()
    total = len(list(submissions.rglob("*.ipynb")))
    # the smallest disk on which some, not all, grades fit (results grow as feedback does)
    for size in ("300k", "200k", "450k", "650k"):
        for old in kept.iterdir():
            old.unlink()
        script = (
            "mount -t tmpfs -o size={size} tmpfs {small} && "
            "{python} -m graders.cli batch {subs} --gradebook {small}/gb.sqlite --workers 1 --quiet {options}; "
            "echo status=$?; cp {small}/gb.sqlite* {kept}/"
        ).format(size=size, small=small, python=sys.executable, subs=submissions, options=" ".join(FAST_OPTIONS),
                 kept=kept)
        completed = _in_own_mounts(script, REPO)
        committed = _stored(kept / "gb.sqlite") if (kept / "gb.sqlite").exists() else 0
        if 0 < committed < total:
            break
    else:
        pytest.fail("no disk size made the batch fill it part-way: %s" % completed.stderr[-500:])
    assert "status=1" in completed.stdout, (completed.stdout, completed.stderr[-800:])
    assert "database or disk is full" in completed.stderr and "Free some disk space" in completed.stderr
    assert "goes on where it stopped" in completed.stderr and "Traceback" not in completed.stderr
    summary = run_batch(submissions, kept / "gb.sqlite", workers=1, limits=FAST, show_progress=False)
    assert summary.skipped == committed, "what was committed before the disk filled up is kept, not regraded"
    assert _stored(kept / "gb.sqlite") == summary.found


@pytest.mark.skipif(_namespaces_for_mounts() is not None, reason=str(_namespaces_for_mounts()))
def test_a_gradebook_on_a_read_only_file_system_gets_a_clear_message(tmp_path):
    submissions, folder = _few(tmp_path), tmp_path / "books"
    folder.mkdir()
    run_batch(submissions, folder / "gb.sqlite", workers=1, limits=FAST, show_progress=False)
    before = _stored(folder / "gb.sqlite")
    (tmp_path / "submissions" / "late.ipynb").write_bytes(next(iter(submissions.rglob("*.ipynb"))).read_bytes())
    script = (
        "mount --bind {folder} {folder} && mount -o remount,ro,bind {folder} && "
        "{python} -m graders.cli batch {subs} --gradebook {folder}/gb.sqlite --quiet {options}; echo status=$?"
    ).format(folder=folder, python=sys.executable, subs=submissions, options=" ".join(FAST_OPTIONS))
    completed = _in_own_mounts(script, REPO)
    assert "status=1" in completed.stdout, (completed.stdout, completed.stderr[-800:])
    assert "could not write to the gradebook" in completed.stderr and "writable" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert _stored(folder / "gb.sqlite") == before
