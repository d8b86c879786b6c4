"""diagnose() names each known mistake from what a submission did, and never names one wrongly."""

import numpy as np
import pytest

import reference.dnn
from assignments.dnn_step_by_step.mistakes import correct_variants, variant, wrong_variants
from graders.cases import Case, load_case_set
from graders.diagnosis import diagnose, matching_variant, run_variant, same_value
from graders.portable.wire import Foreign, Subclassed, roundtrip

CASES = load_case_set()
WORKER_SUFFIX = " (cell 7, line 4)"  # the worker appends where the error was raised


def cases_of(function):
    return [case for case in CASES if case.function == function]


def behaviour(entry, cases=None):
    """What the grader would hand to diagnose() for a submission written like ``entry``."""
    outputs, args_after, errors = {}, {}, {}
    for case in cases or cases_of(entry.function):
        run = run_variant(entry, case)
        if run.returned:
            outputs[case.id] = run.value
            args_after[case.id] = run.args_after
        else:
            errors[case.id] = run.error + WORKER_SUFFIX
    return outputs, args_after, errors


def changes_of(entry):
    """How ``entry`` changed its arguments on each case, as the worker reports it."""
    return {case.id: run_variant(entry, case).changes for case in cases_of(entry.function)
            if run_variant(entry, case).returned}


def reference_behaviour(function):
    outputs, args_after = {}, {}
    for case in cases_of(function):
        args = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in case.args]
        if case.seed is not None:
            np.random.seed(case.seed)
        plain = roundtrip({"v": getattr(reference.dnn, function)(*args), "a": list(case.args)})
        outputs[case.id], args_after[case.id] = plain["v"], plain["a"]
    return outputs, args_after


@pytest.mark.parametrize("entry", wrong_variants(), ids=lambda v: v.id)
def test_diagnosis_names_each_wrong_variant(entry):
    outputs, args_after, errors = behaviour(entry)
    cases = cases_of(entry.function)
    changes = changes_of(entry)
    assert diagnose(entry.function, outputs, cases, args_after=args_after, errors=errors,
                    changes=changes) == entry.diagnosis


@pytest.mark.parametrize("entry", wrong_variants(), ids=lambda v: v.id)
def test_outputs_alone_never_name_the_wrong_mistake(entry):
    outputs, _, _ = behaviour(entry)
    assert diagnose(entry.function, outputs, cases_of(entry.function)) in (None, entry.diagnosis)


def test_outputs_alone_name_at_least_80_percent_of_the_mistakes():
    named = [entry for entry in wrong_variants()
             if diagnose(entry.function, behaviour(entry)[0], cases_of(entry.function)) == entry.diagnosis]
    assert len(named) >= 0.8 * len(wrong_variants())


@pytest.mark.parametrize("function", reference.dnn.GRADED_FUNCTIONS)
def test_a_right_answer_gets_no_diagnosis(function):
    outputs, args_after = reference_behaviour(function)
    assert diagnose(function, outputs, cases_of(function), args_after=args_after) is None


@pytest.mark.parametrize("entry", correct_variants(), ids=lambda v: v.id)
def test_a_correct_alternative_gets_no_diagnosis(entry):
    outputs, args_after, errors = behaviour(entry)
    cases = cases_of(entry.function)
    assert diagnose(entry.function, outputs, cases, args_after=args_after, errors=errors) is None


def test_a_mutation_is_named_only_when_the_arguments_after_the_call_are_given():
    entry = variant("update_parameters.modifies_callers_arrays")
    outputs, args_after, _ = behaviour(entry)
    cases = cases_of(entry.function)
    assert diagnose(entry.function, outputs, cases) is None
    # with the values after the call alone, -= on the arrays and new arrays stored in the caller's
    # dict look the same; the worker's report of how they changed tells them apart
    assert diagnose(entry.function, outputs, cases, args_after=args_after) is None
    assert diagnose(entry.function, outputs, cases, args_after=args_after,
                    changes=changes_of(entry)) == entry.diagnosis


def test_missing_arguments_after_the_call_are_ignored():
    entry = variant("linear_backward.dW_missing_1_over_m")
    outputs, args_after, _ = behaviour(entry)
    unreported = {case_id: None for case_id in args_after}
    cases = cases_of(entry.function)
    assert diagnose(entry.function, outputs, cases, args_after=unreported) == entry.diagnosis


def test_evidence_that_fits_two_mistakes_names_neither():
    # both raise on every case whose layers differ in size but the one-layer network, where both
    # are right (a network of equal widths, where feeding X to every layer runs, tells them apart)
    first = variant("L_model_forward.loop_stops_early")
    second = variant("L_model_forward.X_fed_to_every_layer")
    cases = [case for case in cases_of("L_model_forward") if "L=11" not in case.label]
    assert behaviour(first, cases)[0].keys() == behaviour(second, cases)[0].keys()
    assert matching_variant("L_model_forward", behaviour(first, cases)[0], cases) is None
    outputs, _, errors = behaviour(first, cases)
    assert diagnose("L_model_forward", outputs, cases, errors=errors) == first.diagnosis


def test_a_different_error_text_does_not_match():
    entry = variant("update_parameters.len_parameters")
    outputs, _, errors = behaviour(entry)
    assert diagnose(entry.function, outputs, cases_of(entry.function), errors=errors) == entry.diagnosis
    other = {case_id: "NameError: name 'W' is not defined" for case_id in errors}
    assert diagnose(entry.function, outputs, cases_of(entry.function), errors=other) is None


def test_public_cases_alone_are_enough_for_most_mistakes():
    entry = variant("linear_backward.dW_missing_1_over_m")
    public = [case for case in cases_of(entry.function) if case.visibility == "public"]
    outputs, _, _ = behaviour(entry, public)
    assert diagnose(entry.function, outputs, public) == entry.diagnosis


def test_cases_of_other_functions_are_ignored():
    entry = variant("compute_cost.missing_minus")
    outputs, _, _ = behaviour(entry)
    assert diagnose(entry.function, outputs, CASES) == entry.diagnosis
    assert diagnose(entry.function, outputs, cases_of("linear_forward")) is None


def test_values_that_are_not_data_match_nothing():
    cases = cases_of("linear_forward")
    outputs = {case.id: (Foreign("builtins.object"), Subclassed((1, 2), "MyTuple")) for case in cases}
    assert diagnose("linear_forward", outputs, cases) is None
    assert diagnose("linear_forward", {}, cases) is None


def test_diagnosing_restores_numpy_global_random_state():
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    entry = variant("initialize_parameters.weights_scale_0_1")
    synthetic = Case(id="synthetic/1", function=entry.function, visibility="hidden", label="synthetic",
                     seed=1, args=[3, 3, 3], expected=None)
    run_variant(entry, synthetic)
    assert np.array_equal(np.random.get_state()[1], before)


def test_seeded_calls_repeat_exactly():
    entry = variant("initialize_parameters_deep.caller_seeded")
    case = cases_of(entry.function)[0]
    assert same_value(run_variant(entry, case).value, case.expected, 0.0, 0.0)


@pytest.mark.parametrize("a, b, same", [
    ((np.ones((2, 1)), 1.0), [np.ones((2, 1)), 1.0], True),  # tuple and list count as sequences
    (np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), True),
    (np.ones((2, 1)), np.ones((1, 2)), False),
    (np.ones((2, 1)), np.ones((2, 1), dtype=int), False),
    (np.float64(0.5), np.array(0.5), True),
    (0.5, 0.5 + 1e-3, False),
    ({"W1": np.zeros(2)}, {"W1": np.zeros(2), "b1": np.zeros(2)}, False),
    (None, 0, False),
    ("relu", "relu", True),
])
def test_same_value(a, b, same):
    assert same_value(a, b, 1e-6, 1e-9) is same


def test_diagnosis_does_not_depend_on_how_the_dA_entries_are_numbered():
    """The same mistake, with the dA entries of grads numbered as the versions before W4A1 did
    (dA(l+1) for layer l), gets the same diagnosis: only dW and db are compared."""
    entry = variant("L_model_backward.dAL_sign")
    outputs, args_after, errors = behaviour(entry)
    renumbered = {}
    for case_id, grads in outputs.items():
        renumbered[case_id] = {("dA%d" % (int(key[2:]) + 1) if key.startswith("dA") else key): value
                               for key, value in grads.items()}
        renumbered[case_id]["dA_extra"] = np.zeros(1)  # an extra key costs nothing either
    cases = cases_of(entry.function)
    assert diagnose(entry.function, renumbered, cases, args_after=args_after, errors=errors) == entry.diagnosis
