"""The README's "Writing an assignment", followed on a pack written from it alone.

``tests/fixtures/packs/tiny_softmax`` is such a pack: two NumPy functions, its solution, case
builders and mistakes as files of its folder, no helpers module, not installed. It is copied to a
temporary folder and taken through every step the README lists, then graded, batched and exported
as an instructor would, with ``--assignment DIR`` only where the README says it is needed.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "packs" / "tiny_softmax"
REPO = Path(__file__).resolve().parent.parent

WRONG_NORMALIZE = "def normalize_rows(x):\n    return x / np.linalg.norm(x, axis=0, keepdims=True)\n"


def dnngrade(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "DNNGRADE_ASSIGNMENT"}
    return subprocess.run([sys.executable, "-m", "graders.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300, env=env)


def _with_body(notebook: Path, name: str, source: str, out: Path) -> Path:
    data = json.loads(notebook.read_text())
    for cell in data["cells"]:
        if cell["cell_type"] == "code" and ("def %s(" % name) in "".join(cell["source"]):
            cell["source"] = source
    out.write_text(json.dumps(data))
    return out


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("packs") / "tiny_softmax"
    shutil.copytree(FIXTURE, folder)
    for step in (["cases"], ["assign", "--update"]):
        done = dnngrade(*step, "--assignment", str(folder), cwd=folder)
        assert done.returncode == 0, (step, done.stdout, done.stderr)
    return folder


def test_the_steps_write_the_cases_and_notebooks(pack):
    assert {p.name for p in (pack / "cases").iterdir()} == {"public.json", "hidden.json"}
    assert (pack / "student.ipynb").is_file() and (pack / "solution.ipynb").is_file()


@pytest.mark.parametrize("command", [["cases", "--check"], ["assign", "--check"], ["audit"]])
def test_the_checks_ci_runs_pass(pack, command):
    done = dnngrade(*command, "--assignment", str(pack), cwd=pack)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_stale_case_file_is_caught(pack, tmp_path):
    copy = tmp_path / "tiny_softmax"
    shutil.copytree(pack, copy)
    spec = copy / "assignment.toml"
    spec.write_text(spec.read_text().replace("hidden_seed = 7", "hidden_seed = 8"))
    done = dnngrade("cases", "--check", "--assignment", str(copy), cwd=copy)
    assert done.returncode == 1 and "hidden.json: out of date" in done.stdout + done.stderr


def test_the_solution_earns_full_marks_and_a_mistake_is_named(pack, tmp_path):
    solved = dnngrade("grade", str(pack / "solution.ipynb"), "--assignment", str(pack), cwd=tmp_path)
    assert solved.returncode == 0 and "100 / 100 points" in solved.stdout, solved.stdout + solved.stderr
    wrong = _with_body(pack / "solution.ipynb", "normalize_rows", WRONG_NORMALIZE, tmp_path / "wrong.ipynb")
    done = dnngrade("grade", str(wrong), "--assignment", str(pack), cwd=tmp_path)
    assert "take the norm along each row, axis=1" in done.stdout, done.stdout
    assert "✔ softmax" in done.stdout and "✘ normalize_rows" in done.stdout


def test_a_batch_of_the_folder_pack_exports_without_naming_it_again(pack, tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(pack / "solution.ipynb", submissions / "bob.ipynb")
    shutil.copy(pack / "student.ipynb", submissions / "carol.ipynb")
    _with_body(pack / "solution.ipynb", "normalize_rows", WRONG_NORMALIZE, submissions / "alice.ipynb")
    book = tmp_path / "grades.sqlite"
    done = dnngrade("batch", str(submissions), "--assignment", str(pack), "--gradebook", str(book), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    out = tmp_path / "grades.csv"
    done = dnngrade("export", "--gradebook", str(book), "--format", "csv", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = {row["student_id"]: row for row in csv.DictReader(out.open())}
    assert (rows["bob"]["total"], rows["carol"]["total"]) == ("100", "0")
    assert rows["alice"]["softmax"] == "60" and float(rows["alice"]["normalize_rows"]) < 40


def test_the_gradebook_of_a_moved_pack_says_how_to_name_it(pack, tmp_path):
    copy = tmp_path / "tiny_softmax"
    shutil.copytree(pack, copy)
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(copy / "solution.ipynb", submissions / "bob.ipynb")
    book = tmp_path / "grades.sqlite"
    assert dnngrade("batch", str(submissions), "--assignment", str(copy), "--gradebook", str(book),
                    cwd=tmp_path).returncode == 0
    shutil.rmtree(copy)
    done = dnngrade("export", "--gradebook", str(book), "--format", "csv", "--out", str(tmp_path / "g.csv"),
                    cwd=tmp_path)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "holds the grades of 'tiny_softmax'" in done.stderr and "--assignment DIR" in done.stderr
