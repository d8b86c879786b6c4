"""How the worker hands a case's inputs to student code, and tells whether a call changed them."""

import numpy as np
import pytest

from graders.cases import load_case_set
from graders.portable import wire
from graders.worker.runtime import CopyPlan


def sample_args():
    layer = (np.arange(6.0).reshape(2, 3), np.ones((2, 1)))
    return [np.zeros((2, 3)), {"W1": np.eye(2), "b1": np.zeros((2, 1))}, [(layer, np.full((2, 3), 2.0))], 0.5,
            "relu"]


def same(a, b):
    if isinstance(a, np.ndarray):
        return type(b) is np.ndarray and a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, dict):
        return type(b) is dict and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(b) is type(a) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def test_fresh_arguments_equal_the_case_but_share_no_array_with_it():
    args = sample_args()
    plan = CopyPlan(args)
    fresh, copies = plan.fresh()
    assert same(args, fresh)
    assert len(copies) == 6 and all(copy is not original for copy, original in zip(copies, plan.originals))
    assert not plan.changes(fresh, copies)
    again, _ = plan.fresh()
    assert again[1] is not fresh[1] and again[2][0][0] is not fresh[2][0][0]


def test_every_stored_case_round_trips():
    for case in load_case_set():
        args = wire.roundtrip({"args": case.args})["args"]
        plan = CopyPlan(args)
        fresh, copies = plan.fresh()
        assert same(list(args), fresh) and not plan.changes(fresh, copies), case.id


@pytest.mark.parametrize("change", [
    lambda a: a[0].__setitem__((0, 0), 1.0),
    lambda a: a[1]["W1"].__imul__(2),
    lambda a: a[1].__setitem__("W2", np.eye(2)),
    lambda a: a[1].pop("b1"),
    lambda a: a[1].__setitem__("W1", a[1]["W1"].copy()),  # an equal copy counts (the grader then compares)
    lambda a: setattr(a[0], "shape", (3, 2)),
    lambda a: a[2].append(None),
    lambda a: a[2][0][0][1].__setitem__((1, 0), 5.0),
    lambda a: setattr(a[0], "dtype", np.int64),
])
def test_a_call_that_changes_its_arguments_is_noticed(change):
    plan = CopyPlan(sample_args())
    fresh, copies = plan.fresh()
    change(fresh)
    assert plan.changes(fresh, copies)


def test_reading_or_putting_back_the_same_objects_is_no_change():
    plan = CopyPlan(sample_args())
    fresh, copies = plan.fresh()
    fresh[1]["W1"] = fresh[1].pop("W1")  # another key order, same objects
    fresh[2][0] = tuple(list(fresh[2][0]))  # a new container holding the same objects
    total = sum(float(np.sum(copy)) for copy in copies)
    assert total > 0 and not plan.changes(fresh, copies)


def test_changes_tell_rebound_entries_from_arrays_changed_in_place():
    plan = CopyPlan(sample_args())
    fresh, copies = plan.fresh()
    fresh[1]["W1"] = fresh[1]["W1"] - 0.1  # the pre-W4A1 template: a new array in the caller's dict
    assert plan.changes(fresh, copies) == ["rebound"]
    fresh, copies = plan.fresh()
    fresh[1]["W1"] -= 0.1  # the same array, other values
    assert plan.changes(fresh, copies) == ["in_place"]
    fresh, copies = plan.fresh()
    fresh[1]["W1"] -= 0.1
    fresh[1]["b1"] = fresh[1]["b1"] * 2
    assert plan.changes(fresh, copies) == ["rebound", "in_place"]
