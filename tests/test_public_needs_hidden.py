"""Code that only reproduces the printed example earns nothing for it (issue 12, items 8 and 9).

Every function but the initialisers has a hidden case with the printed example's shapes and fresh
values, and a public case earns its points only when its function also has the right values on a
hidden case: otherwise it earns at most what the function's best hidden case earned.
"""

from __future__ import annotations

import numpy as np
import pytest

from graders.assignment import current
from graders.cases import load_case_set
from graders.grade import Grader
from graders.kit.nbbuild import notebook_bytes, solution_cells, solution_source
from graders.scoring import MSG_PUBLIC_ONLY

SPEC = current().spec
CASES = load_case_set()
#: the functions whose values a seed fixes have no fresh-values case of the printed shapes
SEEDED = {"initialize_parameters", "initialize_parameters_deep"}
FUNCTIONS = [name for name in SPEC.functions if name not in SEEDED]


def literal(value) -> str:
    """Python source that rebuilds ``value`` exactly (arrays as ``np.array`` of their list)."""
    if isinstance(value, np.ndarray):
        return "np.array(%r)" % (value.tolist(),)
    if isinstance(value, tuple):
        return "(%s,)" % ", ".join(map(literal, value)) if value else "()"
    if isinstance(value, list):
        return "[%s]" % ", ".join(map(literal, value))
    if isinstance(value, dict):
        return "{%s}" % ", ".join("%r: %s" % (key, literal(item)) for key, item in value.items())
    return repr(value)


def printed_case(function: str):
    return next(case for case in CASES if case.function == function and case.visibility == "public")


def returns_the_printed_numbers(function: str) -> str:
    """``function`` with the template's signature, returning the printed example's values always."""
    head = solution_source(function).split("\n", 1)[0]
    return "%s\n    return %s\n" % (head, literal(printed_case(function).expected))


@pytest.fixture(scope="module")
def grader():
    with Grader() as shared:
        yield shared


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_has_a_hidden_case_of_the_printed_shapes(function):
    def shapes(value):
        if isinstance(value, np.ndarray):
            return value.shape
        if isinstance(value, (list, tuple)):
            return [shapes(item) for item in value]
        if isinstance(value, dict):
            return {key: shapes(item) for key, item in value.items()}
        return type(value).__name__ if isinstance(value, float) else value

    printed = printed_case(function)
    twins = [case for case in CASES if case.function == function and case.visibility == "hidden"
             and shapes(case.args) == shapes(printed.args)]
    assert twins, "no hidden case of %s has the printed example's shapes" % function
    assert all(literal(case.expected) != literal(printed.expected) for case in twins)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_code_that_returns_the_printed_numbers_earns_nothing_for_them(grader, function):
    result = grader.grade_bytes(notebook_bytes(solution_cells({function: returns_the_printed_numbers(function)})),
                                "printed.ipynb").function(function)
    printed = next(case for case in result.cases if case.case_id == printed_case(function).id)
    # it is right on the printed example, yet earns no more there than its best hidden case
    assert printed.credit <= SPEC.partial_credit["shapes"] + 1e-9, printed
    best_hidden = max(case.credit for case in result.cases if "/hidden/" in case.case_id)
    assert printed.credit <= best_hidden + 1e-9
    assert result.score <= SPEC.partial_credit["shapes"] * result.max_score + 1e-9, result
    assert MSG_PUBLIC_ONLY.format(name=function) in result.notes


def test_right_code_keeps_every_public_point(grader):
    result = grader.grade_bytes(notebook_bytes(solution_cells()), "right.ipynb")
    assert result.score == SPEC.total_points
    assert not any(MSG_PUBLIC_ONLY.format(name=f.name) in f.notes for f in result.functions)
