"""End-to-end grading of fixture notebooks, each named for what is wrong with it."""

import json
import re
from pathlib import Path

import pytest

from graders import scoring
from graders.assignment import current
from graders.cli import main
from graders.grade import Grader, Limits, grade_notebook
from graders.kit.nbbuild import edited_source, notebook_bytes, solution_cells
from graders.portable import checks
from graders.render.results import to_gradescope, to_text
from tests.fixtures.build import HERE, fixtures

SPEC = current().spec
FAST = Limits(cell_seconds=3, call_seconds=0.5, notebook_seconds=30)

# fixture -> (function that is wrong, rung of its first failing case, message template it uses)
FAILING = {
    "fails_all_stubs_not_implemented.ipynb": (None, "structure", checks.MSG_NOT_IMPLEMENTED),
    "fails_linear_forward_not_defined_misnamed.ipynb": ("linear_forward", "defined", checks.MSG_MISSING),
    "fails_compute_cost_not_callable.ipynb": ("compute_cost", "defined", checks.MSG_NOT_CALLABLE),
    "fails_linear_backward_raises.ipynb": ("linear_backward", "callable", checks.MSG_RAISED),
    "fails_L_model_forward_hangs.ipynb": ("L_model_forward", "callable", checks.MSG_TIMEOUT),
    "fails_linear_forward_structure_one_item.ipynb": ("linear_forward", "structure", checks.MSG_WRONG_LENGTH),
    "fails_L_model_backward_structure_missing_db.ipynb": ("L_model_backward", "structure", checks.MSG_MISSING_KEY),
    "fails_initialize_parameters_types_list.ipynb": ("initialize_parameters", "types", checks.MSG_NOT_ARRAY),
    "fails_linear_backward_db_shape.ipynb": ("linear_backward", "shapes", checks.MSG_SHAPE),
    "fails_compute_cost_shape_not_squeezed.ipynb": ("compute_cost", "shapes", checks.MSG_SCALAR_SHAPE),
    "fails_initialize_parameters_deep_dtype_int_bias.ipynb": ("initialize_parameters_deep", "dtype", checks.MSG_DTYPE),
    "fails_linear_backward_dW_values_missing_1_over_m.ipynb": ("linear_backward", "values", checks.MSG_VALUES_PUBLIC),
    "fails_compute_cost_values_nan.ipynb": ("compute_cost", "values", checks.MSG_NOT_FINITE),
    "fails_update_parameters_modifies_inputs.ipynb": ("update_parameters", "inputs_unmodified",
                                                      checks.MSG_MUTATED_IN_PLACE),
    "fails_update_parameters_w4a1_signature_rebinds_callers_dict.ipynb": ("update_parameters", "inputs_unmodified",
                                                                         checks.MSG_MUTATED_REBOUND),
    "fails_linear_backward_db_shape_without_the_first_versions_template.ipynb": ("linear_backward", "shapes",
                                                                                 checks.MSG_SHAPE),
    "fails_linear_backward_first_versions_squeezed_db_in_a_later_versions_notebook.ipynb": (
        "linear_backward", "shapes", checks.MSG_SHAPE),
    "fails_syntax_error_in_one_cell.ipynb": ("compute_cost", "defined", checks.MSG_MISSING),
    "fails_linear_forward_precision_float32.ipynb": ("linear_forward", "precision", checks.MSG_PRECISION),
}
FULL_MARKS = [
    "passes_reference_solution.ipynb",
    "passes_correct_alternatives.ipynb",
    "passes_with_magics_and_old_support_imports.ipynb",
    "passes_update_parameters_pre_w4a1_template_updates_callers_dict.ipynb",
    "passes_linear_backward_first_version_template_squeezes_db_and_asserts_a_float.ipynb",
    "graded_nbformat3_reference_solution.ipynb",
]
UNREADABLE = sorted(name for name in fixtures() if name.startswith("unreadable_"))


@pytest.fixture(scope="module")
def grader():
    with Grader(limits=FAST) as shared:
        yield shared


def template_head(template):
    """The fixed text a message template starts with, up to its first placeholder."""
    return template.split("{")[0] or template.split("}")[1].split("{")[0]


def test_fixture_files_are_current():
    for name, data in fixtures().items():
        assert (HERE / name).read_bytes() == data, "run python -m tests.fixtures.build (%s)" % name


@pytest.mark.parametrize("name", FULL_MARKS)
def test_correct_notebooks_get_full_marks(grader, name):
    result = grader.grade_path(HERE / name)
    assert result.status == "graded"
    assert result.score == result.max_score == SPEC.total_points, to_text(result)


@pytest.mark.parametrize("name", sorted(FAILING))
def test_each_rung_fails_where_it_should(grader, name):
    function, rung, template = FAILING[name]
    result = grader.grade_path(HERE / name)
    assert result.status == "graded"
    targets = [function] if function else list(SPEC.functions)
    for target in targets:
        graded = result.function(target)
        first = next(c for c in graded.cases if c.rung != checks.PASSED)
        assert graded.score < graded.max_score
        assert first.rung == rung, first.message
        assert template_head(template).strip() in first.message
    # a mistake costs points once: the functions that call the wrong one are graded with a correct one
    untouched = set(SPEC.functions) - set(targets)
    for other in untouched:
        assert result.function(other).status == "passed", to_text(result)


def test_stub_notebook_scores_zero_with_not_implemented_everywhere(grader):
    result = grader.grade_path(HERE / "fails_all_stubs_not_implemented.ipynb")
    assert result.score == 0
    for function in result.functions:
        assert "not implemented yet" in function.cases[0].message


def test_a_hanging_function_costs_only_its_own_points(grader):
    result = grader.grade_path(HERE / "fails_L_model_forward_hangs.ipynb")
    assert result.function("L_model_forward").score == 0
    assert result.score == SPEC.total_points - SPEC.functions["L_model_forward"].points
    assert any("did not finish within" in c.message for c in result.function("L_model_forward").cases)
    stopped = [c for c in result.function("L_model_forward").cases if c.timed_out]
    assert stopped and all("did not finish within" in c.message for c in stopped)
    assert not any(c.timed_out for f in result.functions if f.name != "L_model_forward" for c in f.cases)


def test_a_hanging_cell_is_stopped_and_the_next_cells_still_run():
    from graders.kit.nbbuild import notebook_bytes, solution_cells

    cells = solution_cells()
    cells.insert(3, "import time\nwhile True:\n    time.sleep(0.01)\n")
    with Grader(limits=Limits(cell_seconds=0.5, call_seconds=1)) as grader:
        result = grader.grade_bytes(notebook_bytes(cells), "hangs.ipynb")
    assert result.score == SPEC.total_points
    assert any(e.kind == "cell_timeout" and e.cell == 4 for e in result.events)


def test_dependency_failures_are_named(grader):
    result = grader.grade_path(HERE / "fails_linear_backward_dW_values_missing_1_over_m.ipynb")
    # L_model_backward's own code is right: it earns its points, and its note names the mistake
    backward = result.function("L_model_backward")
    assert backward.status == "passed"
    assert "fix linear_backward" in " ".join(backward.notes) and "correct linear_activation_backward" in \
        " ".join(backward.notes)


def test_syntax_error_points_at_the_cell(grader):
    result = grader.grade_path(HERE / "fails_syntax_error_in_one_cell.ipynb")
    assert any(e.kind == "cell_error" and "SyntaxError" in e.message for e in result.events)
    assert any("Cell 7 failed" in note for note in result.function("compute_cost").notes)


def test_hidden_case_messages_never_show_expected_values(grader):
    result = grader.grade_path(HERE / "fails_linear_backward_dW_values_missing_1_over_m.ipynb")
    hidden = [c for c in result.function("linear_backward").cases if c.visibility == "hidden" and c.rung != "passed"]
    assert hidden
    for case in hidden:
        assert "expected:" not in case.message and "[[" not in case.message
        assert "too large" in case.message or "times the right value" in case.message, case.message


@pytest.mark.parametrize("name", UNREADABLE)
def test_unreadable_notebooks_get_a_result_and_a_clear_message(grader, name):
    result = grader.grade_path(HERE / name)
    assert result.status == "unreadable" and result.score == 0
    assert result.events[0].kind == "unreadable"
    assert result.events[0].message.startswith("Not graded:")
    assert [f.name for f in result.functions] == list(SPEC.functions)


def test_oversized_notebook_is_not_run(tmp_path):
    path = tmp_path / "big.ipynb"
    path.write_bytes((HERE / "passes_reference_solution.ipynb").read_bytes())
    with Grader(limits=Limits(max_notebook_bytes=1000)) as grader:
        for result in (grader.grade_path(path), grader.grade_bytes(path.read_bytes(), "big.ipynb")):
            assert result.status == "unreadable" and "over the 1,000-byte limit" in result.events[0].message


def test_public_only_runs_only_public_cases():
    result = grade_notebook(HERE / "passes_reference_solution.ipynb", public_only=True)
    assert result.public_only and result.score == SPEC.total_points
    assert {c.visibility for f in result.functions for c in f.cases} == {"public"}


def test_partial_credit_follows_the_spec(grader):
    shares = SPEC.functions["linear_backward"].items
    # db of the wrong shape: dA_prev and dW keep their shares of every case, db's is lost
    result = grader.grade_path(HERE / "fails_linear_backward_db_shape.ipynb")
    linear_backward = result.function("linear_backward")
    assert all(c.credit == pytest.approx(shares["dA_prev"] + shares["dW"]) for c in linear_backward.cases)
    assert all("(dA_prev and dW are right on this case" in c.message for c in linear_backward.cases)
    # dW with the wrong values (right shape): dW keeps the shapes step of its share
    result = grader.grade_path(HERE / "fails_linear_backward_dW_values_missing_1_over_m.ipynb")
    credits = {c.credit for c in result.function("linear_backward").cases}
    partly = shares["dA_prev"] + shares["db"] + shares["dW"] * SPEC.partial_credit["shapes"]
    assert {round(c, 6) for c in credits} == {round(partly, 6), 1.0}
    result = grader.grade_path(HERE / "fails_update_parameters_modifies_inputs.ipynb")
    update = result.function("update_parameters")
    assert update.score == pytest.approx(update.max_score * SPEC.partial_credit["values"])


def test_a_wrong_item_no_longer_zeroes_the_right_ones(grader):
    """Overwriting the caches list in L_model_forward (a common real mistake) keeps AL's share."""
    cells = solution_cells({"L_model_forward": edited_source("L_model_forward", "caches.append(cache)",
                                                             "caches = cache")})
    result = grader.grade_bytes(notebook_bytes(cells), "caches_overwritten.ipynb")
    forward = result.function("L_model_forward")
    share = SPEC.functions["L_model_forward"].items["AL"]
    assert forward.score == pytest.approx(forward.max_score * share)
    assert all(c.rung == "structure" and "(AL is right on this case" in c.message for c in forward.cases)
    # a value that does not split (a bare array for (AL, caches)) earns nothing, as before
    cells = solution_cells({"L_model_forward": edited_source("L_model_forward", "return AL, caches", "return AL")})
    result = grader.grade_bytes(notebook_bytes(cells), "bare_array.ipynb")
    assert result.function("L_model_forward").score == 0


def test_dict_returns_split_over_their_keys(grader):
    """Every b updated with twice the learning rate: the W keys keep their shares, each b key keeps
    the shapes step of its own (the keys share a case equally)."""
    cells = solution_cells({"update_parameters": edited_source(
        "update_parameters", '- learning_rate * grads["db"', '- 2 * learning_rate * grads["db"')})
    result = grader.grade_bytes(notebook_bytes(cells), "b_learning_rate_twice.ipynb")
    update = result.function("update_parameters")
    expected = 0.5 + 0.5 * SPEC.partial_credit["shapes"]
    assert all(c.credit == pytest.approx(expected) for c in update.cases), [c.credit for c in update.cases]
    assert update.score == pytest.approx(update.max_score * expected)


def test_gradescope_json_has_one_test_per_function(tmp_path, capsys):
    out = tmp_path / "results.json"
    assert main(["grade", str(HERE / "fails_linear_backward_db_shape.ipynb"), "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert set(data) >= {"score", "execution_time", "output", "tests"}
    names = [t["name"] for t in data["tests"]]
    graded = [n for n in names if n in SPEC.functions]
    assert graded == list(SPEC.functions)
    assert all(n not in SPEC.functions for n in names[len(graded):])
    for test in data["tests"]:
        assert set(test) >= {"name", "score", "max_score", "status", "output", "visibility"}
    assert data["score"] == sum(t["score"] for t in data["tests"])


def test_cli_prints_json_and_exits_zero_for_an_unreadable_file(capsys):
    assert main(["grade", str(HERE / "unreadable_truncated.ipynb"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["score"] == 0 and "not valid JSON" in data["tests"][0]["output"]


def test_cli_usage_error_for_a_missing_file(capsys):
    assert main(["grade", "/nonexistent/x.ipynb"]) == 1
    assert "no file at" in capsys.readouterr().err


def test_render_text_and_gradescope_are_pure(grader):
    result = grader.grade_path(HERE / "passes_reference_solution.ipynb")
    assert to_text(result) == to_text(result)
    assert to_gradescope(result)["score"] == SPEC.total_points
    assert Path(result.submission).name == "passes_reference_solution.ipynb"


def test_an_assert_that_fails_on_valid_inputs_costs_nothing_and_is_named(grader):
    name = "passes_linear_backward_first_version_template_squeezes_db_and_asserts_a_float.ipynb"
    result = grader.grade_path(HERE / name)
    graded = result.function("linear_backward")
    assert graded.score == graded.max_score
    (note,) = [n for n in graded.notes if n.startswith(scoring.MSG_ASSERTS.split("{")[0])]
    assert scoring.MSG_ASSERTS_HARMLESS in note and "line 11" in note  # assert (isinstance(db, float))


@pytest.mark.parametrize("name, status", [("passes_reference_solution.ipynb", "passed"),
                                          ("fails_linear_backward_dW_values_missing_1_over_m.ipynb", "failed")])
def test_the_visible_public_summary_fails_when_a_public_case_fails(grader, name, status):
    tests = to_gradescope(grader.grade_path(HERE / name))["tests"]
    (summary,) = [test for test in tests if test["name"].startswith("Public cases")]
    assert summary["status"] == status and summary["visibility"] == "visible"


def test_course_style_stubs_say_not_implemented_yet(grader):
    """Placeholders of the course's templates (``W1 = None``, ``Z, cache = None``,
    ``raise NotImplementedError()``) read as "not implemented yet", not as a NoneType error."""
    from tests.fixtures.build import COURSE_STYLE_STUBS

    result = grader.grade_path(HERE / "fails_course_style_stubs_not_implemented.ipynb")
    for name in COURSE_STYLE_STUBS:
        graded = result.function(name)
        first = next(c for c in graded.cases if c.rung != checks.PASSED)
        assert graded.score == 0 and "looks not implemented yet" in first.message, (name, first.message)
        assert "NoneType" not in first.message
    for name in ("initialize_parameters_deep", "linear_backward", "linear_activation_backward"):
        assert result.function(name).status == "passed"


def test_course_test_cells_that_miss_their_helpers_are_one_informational_note(grader):
    result = grader.grade_path(HERE / "passes_with_magics_and_old_support_imports.ipynb")
    assert result.score == result.max_score
    (event,) = [e for e in result.events if e.kind == "course_tests"]
    assert "linear_forward_test" in event.message and "testCases_v4a" in event.message
    assert not [e for e in result.events if e.kind == "cell_error" and "_test" in e.message]
    (test,) = [t for t in to_gradescope(result)["tests"] if t["output"] == event.message]
    assert test["status"] == "passed"


def test_a_name_error_for_a_name_the_notebook_defines_is_still_a_cell_error():
    from graders.scoring import notebook_events

    sources = ["from testCases import *\n", "def helper():\n    pass\n", "helper2()\n"]
    reports = [{"index": 2, "status": "error", "detail": "NameError: name 'helper' is not defined (cell 3, line 1)"},
               {"index": 2, "status": "error", "detail": "NameError: name 'helper2' is not defined (cell 3, line 1)"}]
    kinds = [event.kind for event in notebook_events(reports, None, sources)]
    assert kinds == ["cell_error", "course_tests"]
    assert [e.kind for e in notebook_events(reports[1:], None, sources[1:])] == ["cell_error"]  # no star import


def test_functions_that_miss_a_name_from_a_failed_import_cell_say_so(grader):
    result = grader.grade_path(HERE / "fails_every_function_after_an_import_cell_that_fails.ipynb")
    failed = [function for function in result.functions if function.status == "failed"]
    # update_parameters needs no import; L_model_forward uses none of its names itself, so with a
    # correct linear_activation_forward in place of the failing one it is right
    assert {f.name for f in result.functions if f.status == "passed"} == {"update_parameters", "L_model_forward"}
    for function in failed:
        assert function.score == 0
        assert any(note.startswith("Cell 1 failed (ModuleNotFoundError") and ", which it imports, is undefined" in note
                   for note in function.notes), function.notes


def test_a_helper_no_cell_imports_is_named_with_the_line_that_imports_it(grader):
    from graders import rerun, scoring

    result = grader.grade_path(HERE / "fails_every_function_when_the_import_cell_is_replaced_by_other_code.ipynb")
    graded = result.function("linear_activation_backward")
    assert graded.status == "failed"
    line = "from dnn_utils import sigmoid, sigmoid_backward, relu, relu_backward"
    assert any(note.startswith(scoring.MSG_IMPORT_MISSING.split("{")[0]) or
               (" is not defined in any cell that ran" in note and line in note) for note in graded.notes), graded.notes
    for function in result.functions:
        if function.status == "failed":
            # its own formula is right: what fails is a name, and the feedback says which
            assert rerun.MSG_WRONG_WITH_HELPER.split(":")[1].strip() not in " ".join(function.notes), function.notes
    notes = " ".join(result.function("L_model_backward").notes)
    assert "np is not defined when it runs" in notes and "Cell 1 failed" in notes, notes


def _without_timings(result):
    data = to_gradescope(result)
    data.pop("execution_time", None)
    return json.dumps(data, sort_keys=True)


def test_every_fixture_and_variant_gets_the_same_grade_singly_and_in_a_batch(grader):
    """Same notebook, same grade: run one by one on a warm worker, then pipelined in a batch on a
    fresh worker (another process, so another hash seed if the worker did not fix it)."""
    from assignments.dnn_step_by_step.mistakes import VARIANTS
    from graders.audit import variant_notebook

    # a notebook that hangs is stopped by the clock, and how far it gets is a timing, not a grade
    notebooks = [(name, data) for name, data in sorted(fixtures().items()) if "hangs" not in name]
    notebooks += [(v.id + ".ipynb", variant_notebook(v)) for v in VARIANTS]
    single = {name: _without_timings(grader.grade_bytes(data, name)) for name, data in notebooks}
    with Grader() as fresh:
        batch = {r.submission: _without_timings(r) for r in fresh.grade_many(notebooks)}
    assert batch == single


def test_the_worker_fixes_the_hash_seed():
    import subprocess
    import sys

    from graders.kit.nbbuild import notebook_bytes, solution_cells

    source = 'def compute_cost(AL, Y):\n    return float(hash("W1") % 1000)\n'
    with Grader() as fresh:
        result = fresh.grade_bytes(notebook_bytes(solution_cells({"compute_cost": source})), "hash.ipynb")
    fixed = subprocess.run([sys.executable, "-c", 'print(float(hash("W1") % 1000))'], capture_output=True,
                           text=True, env={"PYTHONHASHSEED": "0", "PATH": "/usr/bin:/bin"}).stdout.strip()
    first = next(c for c in result.function("compute_cost").cases if c.visibility == "public")
    assert "got:      %s" % fixed.rstrip("0").rstrip(".") in first.message or "got:      %s" % fixed in first.message


def test_an_error_points_at_the_students_call_and_then_where_it_failed(grader):
    """An error raised in a helper is placed at the line of the graded function that called it,
    then at the line that failed, both quoted from the student's cells."""
    from graders.kit.nbbuild import notebook_bytes, solution_cells, solution_source

    result = grader.grade_path(HERE / "fails_linear_backward_raises.ipynb")
    own = result.function("linear_backward").cases[0].message
    assert re.search(r"\(cell \d+, line \d+: `dW = np\.dot\(dZ, A_prev\) / m`\)", own), own
    # (its caller is right when given a correct linear_backward, so it passes: see test_rerun)
    assert result.function("linear_activation_backward").status == "passed"
    helper = "def weight_gradient(dZ, A_prev, m):\n    return np.dot(dZ, A_prev) / m\n\n"
    source = helper + solution_source("linear_backward").replace(
        "dW = np.dot(dZ, A_prev.T) / m", "dW = weight_gradient(dZ, A_prev, m)")
    result = grader.grade_bytes(notebook_bytes(solution_cells({"linear_backward": source})), "helper.ipynb")
    own = result.function("linear_backward").cases[0].message
    assert re.search(r"\(cell \d+, line \d+: `dW = weight_gradient\(dZ, A_prev, m\)`; it failed in "
                     r"cell \d+, line \d+: `return np\.dot\(dZ, A_prev\) / m`\)", own), own


def test_the_fix_that_first_note_names_a_helper_only_when_the_code_calls_it(grader):
    """linear_backward is wrong; a linear_activation_backward that does its own linear step does
    not call it, so its feedback does not blame it."""
    from graders.kit.nbbuild import edited_source, notebook_bytes, solution_cells

    inline = '''
def linear_activation_backward(dA, cache, activation):
    (A_prev, W, b), Z = cache
    dZ = relu_backward(dA, Z) if activation == "relu" else sigmoid_backward(dA, Z)
    m = A_prev.shape[1]
    return np.dot(W.T, dZ), np.dot(dZ, A_prev.T) / m, np.sum(dZ, axis=1, keepdims=True) / m * 2
'''
    wrong = edited_source("linear_backward", "dW = np.dot(dZ, A_prev.T) / m", "dW = np.dot(dZ, A_prev.T)")
    data = notebook_bytes(solution_cells({"linear_backward": wrong, "linear_activation_backward": inline}))
    result = grader.grade_bytes(data, "inline.ipynb")
    notes = result.function("linear_activation_backward").notes
    assert result.function("linear_activation_backward").status == "failed"
    assert not [note for note in notes if "calls linear_backward" in note], notes
    calls = result.function("L_model_backward").notes  # it does call linear_activation_backward
    assert [note for note in calls if "correct linear_activation_backward" in note], calls


def test_limit_defaults_are_stated_once_and_a_run_without_limits_gets_them():
    from graders.sandbox.limits import Limits
    from graders.worker.defaults import DEFAULTS, limit

    assert {name: value for name, value in Limits().worker_limits().items() if name in DEFAULTS} == DEFAULTS
    assert set(DEFAULTS) <= set(Limits().worker_limits())
    for name, value in DEFAULTS.items():  # missing, zero, negative or not a number: the default, never none
        for given in ({}, {name: 0}, {name: -1}, {name: "7"}, {name: True}, {name: float("nan")}):
            assert limit(given, name) == value
    assert limit({"memory_mb": 512}, "memory_mb") == 512 and limit({"call_seconds": 0.5}, "call_seconds") == 0.5


def test_the_named_mistake_is_a_field_of_the_function_result(grader):
    from graders.portable.likely import MSG_DIAGNOSIS
    from graders.result import result_from_dict

    result = grader.grade_path(HERE / "fails_linear_backward_dW_values_missing_1_over_m.ipynb")
    function = result.function("linear_backward")
    assert function.diagnosis and MSG_DIAGNOSIS.format(sentence=function.diagnosis) in function.notes
    assert not any(f.diagnosis for f in result.functions if f.name != "linear_backward" and f.status == "passed")
    assert result_from_dict(result.to_dict()).function("linear_backward").diagnosis == function.diagnosis
