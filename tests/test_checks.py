"""The check ladder on its own: fair to correct variations, precise about mistakes."""

import numpy as np
import pytest

from graders.portable import checks
from graders.portable.wire import Foreign, Subclassed

OK = {"status": "ok"}


def judge(name, expected, got, args=(), after=None, hidden=False):
    return checks.judge_outcome(name, OK, expected, list(args), got, after, hidden=hidden, label="m=1")


@pytest.mark.parametrize("got", [0.25, np.float64(0.25), np.array(0.25)])
def test_cost_may_be_any_scalar(got):
    assert judge("compute_cost", np.array(0.25), got).passed


@pytest.mark.parametrize("got", [np.float32(0.25), np.array(0.25, dtype=np.float32), np.float16(0.25)])
def test_a_float32_cost_is_right_but_loses_the_precision_step(got):
    verdict = judge("compute_cost", np.array(0.25), got)
    assert verdict.rung == "precision" and not verdict.passed
    assert got.dtype.name in verdict.message and "float64" in verdict.message
    assert checks.steps_reached("precision") == ("shapes", "values", "inputs_unmodified")


def test_float32_values_are_judged_to_float32s_precision_and_wrong_ones_still_fail_values():
    expected = np.random.default_rng(3).normal(size=(4, 5)) * 10
    rounded = expected.astype(np.float32)  # off by up to ~5e-7 relative: outside float64's tolerance
    assert judge("linear_forward", (expected, (expected,) * 3), (rounded, (expected,) * 3)).rung == "precision"
    wrong = (expected * 1.01).astype(np.float32)
    assert judge("linear_forward", (expected, (expected,) * 3), (wrong, (expected,) * 3)).rung == "values"
    wide = expected.astype(np.float128) if hasattr(np, "float128") else expected
    assert judge("linear_forward", (expected, (expected,) * 3), (wide, (expected,) * 3)).passed
    assert "float64" not in checks.MSG_DTYPE  # the dtype rung asks for floats; precision asks for float64


def test_cost_of_shape_1_1_points_at_squeeze():
    verdict = judge("compute_cost", np.array(0.25), np.array([[0.25]]))
    assert verdict.rung == "shapes" and "np.squeeze" in verdict.message


def test_lists_and_tuples_are_interchangeable_in_caches():
    Z = np.ones((1, 2))
    expected = (Z, (Z, Z, Z))
    assert judge("linear_forward", expected, [Z, [Z, Z, Z]]).passed


def test_extra_keys_never_cost_and_dA_keys_are_not_graded():
    grads = {"dW1": np.ones((1, 2)), "db1": np.ones((1, 1)), "dA0": np.ones((2, 3))}
    got = {"dW1": np.ones((1, 2)), "db1": np.ones((1, 1)), "dA1": np.zeros((5, 5)), "extra": 3}
    assert judge("L_model_backward", grads, got).passed


def test_missing_key_is_a_structure_failure_naming_the_key():
    verdict = judge("initialize_parameters", {"W1": np.ones((1, 1)), "b1": np.zeros((1, 1))}, {"W1": np.ones((1, 1))})
    assert verdict.rung == "structure" and "'b1'" in verdict.message


@pytest.mark.parametrize("got,rung", [
    (None, "structure"),
    ((None, None), "structure"),
    (Foreign("builtins.object"), "structure"),
    ((np.ones((1, 2)),), "structure"),
    ((Foreign("Thing"), (np.ones((1, 2)),) * 3), "types"),
    ((Subclassed(np.ones((1, 2)), "numpy.matrix"), (np.ones((1, 2)),) * 3), "types"),
    (([[1.0, 1.0]], (np.ones((1, 2)),) * 3), "types"),
    ((np.ones((2, 1)), (np.ones((1, 2)),) * 3), "shapes"),
    ((np.ones((1, 2), dtype=int), (np.ones((1, 2)),) * 3), "dtype"),
    ((np.ones((1, 2), dtype=complex), (np.ones((1, 2)),) * 3), "dtype"),
    ((np.full((1, 2), np.nan), (np.ones((1, 2)),) * 3), "values"),
    ((np.full((1, 2), np.inf), (np.ones((1, 2)),) * 3), "values"),
    ((np.full((1, 2), 2.0), (np.ones((1, 2)),) * 3), "values"),
])
def test_first_failing_rung(got, rung):
    expected = (np.ones((1, 2)), (np.ones((1, 2)),) * 3)
    verdict = judge("linear_forward", expected, got)
    assert verdict.rung == rung and verdict.passed is False



def test_judging_without_words_finds_the_same_rungs_and_leaves_the_values_message_empty():
    """The per-item split asks for rungs only; it must see exactly what the full judge sees."""
    expected = (np.ones((1, 2)), (np.ones((1, 2)),) * 3)
    gots = [None, np.ones((2, 1)), (np.ones((1, 2), dtype=int), expected[1]), (np.full((1, 2), np.nan), expected[1]),
            (np.full((1, 2), 2.0), expected[1]), (np.full((1, 2), 2.0), expected[1]), expected]
    calls = [checks.Call("linear_forward", {"status": "ok"}, expected, (), got, None, 1e-5, 1e-8, hidden, "a case")
             for got, hidden in zip(gots, [False, False, False, False, False, True, False])]
    full, plain = checks.judge_calls(calls), checks.judge_calls(calls, words=False)
    assert [(v.rung, v.passed) for v in full] == [(v.rung, v.passed) for v in plain]
    assert plain[4].message == "" and plain[5].message == "" and full[4].message and full[5].message
    assert plain[0].message == full[0].message  # only describing a wrong value is skipped

def test_transposed_shape_hint_and_keepdims_hint():
    verdict = judge("linear_backward", (np.ones((2, 3)), np.ones((1, 2)), np.ones((1, 1))),
                    (np.ones((3, 2)), np.ones((1, 2)), np.ones((1, 1))))
    assert checks.HINT_SHAPE_TRANSPOSED in verdict.message
    verdict = judge("linear_backward", (np.ones((2, 3)), np.ones((1, 2)), np.ones((3, 1))),
                    (np.ones((2, 3)), np.ones((1, 2)), np.ones(3)))
    assert checks.HINT_SHAPE_KEEPDIMS in verdict.message


@pytest.mark.parametrize("factor,phrase", [(-1, "opposite sign"), (4, "about 4 times the right value"),
                                           (0.5, "about half the right value"), (0.7, "too small")])
def test_hidden_messages_describe_without_showing(factor, phrase):
    expected = np.array([[0.123456789, -2.5], [3.25, 0.7]])
    verdict = judge("initialize_parameters", {"W1": expected}, {"W1": expected * factor},
                    hidden=True)
    assert verdict.rung == "values" and phrase in verdict.message
    assert "0.1234" not in verdict.message and "expected:" not in verdict.message


def test_difference_descriptions():
    e = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert "transposed" in checks.describe_difference(e, e.T)
    assert "same amount" in checks.describe_difference(e, e + 0.5)
    assert "1 of 4 entries" in checks.describe_difference(e, e + np.array([[0, 0], [0, 9.0]]))


def test_mutated_input_is_caught_and_named():
    params = {"W1": np.ones((1, 2)), "b1": np.zeros((1, 1))}
    after = {"W1": np.full((1, 2), 0.5), "b1": np.zeros((1, 1))}
    verdict = judge("update_parameters", params, params, args=[params, {}, 0.1], after=[after, {}, 0.1])
    assert verdict.rung == "inputs_unmodified" and 'params["W1"]' in verdict.message


@pytest.mark.parametrize("status,rung,template", [
    ("missing", "defined", checks.MSG_MISSING),
    ("not_callable", "defined", checks.MSG_NOT_CALLABLE),
    ("error", "callable", checks.MSG_RAISED),
    ("timeout", "callable", checks.MSG_TIMEOUT),
    ("crashed", "callable", checks.MSG_CRASHED),
])
def test_outcomes_before_any_value(status, rung, template):
    verdict = checks.judge_outcome("linear_forward", {"status": status, "detail": "x", "seconds": 1},
                                   None, [np.ones((2, 2))])
    assert verdict.rung == rung and template.split("{")[0] in verdict.message


def test_not_run_is_not_judged():
    verdict = checks.judge_outcome("linear_forward", {"status": "not_run"}, None, [])
    assert verdict.passed is None and verdict.rung == checks.NOT_JUDGED


def test_a_number_where_the_expected_array_has_one_entry_is_judged_by_its_value():
    expected = (np.ones((2, 3)), np.ones((1, 3)), np.array([[0.25]]))
    for db in (0.25, np.float64(0.25), np.array(0.25)):
        got = (np.ones((2, 3)), np.ones((1, 3)), db)
        assert checks.judge_outcome("linear_backward", {"status": "ok"}, expected, [], got).passed
    wrong = (np.ones((2, 3)), np.ones((1, 3)), 0.5)
    assert checks.judge_outcome("linear_backward", {"status": "ok"}, expected, [], wrong).rung == "values"


def test_a_one_dimensional_column_passes_only_under_the_convention_that_squeezes_it():
    expected = (np.ones((2, 3)), np.ones((2, 3)), np.array([[0.25], [0.5]]))
    got = (np.ones((2, 3)), np.ones((2, 3)), np.array([0.25, 0.5]))
    assert checks.judge_outcome("linear_backward", {"status": "ok"}, expected, [], got).rung == "shapes"
    call = checks.Call("linear_backward", {"status": "ok"}, expected, [], got, squeezable=("db",))
    assert checks.judge_calls([call])[0].passed
    grads = {"dW1": np.ones((2, 3)), "db1": np.array([[0.25], [0.5]])}
    call = checks.Call("L_model_backward", {"status": "ok"}, grads, [], dict(grads, db1=np.array([0.25, 0.5])),
                       squeezable=("db",))
    assert checks.judge_calls([call])[0].passed


@pytest.mark.parametrize("expected, got, hidden, says, never", [
    # a b that was not updated: one number, no meaningful factor
    (np.array([[0.5]]), np.array([[1.024]]), False, "the value is off by 0.524", "times"),
    (np.array([[0.5]]), np.array([[1.024]]), True, "the value is too large", "twice"),
    # an epsilon inside the log: close, not "0.9995 times the right value"
    (np.array(0.27977656), np.array(0.27977656 * 0.9995), False, "within 0.05% of the right value", "times"),
    (np.arange(1.0, 7).reshape(2, 3), np.arange(1.0, 7).reshape(2, 3) * 1.0004, True, "close to the right ones",
     "times"),
    # a round factor on one number still says something (the cost m times too large)
    (np.array(0.28), np.array(0.84), False, "the value is about 3 times too large", "every entry"),
    (np.arange(1.0, 7).reshape(2, 3), np.arange(1.0, 7).reshape(2, 3) * 2.048, False, "2.048 times too large",
     "off by"),
])
def test_describe_difference_names_a_scale_only_when_it_means_one(expected, got, hidden, says, never):
    text = checks.describe_difference(expected, got, 1e-6, 1e-9, hidden=hidden)
    assert says in text and never not in text, text


def test_an_error_message_describes_the_inputs_by_name_and_value():
    args = [np.zeros((3, 4)), (np.zeros((5, 4)), np.zeros((3, 5)), np.zeros((3, 1)))]
    verdict = checks.judge_outcome("linear_backward", {"status": "error", "detail": "ValueError: x"}, None, args)
    assert "the inputs were dZ (3, 4), cache (a tuple of 3: (5, 4), (3, 5), (3, 1))" in verdict.message
    verdict = checks.judge_outcome("initialize_parameters", {"status": "error", "detail": "ValueError: x"}, None,
                                   [3, 2, 1])
    assert "n_x = 3, n_h = 2, n_y = 1" in verdict.message and "not arrays" not in verdict.message


def test_an_object_array_is_described_without_a_stray_suffix():
    verdict = checks.judge_outcome("compute_cost", {"status": "ok"}, np.float64(0.5), [],
                                   Foreign("numpy array of dtype object", "dtype"))
    assert verdict.message.endswith("numpy array of dtype object."), verdict.message


def test_an_error_message_uses_the_students_own_parameter_names():
    outcome = {"status": "error", "detail": "KeyError: 'W3'", "arg_names": ["parameters", "grads", "learning_rate"]}
    verdict = checks.judge_outcome("update_parameters", outcome, None, [{}, {}, 0.1])
    assert verdict.message.startswith("update_parameters(parameters, grads, learning_rate) raised KeyError")
    assert "parameters (a dict of 0 items), grads (a dict of 0 items), learning_rate = 0.1" in verdict.message
    template = checks.judge_outcome("update_parameters", {"status": "error", "detail": "KeyError: 'W3'"}, None,
                                    [{}, {}, 0.1])
    assert template.message.startswith("update_parameters(params, grads, learning_rate) raised")
