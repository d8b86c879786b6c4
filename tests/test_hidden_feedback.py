"""Feedback on hidden cases never lets a student work out a hidden expected value.

A student knows what their own code returns. A message that says "about 0.7184 times the right
value", "off by the same amount, 0.25" or "the largest by 0.031" would then give the hidden value
to four digits. On hidden cases the grader says such things only in coarse words ("about twice",
"too large"); on public cases, whose expected values the notebook prints anyway, it keeps the
numbers.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from graders.grade import Grader
from graders.kit.nbbuild import edited_source, notebook_bytes, solution_cells
from graders.portable.checks import describe_difference

NUMBER = re.compile(r"\d\.\d|\d{2,}\.|\be[-+]?\d")


@pytest.mark.parametrize("got", [
    lambda e: e * 0.7184,  # a factor
    lambda e: e + 0.25,  # an offset
    lambda e: e + np.where(np.arange(e.size).reshape(e.shape) == 0, 0.031, 0.0),  # one entry off
    lambda e: -1.7 * e,  # a negative factor
])
@pytest.mark.parametrize("expected", [np.array(0.6931), np.array([[0.5, -1.25], [2.0, 0.75]])])
def test_hidden_differences_carry_no_number(expected, got):
    said = describe_difference(expected, got(expected), hidden=True)
    assert NUMBER.search(said) is None, said
    assert describe_difference(expected, got(expected)) != said or NUMBER.search(said) is None


def test_simple_factors_are_still_named():
    expected = np.array([[0.5, -1.25], [2.0, 0.75]])
    assert "twice" in describe_difference(expected, 2 * expected, hidden=True)
    assert "half" in describe_difference(expected, expected / 2, hidden=True)
    assert "0.7184" in describe_difference(expected, 0.7184 * expected)  # public: the number stays


def test_a_scaled_cost_gets_no_hidden_digits_end_to_end():
    source = edited_source("compute_cost", "cost = np.squeeze(cost)", "cost = 0.7184 * np.squeeze(cost)")
    with Grader() as grader:
        result = grader.grade_bytes(notebook_bytes(solution_cells({"compute_cost": source})), "scaled.ipynb")
    cost = next(f for f in result.functions if f.name == "compute_cost")
    hidden = [case.message for case in cost.cases if case.visibility == "hidden" and not case.passed]
    assert hidden, "the scaled cost fails its hidden cases"
    for message in hidden:
        assert "0.7184" not in message and "1.392" not in message, message
        assert "too small" in message, message
