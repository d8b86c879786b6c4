"""Chain cases: the dict initialize_parameters_deep returns is taken on by the student's own
L_model_forward and update_parameters (assignment.toml, "Chain cases")."""

from __future__ import annotations

import numpy as np
import pytest

import reference.dnn
from assignments.dnn_step_by_step.mistakes import variant
from graders.cases import load_case_set
from graders.grade import Grader, Limits
from graders.kit.nbbuild import edited_source, notebook_bytes, solution_cells
from graders.portable import wire
from graders.portable.checks import MSG_CHAIN_WRONG
from graders.portable.selfcheck import run_public_cases
from graders.render.results import function_feedback
from graders.sandbox.worker import WorkerProcess
from tests.packs import PUBLIC_CASES_PATH

FAST = Limits(cell_seconds=3, call_seconds=0.5, notebook_seconds=30)
EXTRA_KEYS = variant("initialize_parameters_deep.extra_keys_break_the_layer_count").source
ONE_EXTRA_KEY = variant("initialize_parameters_deep.one_extra_key").source
CHAIN_IDS = {case.id for case in load_case_set() if case.then}


@pytest.fixture(scope="module")
def grader():
    with Grader(limits=FAST) as shared:
        yield shared


def grade(grader, replace):
    result = grader.grade_bytes(notebook_bytes(solution_cells(replace)))
    return result, {f.name: f for f in result.functions}


def test_there_is_a_public_and_a_hidden_chain_case():
    cases = {case.id: case for case in load_case_set()}
    assert {cases[i].visibility for i in CHAIN_IDS} == {"public", "hidden"}
    assert all(cases[i].function == "initialize_parameters_deep" for i in CHAIN_IDS)


def test_extra_keys_lose_the_chain_cases_only_and_the_message_names_them(grader):
    result, functions = grade(grader, {"initialize_parameters_deep": EXTRA_KEYS})
    init = functions["initialize_parameters_deep"]
    failing = {case.case_id for case in init.cases if not case.passed}
    assert failing == CHAIN_IDS
    assert init.score == pytest.approx(10 * (1 - len(CHAIN_IDS) / len(init.cases)), abs=1e-3)
    assert all(f.score == f.max_score for f in result.functions if f.name != init.name)
    message = next(case.message for case in init.cases if not case.passed)
    assert "your L_model_forward, which passes its own cases, raised KeyError: 'W4'" in message
    assert "'L', 'layer_dims'" in message and "len(parameters) // 2" in message
    assert "Likely mistake" in function_feedback(init)


def test_extra_keys_cost_nothing_when_the_students_next_functions_handle_them(grader):
    count = 'L = sum(1 for key in parameters if key.startswith("W"))'
    result, _ = grade(grader, {
        "initialize_parameters_deep": EXTRA_KEYS,
        "L_model_forward": edited_source("L_model_forward", "L = len(parameters) // 2", count),
        "update_parameters": edited_source("update_parameters", "L = len(parameters) // 2", count),
    })
    assert result.score == result.max_score


def test_one_extra_key_keeps_the_layer_count_and_costs_nothing(grader):
    result, _ = grade(grader, {"initialize_parameters_deep": ONE_EXTRA_KEY})
    assert result.score == result.max_score


def test_a_next_function_that_fails_its_own_cases_is_not_held_against_the_initialiser(grader):
    wrong_forward = edited_source("L_model_forward", "return AL, caches", "return AL * 2, caches")
    _, functions = grade(grader, {"initialize_parameters_deep": EXTRA_KEYS, "L_model_forward": wrong_forward,
                                  "update_parameters": edited_source("update_parameters", "L = len(parameters) // 2",
                                                                     'L = sum(1 for k in parameters if k[0] == "W")')})
    assert functions["initialize_parameters_deep"].score == 10
    assert functions["L_model_forward"].score < 15


def test_a_next_step_that_hangs_costs_the_chain_case_not_the_notebook(grader):
    hangs_on_extra_keys = edited_source(
        "update_parameters", "L = len(parameters) // 2",
        'L = len(parameters) // 2\n    while "L" in parameters:\n        pass')
    result, functions = grade(grader, {"initialize_parameters_deep": ONE_EXTRA_KEY,
                                       "update_parameters": hangs_on_extra_keys})
    init = functions["initialize_parameters_deep"]
    assert {case.case_id for case in init.cases if not case.passed} == CHAIN_IDS
    assert "your update_parameters, which passes its own cases, did not finish" in init.cases[-1].message \
        or any("did not finish" in case.message for case in init.cases)
    assert functions["update_parameters"].score == 5
    assert functions["L_model_backward"].score == 15  # the calls after the chain case still ran


def test_a_next_step_that_changes_the_dict_in_place_does_not_change_the_judged_value(grader):
    in_place = '''
def update_parameters(params, grads, learning_rate):
    parameters = {key: value.copy() for key, value in params.items()}
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters["W" + str(l)] -= learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] -= learning_rate * grads["db" + str(l)]
    params.clear()
    params.update(parameters)
    return parameters
'''
    _, functions = grade(grader, {"update_parameters": in_place})
    init = functions["initialize_parameters_deep"]
    assert all(case.passed for case in init.cases), [case.message for case in init.cases]


def test_a_wrong_result_of_a_next_step_says_so_without_values(grader):
    # update_parameters that only works on dicts whose first key is W1: right on its own cases
    order = '''
def update_parameters(params, grads, learning_rate):
    parameters = dict(params)
    first = next(iter(parameters))
    for key in parameters:
        if key[0] in "Wb":
            parameters[key] = parameters[key] - learning_rate * grads["d" + key] * (1 if first == "W1" else 3)
    return parameters
'''
    _, functions = grade(grader, {"initialize_parameters_deep": ONE_EXTRA_KEY, "update_parameters": order})
    assert functions["update_parameters"].score == 5
    init = functions["initialize_parameters_deep"]
    failing = [case for case in init.cases if not case.passed]
    assert {case.case_id for case in failing} == CHAIN_IDS
    assert all(MSG_CHAIN_WRONG in case.message for case in failing), [case.message for case in failing]
    assert "expected" not in failing[-1].message
    assert "('L'), which your update_parameters does not expect" in failing[-1].message  # one key: same count


def test_the_worker_gets_the_chain_inputs_but_never_what_the_reference_returns(monkeypatch):
    cases = load_case_set()
    written = []
    real = WorkerProcess._write
    monkeypatch.setattr(WorkerProcess, "_write", lambda self, data: written.append(bytes(data)) or real(self, data))
    with Grader(cases=cases) as grader:
        grader.start()
    setup = written[0]
    for case in cases:
        if not case.then:
            continue
        given = {array.tobytes() for array in wire_arrays(case.then_args)}
        assert given and all(data in setup for data in given)
        returned = [array for array in wire_arrays(case.then_expected)
                    if array.tobytes() not in given and np.any(array)]
        assert returned  # (the caches hold the inputs X too: those are the worker's anyway)
        for array in returned:
            assert array.tobytes() not in setup


def wire_arrays(value):
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from wire_arrays(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from wire_arrays(item)


def test_the_self_check_judges_the_chain_with_the_notebooks_own_next_functions():
    namespace = dict(vars(reference.dnn))
    exec(EXTRA_KEYS, namespace)
    report = run_public_cases(namespace["initialize_parameters_deep"], PUBLIC_CASES_PATH)
    assert not report.ok and "raised KeyError: 'W4'" in report.text
    early = {"np": np}  # checked before the next functions are written: nothing to judge them by
    exec(EXTRA_KEYS, early)
    assert run_public_cases(early["initialize_parameters_deep"], PUBLIC_CASES_PATH).ok


def test_chain_values_survive_the_wire():
    value = [["ok", {"W1": np.ones((2, 2))}], ["error", "KeyError: 'W4'"], ["timeout", None]]
    assert wire.roundtrip({"c": value})["c"][1] == ["error", "KeyError: 'W4'"]


def test_a_result_with_exactly_the_expected_keys_is_not_held_to_the_next_steps():
    """Right values under the expected keys are what the next functions' own cases give them: a
    next function that fails there makes its own mistake, which costs points in its own cases."""
    from graders.portable.checks import judge_chain

    case = next(case for case in load_case_set() if case.then)
    steps = list(case.then)
    broken = [("error", "KeyError: 'W4'")] * len(steps)
    fine = {step["function"] for step in steps}
    reordered = dict(reversed(list(case.expected.items())))
    assert judge_chain(case.function, steps, broken, case.then_expected, {}, fine, reordered, case.expected) is None
    extra = dict(case.expected, L=3, layer_dims=[4, 3, 2, 1])
    verdict = judge_chain(case.function, steps, broken, case.then_expected, {}, fine, extra, case.expected)
    assert verdict is not None and "'L', 'layer_dims'" in verdict.message


def test_the_worker_takes_a_result_on_only_when_it_has_other_keys():
    from graders.worker.runtime import _has_other_keys

    assert not _has_other_keys({"W1": 1, "b1": 2}, ["W1", "b1"], 1)
    assert _has_other_keys({"W1": 1, "b1": 2, "L": 1}, ["W1", "b1"], 1)
    assert not _has_other_keys([1, 2], ["W1"], 1)

    class Odd:
        def __hash__(self):
            return hash("W1")

        def __eq__(self, other):
            raise RuntimeError("no comparing")

    assert _has_other_keys({Odd(): 1}, ["W1"], 1)
