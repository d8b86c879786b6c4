"""The stored cases are current, reproducible, complete and exact."""

import json

import numpy as np
import pytest

from graders.assignment import current
from graders.cases import load_case_set
from graders.cli import main
from graders.kit.casegen import build_cases, render_case_files, stale_case_files, write_case_files
from graders.portable.casefile import decode_value, dumps_cases, encode_value
from tests.packs import CASE_PATHS

SPEC = current().spec


def test_stored_case_files_are_current():
    assert stale_case_files(SPEC) == []


def test_cli_check_exits_zero(capsys):
    assert main(["cases", "--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_regeneration_is_byte_identical():
    assert render_case_files(SPEC) == render_case_files(SPEC)


def test_check_names_a_stale_file(tmp_path, capsys):
    paths = {"public": tmp_path / "public.json", "hidden": tmp_path / "hidden.json"}
    write_case_files(SPEC, paths)
    assert stale_case_files(SPEC, paths) == []
    text = paths["hidden"].read_text().replace("0.", "0.9", 1)
    paths["hidden"].write_text(text)
    problems = stale_case_files(SPEC, paths)
    assert len(problems) == 1 and "hidden.json" in problems[0] and "out of date" in problems[0]
    paths["public"].unlink()
    assert any("missing" in p for p in stale_case_files(SPEC, paths))


def _nudge_first_float(tree, change):
    """Apply ``change`` to the first non-integral float above 0.1 in a decoded case file; True once done."""
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) if isinstance(tree, list) else []
    for key, value in items:
        if isinstance(value, float) and value != int(value) and abs(value) > 0.1:
            tree[key] = change(value)
            return True
        if _nudge_first_float(value, change):
            return True
    return False


def test_last_bit_differences_from_another_cpu_are_not_stale(tmp_path):
    """BLAS kernels differ between CPUs, so regenerated products may differ in their last bit."""
    import numpy as np

    paths = {"public": tmp_path / "public.json", "hidden": tmp_path / "hidden.json"}
    write_case_files(SPEC, paths)
    document = json.loads(paths["hidden"].read_text())
    assert _nudge_first_float(document, lambda v: float(np.nextafter(np.nextafter(v, 9.0), 9.0)))
    paths["hidden"].write_text(json.dumps(document, indent=1))
    assert stale_case_files(SPEC, paths) == []
    assert _nudge_first_float(document, lambda v: v * (1 + 1e-9))
    paths["hidden"].write_text(json.dumps(document, indent=1))
    assert len(stale_case_files(SPEC, paths)) == 1


def test_public_and_hidden_are_separate_files():
    public = json.loads(CASE_PATHS["public"].read_text())
    hidden = json.loads(CASE_PATHS["hidden"].read_text())
    assert {c["visibility"] for c in public["cases"]} == {"public"}
    assert {c["visibility"] for c in hidden["cases"]} == {"hidden"}


@pytest.mark.parametrize("function", list(SPEC.functions))
def test_every_function_has_public_and_six_hidden_cases(function):
    cases = load_case_set()
    assert sum(1 for c in cases if c.function == function and c.visibility == "public") >= 1
    assert sum(1 for c in cases if c.function == function and c.visibility == "hidden") >= 6


def test_hidden_cases_vary_what_hard_coding_gets_wrong():
    hidden = [c for c in load_case_set() if c.visibility == "hidden"]
    forward = [c for c in hidden if c.function == "L_model_forward"]
    assert {len(c.args[1]) // 2 for c in forward} == {1, 2, 3, 4, 5, 11}
    assert 1 in {c.args[0].shape[1] for c in forward}
    costs = [c for c in hidden if c.function == "compute_cost"]
    assert any(c.args[1].shape[1] == 1 for c in costs)
    assert all(set(np.unique(c.args[1])) == {0.0, 1.0} for c in costs if c.args[1].shape[1] > 1)
    relu_cases = [c for c in hidden if c.function == "linear_activation_forward" and c.args[3] == "relu"]
    pre_activations = [np.dot(c.args[1], c.args[0]) + c.args[2] for c in relu_cases]
    assert any((z == 0).any() for z in pre_activations) and all((z < 0).any() for z in pre_activations)
    shapes = {c.args[1].shape for c in hidden if c.function == "linear_forward"}
    assert any(rows != cols for rows, cols in shapes)


def test_hidden_cases_reach_where_real_bugs_hide():
    hidden = [c for c in load_case_set() if c.visibility == "hidden"]
    by_function = {}
    for case in hidden:
        by_function.setdefault(case.function, []).append(case)
    # ten layers and more, where "W10" sorts before "W2" and key[1] reads one digit; every layer learns
    for function in ("initialize_parameters_deep", "L_model_forward", "L_model_backward", "update_parameters"):
        assert any("L=11" in c.label for c in by_function[function]), function
    deep = next(c for c in by_function["L_model_backward"] if "L=11" in c.label)
    assert all(np.abs(deep.expected["dW%d" % l]).max() > 0 for l in range(1, 12))
    # integer labels, as the course's datasets have them
    for function in ("compute_cost", "L_model_backward"):
        assert any(c.args[1].dtype == np.int64 for c in by_function[function]), function
    # AL within 1e-8 of 0 and of 1, and a confident network, yet every expected value finite
    for function in ("compute_cost", "L_model_backward"):
        close = [c for c in by_function[function] if min(c.args[0].min(), (1 - c.args[0]).min()) < 1e-8]
        assert close, function
        for case in close:
            values = case.expected.values() if isinstance(case.expected, dict) else [case.expected]
            assert all(np.isfinite(np.asarray(v)).all() for v in values)
    # a sigmoid whose pre-activations pass 10
    assert any(c.args[3] == "sigmoid" and np.abs(np.dot(c.args[1], c.args[0]) + c.args[2]).max() > 10
               for c in by_function["linear_activation_forward"])
    # a one-unit hidden layer feeding a several-unit output layer, and exact zeros inside a network
    assert any(c.args[1]["W1"].shape[0] == 1 and c.expected[0].shape[0] > 1 for c in by_function["L_model_forward"])
    for function in ("L_model_forward", "L_model_backward"):
        assert any("exact-zero pre-activations" in c.label for c in by_function[function]), function


def test_public_cases_are_the_printed_examples():
    cases = {c.id: c for c in load_case_set(public_only=True)}
    sigmoid = cases["linear_activation_forward/public/1"].expected[0]
    relu = cases["linear_activation_forward/public/2"].expected[0]
    assert np.allclose(sigmoid, [[0.70138767, 0.87255611]], atol=5e-9)
    assert np.allclose(relu, [[0.85391458, 1.92375077]], atol=5e-9)
    assert np.allclose(cases["linear_backward/public/1"].expected[2], [[-0.14713786], [-0.11313155], [-0.13209101]],
                       atol=5e-9)


def test_float64_round_trips_exactly():
    rng = np.random.default_rng(0)
    value = {"a": (rng.standard_normal((3, 4)) * 1e-7, [np.float64(np.pi), 3]), "b": np.array([[1, 2]])}
    back = decode_value(json.loads(dumps_cases({"v": encode_value(value)}))["v"])
    assert back["a"][0].tobytes() == value["a"][0].tobytes()
    assert back["a"][1][0] == np.pi and back["b"].dtype == value["b"].dtype


def test_case_encoding_refuses_what_it_cannot_store():
    with pytest.raises(TypeError):
        encode_value(object())
    with pytest.raises(TypeError):
        encode_value(np.array(["x"]))


def test_build_cases_keeps_spec_order():
    documents = build_cases(SPEC)
    order = list(dict.fromkeys(c["function"] for c in documents["hidden"]["cases"]))
    assert order == list(SPEC.functions)
