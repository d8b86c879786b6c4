"""Feedback names a cell as Jupyter shows it: ``In [n]`` when the cell has an execution count of its
own, else its position among all the notebook's cells (text cells included), and then says so."""

import json

import pytest

from graders.grade import Grader, Limits
from graders.kit.nbbuild import notebook_bytes, solution_cells, solution_source
from graders.notebook import MSG_POSITIONS, cell_name, code_cells

FAST = Limits(cell_seconds=3, call_seconds=0.5, notebook_seconds=30)
BROKEN_CELL = "undefined_helper()\n"
RAISES = solution_source("linear_backward").replace("dW = np.dot(dZ, A_prev.T) / m", "dW = np.dot(dZ, A_prev) / m")
ASSERTS = solution_source("compute_cost").replace("    return cost", "    assert cost < 0, 'never'\n    return cost")


def _notebook(counts: list | None, text_cells: bool = True) -> bytes:
    """The reference with a broken cell and a wrong linear_backward; markdown before every code
    cell when ``text_cells``; ``counts`` the execution counts of the code cells (None: not run)."""
    cells = solution_cells({"linear_backward": RAISES, "compute_cost": ASSERTS}) + [BROKEN_CELL]
    document = json.loads(notebook_bytes(cells))
    mixed = []
    for index, cell in enumerate(document["cells"]):
        cell["execution_count"] = counts[index] if counts else None
        if text_cells:
            mixed.append({"cell_type": "markdown", "id": "text-%d" % index, "metadata": {}, "source": "## Step"})
        mixed.append(cell)
    document["cells"] = mixed
    return json.dumps(document).encode()


@pytest.fixture(scope="module")
def grader():
    with Grader(limits=FAST) as shared:
        yield shared


def test_cells_are_named_by_their_count_when_unique_else_by_position_among_all_cells():
    document = {"cells": [{"cell_type": "markdown", "source": "# Title"},
                          {"cell_type": "code", "source": "a = 1", "execution_count": 4},
                          {"cell_type": "code", "source": "b = 2", "execution_count": None},
                          {"cell_type": "raw", "source": "raw"},
                          {"cell_type": "code", "source": "c = 3", "execution_count": 7},
                          {"cell_type": "code", "source": "d = 4", "execution_count": 7},
                          {"cell_type": "code", "source": "e = 5", "execution_count": True}],
                "nbformat": 4, "nbformat_minor": 5, "metadata": {}}
    cells = code_cells(json.dumps(document).encode())
    assert list(cells) == ["a = 1", "b = 2", "c = 3", "d = 4", "e = 5"]
    # a count two cells share (a kernel restarted between them) names neither
    assert cells.labels == ["In [4]", "cell 3", "cell 5", "cell 6", "cell 7"]
    assert cell_name(cells, 0) == "In [4]" and cell_name(["x", "y"], 1) == "cell 2"


def test_nbformat3_prompt_numbers_name_cells_too():
    document = {"nbformat": 3, "worksheets": [{"cells": [
        {"cell_type": "heading", "source": "Title"},
        {"cell_type": "code", "input": "a = 1", "prompt_number": 12},
        {"cell_type": "code", "input": "b = 2"}]}]}
    assert code_cells(json.dumps(document).encode()).labels == ["In [12]", "cell 3"]


def test_feedback_uses_the_counts_jupyter_shows(grader):
    counts = [3 * index + 10 for index in range(12)]  # a student who ran some cells more than once
    result = grader.grade_bytes(_notebook(counts), "counted.ipynb")
    broken = "In [%d]" % counts[-1]
    (event,) = [e for e in result.events if e.kind == "cell_error"]
    assert event.message.startswith(broken + " raised NameError") and event.cell == 12, event.message
    raised = result.function("linear_backward").cases[0].message
    backward = "In [%d]" % counts[1 + 6]  # the import cell, then the graded functions in order
    assert "(%s, line " % backward in raised, raised
    (asserted,) = result.function("compute_cost").notes  # the assert is judged by the values returned
    assert "(In [%d], line " % counts[1 + 5] in asserted, asserted
    assert not [e for e in result.events if e.kind == "cell_numbering"]


def test_feedback_without_counts_counts_every_cell_and_says_so(grader):
    result = grader.grade_bytes(_notebook(None), "not_run.ipynb")
    (event,) = [e for e in result.events if e.kind == "cell_error"]
    # 12 code cells, each after a text cell: the broken one is the 24th cell of the notebook
    assert event.message.startswith("Cell 24 raised NameError"), event.message
    assert "(cell 16, line " in result.function("linear_backward").cases[0].message
    (legend,) = [e for e in result.events if e.kind == "cell_numbering"]
    assert legend.message == MSG_POSITIONS


def test_a_notebook_without_text_cells_or_counts_keeps_its_numbers(grader):
    result = grader.grade_bytes(_notebook(None, text_cells=False), "plain.ipynb")
    (event,) = [e for e in result.events if e.kind == "cell_error"]
    assert event.message.startswith("Cell 12 raised NameError"), event.message
