"""The quick verdict (graders.shortcut) only ever saves time: it never changes a result."""

import numpy as np
import pytest

from assignments.dnn_step_by_step.mistakes import VARIANTS
from graders.assignment import current
from graders.audit import variant_notebook
from graders.cases import load_case_set
from graders.frames import Frames, call_values
from graders.grade import Grader
from graders.portable import wire
from graders.scoring import case_tolerances, score_functions
from graders.shortcut import ExpectedLayout, QuickJudge
from tests.fixtures.build import fixtures

CASES = load_case_set()
FIXTURES = fixtures()
TOLERANCES = case_tolerances(current().spec, CASES)


def without_timings(result):
    data = result.to_dict()
    data.pop("execution_time")
    return data


@pytest.fixture(scope="module")
def graders():
    with Grader() as quick, Grader() as full:
        full._quick = QuickJudge(full.cases, TOLERANCES)
        full._quick.layouts = [None] * len(full.cases)  # no layout: every call goes the full way
        yield quick, full


def test_every_case_has_a_layout():
    assert all(layout is not None for layout in QuickJudge(CASES, TOLERANCES).layouts)


@pytest.mark.parametrize("entry", VARIANTS, ids=lambda entry: entry.id)
def test_each_variant_gets_the_same_result_either_way(graders, entry):
    quick, full = graders
    data = variant_notebook(entry)
    assert without_timings(quick.grade_bytes(data, "v.ipynb")) == without_timings(full.grade_bytes(data, "v.ipynb"))


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_each_fixture_gets_the_same_result_either_way(graders, name):
    quick, full = graders
    data = FIXTURES[name]
    assert without_timings(quick.grade_bytes(data, name)) == without_timings(full.grade_bytes(data, name))


# -- the layout match itself ----------------------------------------------------------------------

POSITION = next(i for i, case in enumerate(CASES) if case.function == "initialize_parameters_deep")
EXPECTED = CASES[POSITION].expected


def passes(value, extra=None, tamper=None, judge=None):
    """Does ``value``, sent as the only call of a frame, pass the quick way?"""
    values = {"v%d" % POSITION: value}
    values.update(extra or {})
    frame = wire.encode_frame({}, values)
    if tamper:
        header, blob = wire.split_frame(frame)
        tamper(header)
        frame = wire.encode_frame(header, payload=bytes(blob))
    entry = {"id": POSITION, "status": "ok", "frame": [0, len(frame)], "slot": POSITION}
    return POSITION in (judge or QuickJudge(CASES, TOLERANCES)).passes({POSITION: entry}, Frames(frame))


def test_the_expected_value_passes_in_any_key_order():
    judge = QuickJudge(CASES, TOLERANCES)
    reordered = dict(reversed(list(EXPECTED.items())))
    assert passes(dict(EXPECTED), judge=judge)
    assert passes(reordered, judge=judge) and len(judge.layouts[POSITION].forms) == 2  # learned
    assert passes(reordered, judge=judge) and len(judge.layouts[POSITION].forms) == 2  # and reused
    wrong = {key: value + 1 for key, value in reordered.items()}
    assert not passes(wrong, judge=judge)  # a learned form still compares every number


def test_forms_beyond_the_cap_are_used_once_and_never_remembered():
    import itertools

    judge = QuickJudge(CASES, TOLERANCES)
    for order in itertools.islice(itertools.permutations(EXPECTED), 12):
        assert passes({key: EXPECTED[key] for key in order}, judge=judge)
        assert not passes({key: EXPECTED[key] * 2 for key in order}, judge=judge)
    assert len(judge.layouts[POSITION].forms) == 8


def test_values_just_inside_the_tolerance_pass_and_outside_do_not():
    rtol = TOLERANCES[POSITION][0]
    nudged = {key: value * (1 + rtol / 2) for key, value in EXPECTED.items()}
    assert passes(nudged)
    assert not passes({key: value * (1 + rtol * 2) + 1e-6 for key, value in EXPECTED.items()})
    pushed = {key: value + 1e-3 for key, value in EXPECTED.items()}
    assert not passes(pushed)


@pytest.mark.parametrize("change", [
    lambda value: {key: item.astype(np.float32) for key, item in value.items()},
    lambda value: {key: item.T for key, item in value.items()},
    lambda value: {key: item for key, item in list(value.items())[1:]},
    lambda value: dict(value, extra=np.zeros(1)),
    lambda value: {key: np.full_like(item, np.nan) for key, item in value.items()},
    lambda value: list(value.values()),
    lambda value: {key: item.tolist() for key, item in value.items()},
    lambda value: None,
])
def test_anything_else_goes_the_full_way(change):
    assert not passes(change(dict(EXPECTED)))


def test_a_call_that_changed_its_inputs_goes_the_full_way():
    assert not passes(dict(EXPECTED), extra={"a%d" % POSITION: [np.zeros(2)]})


@pytest.mark.parametrize("tamper", [
    lambda header: header["arrays"][1].__setitem__(2, 0),  # overlaps the first array
    lambda header: header["arrays"][0].__setitem__(2, 10**9),  # out of range
    lambda header: header["arrays"][0].__setitem__(2, -8),
    lambda header: header["arrays"][0].__setitem__(3, 0),
    lambda header: header["arrays"][0].__setitem__(1, "x"),
    lambda header: header["arrays"].clear(),
    lambda header: header.__setitem__("arrays", "x"),
    lambda header: header["values"]["v%d" % POSITION]["d"].append(["x", {"nd": "y"}]),
    lambda header: header["values"]["v%d" % POSITION]["d"].append(["x"]),
    # JSON's 1.0 and true equal 1 in Python; the decoder refuses them, so the quick way must too
    lambda header: header["values"]["v%d" % POSITION]["d"][1][1].__setitem__("nd", 1.0),
    lambda header: header["values"]["v%d" % POSITION]["d"][1][1].__setitem__("nd", True),
    lambda header: header["arrays"][0][1].__setitem__(0, 4.0),
    lambda header: header["arrays"][2][1].__setitem__(1, True),
    lambda header: header["arrays"][0].__setitem__(2, 0.0),
    lambda header: header["arrays"][0].__setitem__(3, float(header["arrays"][0][3])),
])
def test_forged_headers_never_pass_and_never_raise(tamper):
    assert not passes(dict(EXPECTED), tamper=tamper)


def test_a_case_without_arrays_has_no_layout():
    assert ExpectedLayout.of(1.5) is None
    assert ExpectedLayout.of({"x": np.zeros(2, dtype=np.int64)}) is None
    assert ExpectedLayout.of({"x": np.zeros(2)}) is not None


def test_the_reference_solution_passes_every_case_the_quick_way(graders, monkeypatch):
    import graders.grade

    seen = []

    class Spy(QuickJudge):
        def passes(self, *args):
            seen.append(super().passes(*args))
            return seen[-1]

    monkeypatch.setattr(graders.grade, "QuickJudge", Spy)
    with Grader() as quick:
        result = quick.grade_bytes(FIXTURES["passes_reference_solution.ipynb"], "x.ipynb")
    assert result.score == result.max_score and seen == [set(range(len(CASES)))]


def test_a_forged_slot_is_refused_both_ways():
    frame = wire.encode_frame({}, {"v%d" % POSITION: dict(EXPECTED)})
    entry = {"id": POSITION, "status": "ok", "frame": [0, len(frame)], "slot": float("inf")}
    assert QuickJudge(CASES, TOLERANCES).passes({POSITION: entry}, Frames(frame)) == set()
    assert call_values({"calls": [entry]}, Frames(frame)) == {} and entry["status"] == "crashed"


def test_a_malformed_part_spoils_only_the_value_that_holds_it():
    """Either way: an unused malformed array entry changes nothing; a malformed value crashes only its call."""
    values = {"v%d" % i: case.expected for i, case in enumerate(CASES)}
    header, blob = wire.split_frame(wire.encode_frame({}, values))
    header["arrays"].append(["|O", [1], 0, 8])
    header["values"]["v0"] = {"nd": len(header["arrays"]) - 1}
    frame = wire.encode_frame(header, payload=bytes(blob))
    full = QuickJudge(CASES, TOLERANCES)
    full.layouts = [None] * len(CASES)
    spec = current().spec
    for judge in (QuickJudge(CASES, TOLERANCES), full):
        reply = {"calls": [{"id": i, "status": "ok", "frame": [0, len(frame)], "slot": i} for i in range(len(CASES))]}
        results = score_functions(spec, CASES, reply, frame, [], judge)
        rungs = [case.rung for result in results for case in result.cases]
        assert rungs.count("passed") == len(CASES) - 1 and "callable" in rungs


def test_a_malformed_frame_is_read_once():
    frame = wire._HEAD.pack(5, 0) + b"[1, x"
    frames = Frames(frame)
    for _ in range(3):
        with pytest.raises(ValueError):
            frames.get([0, len(frame)])
    assert len(frames._split) == 1


def test_a_frame_laid_out_as_one_seen_before_is_not_parsed_again_but_its_numbers_are_compared(monkeypatch):
    judge = QuickJudge(CASES, TOLERANCES)
    parsed = []
    real = Frames.parsed
    monkeypatch.setattr(Frames, "parsed", lambda self, where: parsed.append(where) or real(self, where))
    assert passes(dict(EXPECTED), judge=judge) and len(parsed) == 1
    assert passes(dict(EXPECTED), judge=judge) and len(parsed) == 1  # the same layout: matched from memory
    assert not passes({key: value + 1 for key, value in EXPECTED.items()}, judge=judge) and len(parsed) == 1
    assert not passes({key: np.full_like(value, np.nan) for key, value in EXPECTED.items()}, judge=judge)
    assert passes(dict(reversed(list(EXPECTED.items()))), judge=judge) and len(parsed) == 2  # a new layout
    # the same header for another case is another key: the call is matched against its own layout
    other = next(i for i, case in enumerate(CASES) if case.function == "linear_forward")
    frame = wire.encode_frame({}, {"v%d" % POSITION: dict(EXPECTED)})
    entry = {"id": other, "status": "ok", "frame": [0, len(frame)], "slot": POSITION}
    assert judge.passes({other: entry}, Frames(frame)) == set()
    # a frame reference the worker could not have made is skipped, not a crash
    bad = {"id": POSITION, "status": "ok", "frame": [[0], len(frame)], "slot": POSITION}
    assert judge.passes({POSITION: bad}, Frames(frame)) == set()
