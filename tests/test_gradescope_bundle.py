"""Our Gradescope autograder zip: its layout, setup.sh, and run_autograder in a temporary /autograder tree."""

import io
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile

import pytest

from graders.kit import bundles, release

VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
TOP_LEVEL_KEYS = {"score", "max_score", "execution_time", "output", "output_format", "test_output_format",
                  "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
             "tags", "visibility", "extra_data"}


@pytest.fixture(scope="module")
def archive():
    return bundles.build_gradescope_zip()


@pytest.fixture(scope="module")
def notebooks_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("release")
    release.build_release(root, parts=("student", "solution"))
    return root


def autograder_tree(base, archive, submission=None):
    """Lay out source/ (the unzipped bundle), submission/ and results/ as Gradescope does."""
    root = base / "autograder"
    for name in ("source", "submission", "results"):
        (root / name).mkdir(parents=True)
    with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
        bundle.extractall(root / "source")
        for info in bundle.infolist():  # zipfile drops the modes; restore them as unzip would
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777)
    if submission is not None:
        shutil.copy(submission, root / "submission" / submission.name)
    return root


def run_autograder(root):
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(AUTOGRADER_ROOT=str(root), DNNGRADE_PYTHON=sys.executable)
    completed = subprocess.run([str(root / "source" / "run_autograder")], env=env, cwd=root,
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


def assert_gradescope_shape(results):
    """The parts of Gradescope's results.json specification that we rely on."""
    assert set(results) <= TOP_LEVEL_KEYS
    assert isinstance(results["tests"], list)
    assert isinstance(results["score"], (int, float))
    for test in results["tests"]:
        assert set(test) <= TEST_KEYS, test
        assert isinstance(test["name"], str) and isinstance(test.get("output", ""), str)
        assert isinstance(test["score"], (int, float)) and isinstance(test["max_score"], (int, float))
        assert test.get("visibility", "visible") in VISIBILITIES
        assert test.get("status", "passed") in ("passed", "failed")
    assert results["score"] == pytest.approx(sum(test["score"] for test in results["tests"]))


def test_bundle_holds_the_scripts_and_the_kit(archive):
    with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
        infos = {info.filename: info for info in bundle.infolist()}
    for script in ("setup.sh", "run_autograder"):
        assert stat.S_IMODE(infos[script].external_attr >> 16) == 0o755
    for needed in ("kit/pyproject.toml", "kit/README.md", "kit/graders/grade.py",
                   "kit/graders/portable/checks.py", "kit/reference/dnn.py",
                   "kit/assignments/dnn_step_by_step/assignment.toml",
                   "kit/assignments/dnn_step_by_step/cases/hidden.json"):
        assert needed in infos, needed
    assert not [name for name in infos if "__pycache__" in name or name.endswith(".pyc")]
    assert list(infos) == sorted(infos)


def test_bundle_is_byte_identical_from_build_to_build(archive):
    assert bundles.build_gradescope_zip() == archive


def test_setup_installs_the_kit_with_pip(archive, tmp_path):
    root = autograder_tree(tmp_path, archive)
    calls = tmp_path / "calls.txt"
    fake_python = tmp_path / "python3"
    fake_python.write_text('#!/bin/sh\necho "$@" >> "%s"\n' % calls)
    fake_python.chmod(0o755)
    env = dict(os.environ, DNNGRADE_PYTHON=str(fake_python))
    subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, check=True, timeout=60)
    lines = calls.read_text().splitlines()
    assert "-m pip install --no-cache-dir %s" % (root / "source" / "kit") in lines
    assert lines[-1] == "-", "after the install, the build log says whether the sandbox starts"


def test_setup_says_in_the_build_log_how_code_is_isolated(archive, tmp_path):
    root = autograder_tree(tmp_path, archive)
    shim = tmp_path / "python3"  # the real interpreter, with the kit of the zip; pip does nothing
    shim.write_text('#!/bin/sh\nif [ "$1" = "-m" ] && [ "$2" = "pip" ]; then exit 0; fi\n'
                    'PYTHONPATH="%s" exec "%s" "$@"\n' % (root / "source" / "kit", sys.executable))
    shim.chmod(0o755)
    env = dict(os.environ, DNNGRADE_PYTHON=str(shim))
    completed = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True,
                               timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert "setup.sh: the bubblewrap sandbox" in completed.stdout, completed.stdout


def test_several_notebooks_grade_the_assignment_and_say_which(archive, notebooks_dir, tmp_path):
    root = autograder_tree(tmp_path, archive, notebooks_dir / "solution" / release.solution_notebook())
    other = root / "submission" / "scratch_work.ipynb"
    other.write_bytes((notebooks_dir / "student" / release.student_notebook()).read_bytes().replace(
        b"def L_model_backward", b"def something_else"))
    os.utime(other, (2e9, 2e9))  # the newest file, but not the assignment
    results = run_autograder(root)
    assert results["score"] == 100, "the assignment's notebook was graded, not the newest file"
    which = results["tests"][0]
    assert which["name"] == "Which notebook was graded" and which["visibility"] == "visible"
    assert "Graded: %s" % release.solution_notebook() in which["output"] and "scratch_work.ipynb" in which["output"]


def test_the_top_level_output_keeps_what_the_tests_hold_back(archive, notebooks_dir, tmp_path):
    root = autograder_tree(tmp_path, archive, notebooks_dir / "student" / release.student_notebook())
    results = run_autograder(root)
    assert results["visibility"] == "after_published"
    assert "points" not in results["output"] and "when grades are published" in results["output"]
    for test in results["tests"]:
        if "sandbox" in test["name"]:  # how the grader isolates code: the instructor's business
            assert test["visibility"] == "hidden", test


@pytest.mark.parametrize("notebook, score", [
    ("solution/" + release.solution_notebook(), 100),
    ("student/" + release.student_notebook(), 0),
])
def test_run_autograder_writes_gradescope_results(archive, notebooks_dir, tmp_path, notebook, score):
    root = autograder_tree(tmp_path, archive, notebooks_dir / notebook)
    results = run_autograder(root)
    assert_gradescope_shape(results)
    assert results["score"] == score
    graded = {test["name"]: test for test in results["tests"] if test["max_score"] > 0}
    assert sum(test["max_score"] for test in graded.values()) == 100
    # every test that scores hidden cases is held back until the grades are published
    assert {test["visibility"] for test in graded.values()} == {"after_published"}
    assert any(test["visibility"] == "visible" for test in results["tests"])


def test_run_autograder_without_a_notebook_explains(archive, tmp_path):
    root = autograder_tree(tmp_path, archive)
    (root / "submission" / "answers.py").write_text("print('hello')\n")
    results = run_autograder(root)
    assert_gradescope_shape(results)
    assert results["score"] == 0 and results["tests"] == []
    assert "No notebook" in results["output"]


def test_notes_about_the_sandbox_are_hidden_from_students_and_reasons_are_not():
    from graders.assignment import current
    from graders.grade import zero_result
    from graders.render.results import to_gradescope
    from graders.result import NotebookEvent

    graded = zero_result(current().spec, "nb.ipynb", "graded", "no marks", "cell_error")
    graded.events.append(NotebookEvent("sandbox", "strong sandbox off (bubblewrap is not installed): ..."))
    tests = {test["name"]: test for test in to_gradescope(graded)["tests"]}
    assert tests["Notebook note 2: sandbox"]["visibility"] == "hidden"
    assert tests["Notebook note 1: cell_error"]["visibility"] == "visible"
    unreadable = zero_result(current().spec, "nb.ipynb", "unreadable", "Not graded: not valid JSON", "unreadable")
    results = to_gradescope(unreadable)
    assert "not valid JSON" in results["output"], "a notebook that could not be read says why, at once"
