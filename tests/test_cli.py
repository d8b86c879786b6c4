"""The command line's small promises: a version, the real default pool size, and usage errors
that say what to run instead."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import graders
from graders.limits import default_workers

REPO = Path(__file__).resolve().parent.parent


def dnngrade(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graders.cli", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=120)


def test_version():
    completed = dnngrade("--version")
    assert completed.returncode == 0 and completed.stdout.strip() == "dnngrade %s" % graders.__version__


def test_the_workers_help_states_the_real_default():
    completed = dnngrade("batch", "--help")
    text = " ".join(completed.stdout.split())
    assert "one per core, plus one: %d here" % default_workers() in text


def test_grading_a_folder_is_a_usage_error_that_suggests_batch(tmp_path):
    completed = dnngrade("grade", str(tmp_path))
    assert completed.returncode == 2
    assert "is a folder" in completed.stderr and "dnngrade batch %s" % tmp_path in completed.stderr


def test_a_corrupt_zip_is_called_a_corrupt_zip(tmp_path):
    cut_short = tmp_path / "submissions.zip"
    cut_short.write_bytes(b"PK\x03\x04" + b"\x00" * 40)  # the start of a zip, and no end
    completed = dnngrade("batch", str(cut_short), "--gradebook", str(tmp_path / "gb.sqlite"))
    assert completed.returncode == 1 and "is a corrupt .zip" in completed.stderr, completed.stderr
    other = tmp_path / "notes.txt"
    other.write_text("not a zip")
    completed = dnngrade("batch", str(other), "--gradebook", str(tmp_path / "gb.sqlite"))
    assert completed.returncode == 1 and "is a file but not a .zip" in completed.stderr, completed.stderr


WITHOUT_NBFORMAT = """
import builtins, sys
real = builtins.__import__
def without_nbformat(name, *args, **kwargs):
    if name.split(".")[0] == "nbformat":
        raise ModuleNotFoundError("No module named 'nbformat'", name="nbformat")
    return real(name, *args, **kwargs)
builtins.__import__ = without_nbformat
from graders.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_assign_without_the_kit_extra_says_what_to_install(tmp_path):
    completed = subprocess.run([sys.executable, "-c", WITHOUT_NBFORMAT, "assign", "--out", str(tmp_path / "r")],
                               capture_output=True, text=True, cwd=REPO, timeout=120)
    assert completed.returncode == 1, completed.stderr
    assert "needs the kit extra (nbformat is not installed)" in completed.stderr and ".[kit]" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_every_subcommand_is_listed_once_and_reaches_its_handler():
    """One table names every command: nothing is found by importing modules that may be missing."""
    from graders.cli import COMMANDS, build_parser

    assert set(COMMANDS) == {"grade", "batch", "export", "similarity", "report", "assign", "audit", "cases"}
    parser = build_parser()
    for name, (handler, _, _) in COMMANDS.items():
        needs = {"grade": ["nb.ipynb"], "batch": ["subs"], "similarity": ["--out", "x"], "report": ["--out", "x"]}
        assert parser.parse_args([name] + needs.get(name, [])).handler is handler
