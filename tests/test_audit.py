"""The mutation audit: every variant graded through the real grading path, with one warm Grader."""

import copy
import inspect
import json

import nbformat
import numpy as np
import pytest

import reference
import reference.dnn
from assignments.dnn_step_by_step.mistakes import VARIANTS, correct_variants, variant, wrong_variants
from graders import audit
from graders.assignment import current
from graders.audit import (
    CAUGHT,
    FULL_MARKS,
    NOT_GRADED,
    PENALISED,
    SURVIVED,
    AuditReport,
    judge_variant,
    run_audit,
    to_text,
    variant_notebook,
)
from graders.cases import load_case_set
from graders.cli import main
from graders.grade import Grader
from graders.kit.nbbuild import notebook_bytes, solution_cells, solution_source
from graders.portable.checks import judge_outcome
from graders.result import FunctionResult, GradeResult, NotebookEvent

SPEC = current().spec


@pytest.fixture(scope="module")
def grader():
    with Grader() as shared:
        yield shared


@pytest.fixture(scope="module")
def report(grader):
    return run_audit(grader=grader)


def graded(lost=(), notes=None):
    """A GradeResult where the functions in ``lost`` lost a point; ``notes`` maps function -> notes
    (a "Likely mistake: " note names its mistake in the result's ``diagnosis`` too, as scoring does)."""
    prefix = "Likely mistake: "

    def named(name):
        found = [note[len(prefix):] for note in (notes or {}).get(name, []) if note.startswith(prefix)]
        return found[0] if found else ""

    functions = [FunctionResult(name, spec.points - (1 if name in lost else 0), spec.points,
                                notes=list((notes or {}).get(name, [])), diagnosis=named(name))
                 for name, spec in SPEC.functions.items()]
    return GradeResult("x.ipynb", sum(f.score for f in functions), SPEC.total_points, functions)


# -- notebooks ----------------------------------------------------------------------------------


def test_variant_notebook_is_valid_nbformat_and_replaces_only_its_function():
    entry = variant("linear_backward.db_without_keepdims")
    document = json.loads(variant_notebook(entry))
    nbformat.validate(nbformat.from_dict(document))
    code = ["".join(cell["source"]) for cell in document["cells"] if cell["cell_type"] == "code"]
    defined = [source.split("(")[0] for source in code[1:]]
    assert defined == ["def " + name for name in reference.dnn.GRADED_FUNCTIONS]
    assert entry.source in code
    assert solution_source("linear_backward") not in code
    assert solution_source("linear_forward") in code


def test_reference_notebook_earns_full_marks(grader):
    result = grader.grade_bytes(notebook_bytes(solution_cells()), "reference.ipynb")
    assert result.status == "graded"
    assert result.score == result.max_score


# -- judging ------------------------------------------------------------------------------------


def test_wrong_variant_that_loses_points_is_caught_and_its_diagnosis_recognised():
    entry = variant("linear_backward.dW_missing_1_over_m")
    note = "Likely mistake: " + entry.diagnosis
    outcome = judge_variant(entry, graded(lost={entry.function}, notes={entry.function: [note]}))
    assert outcome.verdict == CAUGHT and outcome.diagnosed and outcome.ok


def test_wrong_variant_named_as_another_mistake_is_not_diagnosed():
    entry = variant("linear_backward.dW_missing_1_over_m")
    other = variant("linear_backward.db_missing_1_over_m")
    notes = {entry.function: ["Likely mistake: " + other.diagnosis]}
    outcome = judge_variant(entry, graded(lost={entry.function}, notes=notes))
    assert outcome.verdict == CAUGHT and outcome.diagnosed is False
    assert other.diagnosis in outcome.diagnosis_shown


def test_wrong_variant_with_full_marks_on_its_function_survives():
    entry = variant("compute_cost.missing_minus")
    outcome = judge_variant(entry, graded(lost={"linear_forward"}))
    assert outcome.verdict == SURVIVED and not outcome.ok


def test_correct_alternative_losing_points_anywhere_is_penalised():
    entry = correct_variants("linear_forward")[0]
    assert judge_variant(entry, graded()).verdict == FULL_MARKS
    outcome = judge_variant(entry, graded(lost={"L_model_forward"}))
    assert outcome.verdict == PENALISED and outcome.lost_on == ["L_model_forward"]


def test_an_ungraded_notebook_fails_the_audit():
    result = GradeResult("x.ipynb", 0.0, SPEC.total_points, status="could_not_grade",
                         events=[NotebookEvent("grader_error", "the worker died")])
    outcome = judge_variant(wrong_variants()[0], result)
    assert outcome.verdict == NOT_GRADED and "the worker died" in outcome.detail
    assert not AuditReport([outcome]).ok


def test_table_lists_survivors_and_penalised_alternatives():
    survivor = judge_variant(variant("compute_cost.missing_minus"), graded())
    penalised = judge_variant(correct_variants("compute_cost")[0], graded(lost={"compute_cost"}))
    text = to_text(AuditReport([survivor, penalised]))
    assert "SURVIVOR" in text and survivor.id in text
    assert "PENALISED" in text and penalised.id in text
    assert "compute_cost" in text.splitlines()[2]


def test_a_mistake_no_public_case_shows_fails_the_audit_and_is_named():
    entry = variant("compute_cost.hard_coded_m")  # m = 3: right on the printed example only
    printed = [case for case in load_case_set(public_only=True) if case.function == "compute_cost"][:1]
    assert not audit.fails_a_public_case(entry, printed)
    assert audit.fails_a_public_case(entry)  # the second public example has m = 5
    outcome = judge_variant(entry, graded(lost={"compute_cost"}))
    outcome.public_caught = False
    assert not outcome.ok and not AuditReport([outcome]).ok
    text = to_text(AuditReport([outcome]))
    assert "UNSEEN" in text and entry.id in text and "assignment.toml" in text


def test_a_wrong_helper_shows_in_the_public_case_of_the_function_that_calls_it():
    """The public L_model_backward example has live ReLU units, so a linear_backward without 1/m
    fails it (with every unit off, all expected gradients but the last bias were exactly 0)."""
    namespace = {"np": np, "sigmoid_backward": reference.sigmoid_backward,
                 "relu_backward": reference.relu_backward}
    for source in (variant("linear_backward.dW_missing_1_over_m").source,
                   inspect.getsource(reference.dnn.linear_activation_backward),
                   inspect.getsource(reference.dnn.L_model_backward)):
        exec(source, namespace)
    cases = [case for case in load_case_set(public_only=True) if case.function == "L_model_backward"]
    verdicts = [judge_outcome("L_model_backward", {"status": "ok"}, case.expected, list(case.args),
                              namespace["L_model_backward"](*copy.deepcopy(list(case.args))),
                              rtol=1e-6, atol=1e-9)
                for case in cases]
    assert all(verdict.rung == "values" for verdict in verdicts)


def test_cli_exits_1_and_names_the_survivor(monkeypatch, capsys):
    survivor = judge_variant(variant("compute_cost.missing_minus"), graded())
    monkeypatch.setattr(audit, "run_audit", lambda variants: AuditReport([survivor]))
    assert main(["audit", "--function", "compute_cost"]) == 1
    assert survivor.id in capsys.readouterr().out


def test_cli_rejects_an_unknown_function(capsys):
    assert main(["audit", "--function", "no_such_function"]) == 1
    assert "no_such_function" in capsys.readouterr().err


def test_cli_json_report(monkeypatch, capsys):
    outcome = judge_variant(variant("compute_cost.missing_minus"), graded(lost={"compute_cost"}))
    monkeypatch.setattr(audit, "run_audit", lambda variants: AuditReport([outcome]))
    assert main(["audit", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] and data["totals"]["wrong_caught"] == 1


# -- the real audit -----------------------------------------------------------------------------


def test_audit_covers_every_variant(report):
    assert [o.id for o in report.outcomes] == [v.id for v in VARIANTS]


@pytest.mark.parametrize("entry", wrong_variants(), ids=lambda v: v.id)
def test_every_wrong_variant_loses_points(report, entry):
    outcome = next(o for o in report.outcomes if o.id == entry.id)
    assert outcome.verdict == CAUGHT, outcome


@pytest.mark.parametrize("entry", wrong_variants(), ids=lambda v: v.id)
def test_every_wrong_variant_fails_a_public_case(report, entry):
    outcome = next(o for o in report.outcomes if o.id == entry.id)
    if entry.hidden_only:
        # said to be one no public case shows: it must be so, or the exemption is not needed
        from graders.audit import fails_a_public_case

        assert outcome.public_caught is None and not fails_a_public_case(entry), entry.id
    else:
        assert outcome.public_caught, outcome


@pytest.mark.parametrize("entry", correct_variants(), ids=lambda v: v.id)
def test_every_correct_alternative_earns_full_marks(report, entry):
    outcome = next(o for o in report.outcomes if o.id == entry.id)
    assert outcome.verdict == FULL_MARKS, outcome


def test_audit_passes_and_names_at_least_80_percent_of_the_mistakes(report):
    assert report.ok
    wrong = [o for o in report.outcomes if o.kind == "wrong"]
    assert sum(1 for o in wrong if o.diagnosed) >= 0.8 * len(wrong)


def test_feedback_never_names_the_wrong_mistake(report):
    by_id = {v.id: v for v in VARIANTS}
    for outcome in report.outcomes:
        if outcome.kind == "wrong" and outcome.diagnosis_shown:
            assert by_id[outcome.id].diagnosis in outcome.diagnosis_shown, outcome.id
