"""The second assignment pack, "Deep Neural Network: Application", graded by the same engine:
its own CI checks, grading and batches end to end in the sandbox, its self-check, and the rule that
a gradebook holds one assignment's grades."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from graders.assignment import ASSIGNMENTS_DIR, find_assignment, load_assignment, select
from graders.batch.gradebook import Gradebook
from graders.errors import UserError

REPO = Path(__file__).resolve().parent.parent
APP = load_assignment(ASSIGNMENTS_DIR / "dnn_application")


def dnngrade(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graders.cli", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=300, env=env)


@pytest.fixture
def application():
    """The second pack selected in this process (the first one again afterwards)."""
    before = find_assignment(os.environ.get("DNNGRADE_ASSIGNMENT"))
    yield select(APP)
    select(before)


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    """The pack's solution, its blank student template and a notebook with one known mistake."""
    from graders.kit.nbbuild import notebook_bytes, solution_cells

    before = find_assignment(os.environ.get("DNNGRADE_ASSIGNMENT"))
    select(APP)
    try:
        folder = tmp_path_factory.mktemp("application")
        (folder / "solution.ipynb").write_bytes(notebook_bytes(solution_cells()))
        (folder / "blank.ipynb").write_bytes((APP.folder / "student.ipynb").read_bytes())
        mistake = APP.mistakes.variant("L_layer_model.cost_recorded_every_step")
        (folder / "costs_every_step.ipynb").write_bytes(
            notebook_bytes(solution_cells({mistake.function: mistake.source})))
    finally:
        select(before)
    return folder


@pytest.mark.parametrize("command", [["cases", "--check"], ["assign", "--check"], ["audit"]])
def test_the_packs_own_ci_checks_pass(command):
    completed = dnngrade(*command, "--assignment", "dnn_application")
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_reference_gets_full_marks_and_the_blank_template_none_in_the_sandbox(notebooks):
    scores = {}
    for name in ("solution.ipynb", "blank.ipynb"):
        completed = dnngrade("grade", "--assignment", "dnn_application", "--sandbox", "bwrap", "--json",
                             str(notebooks / name))
        assert completed.returncode == 0, completed.stderr
        scores[name] = json.loads(completed.stdout)["score"]
    assert scores == {"solution.ipynb": 100.0, "blank.ipynb": 0.0}


def test_a_mistake_loses_its_share_and_is_named(notebooks, application):
    from graders.grade import Grader

    with Grader(sandbox="process") as grader:
        result = grader.grade_path(notebooks / "costs_every_step.ipynb")
    assert result.function("two_layer_model").score == 50
    wrong = result.function("L_layer_model")
    # the parameters are right (80% of every case); the costs are not
    assert 0 < wrong.score < 50 and "every 100 steps only" in wrong.diagnosis
    assert result.assignment == "dnn_application"


def test_a_batch_of_the_pack_records_its_assignment_and_refuses_another(notebooks, tmp_path):
    book = tmp_path / "application.sqlite"
    completed = dnngrade("batch", str(notebooks), "--gradebook", str(book), "--assignment", "dnn_application",
                         "--quiet")
    assert completed.returncode == 0, completed.stderr
    with Gradebook(book) as opened:
        assert opened.assignment() == "dnn_application" and opened.count() == 3
    other = dnngrade("batch", str(notebooks), "--gradebook", str(book), "--assignment", "dnn_step_by_step",
                     "--quiet")
    assert other.returncode == 1 and "holds the grades of the assignment 'dnn_application'" in other.stderr
    exported = dnngrade("export", "--gradebook", str(book), "--format", "csv", "--out", str(tmp_path / "g.csv"))
    assert exported.returncode == 0, exported.stderr  # the gradebook says which pack it holds
    assert "two_layer_model" in (tmp_path / "g.csv").read_text()


def test_without_a_choice_several_packs_are_listed():
    env = {key: value for key, value in os.environ.items() if key != "DNNGRADE_ASSIGNMENT"}
    completed = dnngrade("cases", "--check", env=env)
    assert completed.returncode == 1
    assert "2 assignment packs are installed" in completed.stderr and "dnn_application, dnn_step_by_step" in \
        completed.stderr


def test_an_unknown_pack_is_named_with_the_installed_ones():
    with pytest.raises(UserError, match="no assignment pack named 'nope'; the installed ones are: dnn_application"):
        find_assignment("nope")


STEAL = '''
import glob, json
def _decode(tree):
    if isinstance(tree, dict) and "__ndarray__" in tree:
        return np.array(tree["__ndarray__"], dtype=tree["dtype"]).reshape(tree["shape"])
    if isinstance(tree, dict) and "__tuple__" in tree:
        return tuple(_decode(item) for item in tree["__tuple__"])
    if isinstance(tree, dict):
        return {key: _decode(value) for key, value in tree.items()}
    if isinstance(tree, list):
        return [_decode(item) for item in tree]
    return tree
def two_layer_model(X, Y, layers_dims, learning_rate=0.0075, num_iterations=3000, print_cost=False):
    import sys
    # where the grader runs from and where it is installed: what every mode promises to hide (the
    # security suite walks the whole file system in the sandbox, tests/security/test_second_pack.py)
    found = glob.glob("%s/**/hidden.json", recursive=True)
    for prefix in {sys.prefix, sys.base_prefix}:
        found += glob.glob(prefix + "/lib/python3*/site-packages/assignments/dnn_application/cases/hidden.json")
    for path in found:
        try:
            for case in json.load(open(path))["cases"]:
                args = _decode(case["args"])
                if case["function"] == "two_layer_model" and args[0].shape == X.shape and np.allclose(args[0], X):
                    return _decode(case["expected"])
        except Exception:
            pass
    return None, None
'''


def test_student_code_cannot_read_this_packs_hidden_cases(application):
    """The attack returns a hidden case's expected value whenever it can read the hidden cases (it
    would then pass those cases); in every mode it finds nothing and earns nothing."""
    from graders.grade import Grader
    from graders.kit.nbbuild import import_cell, notebook_bytes

    notebook = notebook_bytes([import_cell(), STEAL % REPO])
    modes = ("bwrap", "process") if os.geteuid() == 0 or sys.platform.startswith("linux") else ("process",)
    for sandbox in modes:
        with Grader(sandbox=sandbox) as grader:
            result = grader.grade_bytes(notebook, "steal.ipynb")
        assert result.function("two_layer_model").score == 0, (sandbox, result.function("two_layer_model"))


def test_the_attack_would_pass_where_it_could_read_them(application):
    """The same function, run here (where the hidden cases are readable), does pass them: the test
    above would catch a sandbox that let it read."""
    import numpy as np

    from graders.cases import load_case_set

    namespace = {"np": np}
    exec(STEAL % REPO, namespace)
    hidden = [case for case in load_case_set() if case.function == "two_layer_model" and case.visibility == "hidden"]
    returned = namespace["two_layer_model"](*hidden[0].args)
    assert returned[0] is not None and np.allclose(returned[0]["W1"], hidden[0].expected[0]["W1"])


def test_the_helpers_file_students_get_stands_alone(tmp_path):
    script = ("import sys, dnn_app_utils_v3 as h; assert not [m for m in sys.modules if m.split('.')[0] in "
              "('graders', 'reference', 'assignments')], 'imports the kit'; "
              "print(sorted(n for n in dir(h) if not n.startswith('_')))")
    (tmp_path / "dnn_app_utils_v3.py").write_bytes((APP.folder / "dnn_app_utils_v3.py").read_bytes())
    completed = subprocess.run([sys.executable, "-E", "-c", script], cwd=tmp_path, capture_output=True,
                               text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert completed.returncode == 0, completed.stderr
    assert "L_model_backward" in completed.stdout and "load_data" in completed.stdout


def test_a_loop_that_runs_out_of_time_is_compared_with_the_reference(tmp_path, application):
    import inspect

    import reference.dnn_app
    from graders.grade import Grader
    from graders.kit.nbbuild import notebook_bytes, solution_cells
    from graders.sandbox.limits import Limits

    source = inspect.getsource(reference.dnn_app.two_layer_model)
    loop = "    for i in range(0, num_iterations):\n"
    assert loop in source
    slow = source.replace(loop, loop + "        __import__('time').sleep(0.05)\n", 1)
    path = tmp_path / "slow_loop.ipynb"
    path.write_bytes(notebook_bytes(solution_cells({"two_layer_model": slow})))
    with Grader(sandbox="process", limits=Limits(call_seconds=1.0)) as grader:
        result = grader.grade_path(path)
    slowed = result.function("two_layer_model")
    assert slowed.score < slowed.max_score and any(case.timed_out for case in slowed.cases)
    note = next(note for note in slowed.notes if "ran out of time" in note)
    # the reference's time is said coarsely (the same words on any machine), with the pack's hint
    assert "stopped after 1 s, where the reference finishes in under" in note
    assert "a Python loop over the examples" in note and "{" not in note
    assert result.function("L_layer_model").score == 50
