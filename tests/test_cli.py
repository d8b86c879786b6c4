"""The command line's small promises: a version, the real default pool size, and usage errors
that say what to run instead."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import tomllib

import graders
from graders.sandbox.limits import default_workers

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

    assert set(COMMANDS) == {"grade", "batch", "export", "similarity", "report", "assign", "audit", "cases", "list"}
    parser = build_parser()
    for name, (handler, _, _) in COMMANDS.items():
        needs = {"grade": ["nb.ipynb"], "batch": ["subs"], "similarity": ["--out", "x"], "report": ["--out", "x"]}
        assert parser.parse_args([name] + needs.get(name, [])).handler is handler


def test_an_installed_kit_builds_a_release_like_a_checkout(tmp_path):
    """`pip install` of the kit, then `dnngrade assign --out DIR`, outside any checkout: the packages
    as pip lays them out (no pyproject.toml beside them), run from another folder."""
    import shutil

    site = tmp_path / "site-packages"
    for package in ("assignments", "graders", "reference"):
        shutil.copytree(REPO / package, site / package, ignore=shutil.ignore_patterns("__pycache__", "samples"))
    work = tmp_path / "work"
    work.mkdir()
    env = dict(os.environ, PYTHONPATH=str(site))
    run = [sys.executable, "-c", "import sys; from graders.cli import main; sys.exit(main(sys.argv[1:]))"]
    built = subprocess.run(run + ["assign", "--out", str(work / "release")], capture_output=True, text=True,
                           cwd=work, env=env, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    with zipfile.ZipFile(work / "release" / "gradescope" / "dnn_step_by_step_gradescope.zip") as archive:
        names = archive.namelist()
        pyproject = tomllib.loads(archive.read("kit/pyproject.toml").decode())
    assert "kit/graders/cli.py" in names and "kit/assignments/dnn_step_by_step/cases/hidden.json" in names
    assert pyproject["project"]["name"] == "dnn-step-by-step-grader"
    assert (work / "release" / "student" / "dnn_step_by_step.ipynb").exists()
    refused = subprocess.run(run + ["assign", "--update"], capture_output=True, text=True, cwd=work, env=env,
                             timeout=120)
    assert refused.returncode == 1 and "run it in a checkout" in refused.stderr


def test_an_installed_kits_pyproject_says_what_the_checkouts_says():
    from graders.kit.bundles import INSTALLED_PACKAGES, installed_package_data, installed_pyproject

    ours = tomllib.loads((REPO / "pyproject.toml").read_text())
    written = tomllib.loads(installed_pyproject().decode())
    assert ours["tool"]["setuptools"]["package-data"] == installed_package_data() == written["tool"]["setuptools"][
        "package-data"]
    assert set(INSTALLED_PACKAGES) <= set(ours["tool"]["setuptools"]["packages"]["find"]["include"])
    def same(requirements):  # the metadata writes markers with other quotes
        return [requirement.replace("'", '"') for requirement in requirements]

    assert same(written["project"]["dependencies"]) == same(ours["project"]["dependencies"])
    assert written["project"]["requires-python"] == ours["project"]["requires-python"]
    assert written["project"]["scripts"] == ours["project"]["scripts"]


def test_list_shows_the_installed_assignment_packs():
    completed = dnngrade("list")
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    at = lines.index("dnn_step_by_step  Building a Deep Neural Network: Step by Step")
    assert "10 graded functions, 100 points" in lines[at + 1] and "assignments/dnn_step_by_step" in lines[at + 1]
    assert "dnn_application  Deep Neural Network: Application" in lines


def test_batch_stores_each_functions_feedback_text_and_the_gradebook_renders_none(tmp_path):
    """``dnngrade batch`` hands the gradebook its renderer; a gradebook written without one
    stores the results and leaves the text column empty (it renders nothing itself)."""
    import shutil
    import sqlite3

    from graders.batch.gradebook import Gradebook
    from graders.batch.run import grading_context
    from graders.result import result_from_dict

    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(REPO / "assignments/dnn_step_by_step/samples/submissions/stubs_only.ipynb", submissions)
    book = tmp_path / "gb.sqlite"
    completed = dnngrade("batch", str(submissions), "--gradebook", str(book), "--quiet")
    assert completed.returncode == 0, completed.stderr
    with sqlite3.connect(book) as db:
        texts = [row[0] for row in db.execute("SELECT feedback FROM function_results")]
        stored = db.execute("SELECT result_json FROM submissions").fetchone()[0]
    assert len(texts) == 10 and all("not implemented yet" in text for text in texts), texts

    import json

    plain_path = tmp_path / "plain.sqlite"
    with Gradebook(plain_path, writer=True) as plain:
        run_id = plain.start_run(grading_context(), "here", "local", {})
        plain.record("stubs_only", "stubs_only.ipynb", "0" * 64, result_from_dict(json.loads(stored)),
                     grading_context(), run_id)
    with sqlite3.connect(plain_path) as db:
        assert {row[0] for row in db.execute("SELECT feedback FROM function_results")} == {""}
        assert db.execute("SELECT COUNT(*) FROM function_results").fetchone()[0] == 10
