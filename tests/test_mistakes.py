"""The library of mistakes: every wrong variant fails a case, every correct alternative passes all.

Variants run in this process through the same check ladder the grader uses (the audit runs them
through the real grading path, see test_audit.py).
"""

import inspect
import re

import pytest

import reference.dnn
from assignments.dnn_step_by_step.mistakes import (
    CORRECT,
    VARIANTS,
    WRONG,
    correct_variants,
    variant,
    variants_for,
    wrong_variants,
)
from graders.assignment import current
from graders.audit import chain_verdict
from graders.cases import load_case_set
from graders.diagnosis import run_variant, variant_function, variant_outcome
from graders.portable.checks import judge_outcome

SPEC = current().spec
CASES = load_case_set()


def verdicts(entry):
    """The ladder's verdict on every case of the variant's function."""
    fspec = SPEC.functions[entry.function]
    found = []
    for case in CASES:
        if case.function != entry.function:
            continue
        run = run_variant(entry, case)
        verdict = judge_outcome(
            entry.function, variant_outcome(entry, run), case.expected, case.args, run.value, run.args_after,
            rtol=fspec.rtol, atol=fspec.atol, hidden=case.visibility == "hidden", label=case.label,
            may_change_if_first=fspec.may_change_if_first)
        if verdict.passed and case.then:  # a chain case: the next functions take the value on
            verdict = chain_verdict(entry, case, run.value) or verdict
        found.append(verdict)
    return found


@pytest.mark.parametrize("function", reference.dnn.GRADED_FUNCTIONS)
def test_every_graded_function_has_eight_wrong_variants_and_two_correct_ones(function):
    assert len(wrong_variants(function)) >= 8
    assert len(correct_variants(function)) >= 2


def test_variant_ids_are_unique_and_start_with_their_function():
    ids = [entry.id for entry in VARIANTS]
    assert len(ids) == len(set(ids))
    for entry in VARIANTS:
        assert entry.id.startswith(entry.function + ".")
        assert entry.kind in (WRONG, CORRECT)
        assert variant(entry.id) is entry
        assert entry in variants_for(entry.function, entry.kind)


OLDER_SIGNATURES = {"update_parameters": [["parameters", "grads", "learning_rate"]]}  # before W4A1


@pytest.mark.parametrize("entry", VARIANTS, ids=lambda v: v.id)
def test_source_defines_the_graded_function_with_its_signature(entry):
    assert entry.source.lstrip().startswith("def %s(" % entry.function)
    expected = list(inspect.signature(getattr(reference.dnn, entry.function)).parameters)
    published = [expected] + OLDER_SIGNATURES.get(entry.function, [])
    assert list(inspect.signature(variant_function(entry)).parameters) in published


@pytest.mark.parametrize("entry", wrong_variants(), ids=lambda v: v.id)
def test_wrong_variant_fails_at_least_one_case(entry):
    assert any(verdict.passed is False for verdict in verdicts(entry))


@pytest.mark.parametrize("entry", correct_variants(), ids=lambda v: v.id)
def test_correct_alternative_passes_every_case(entry):
    failing = [verdict for verdict in verdicts(entry) if not verdict.passed]
    assert not failing, failing[0].message


@pytest.mark.parametrize("entry", wrong_variants(), ids=lambda v: v.id)
def test_diagnosis_is_a_sentence_without_values(entry):
    sentence = entry.diagnosis
    assert sentence.endswith(".")
    assert not re.search(r"\d\.\d{3,}", sentence), "a diagnosis must not quote computed values"
    assert len(sentence) < 300


def test_correct_alternatives_carry_no_diagnosis():
    assert all(not entry.diagnosis for entry in correct_variants())


def test_wrong_diagnoses_are_distinct_within_a_function():
    for function in reference.dnn.GRADED_FUNCTIONS:
        sentences = [entry.diagnosis for entry in wrong_variants(function)]
        assert len(sentences) == len(set(sentences)), function
