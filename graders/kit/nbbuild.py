"""Build small notebooks from the reference solution: for fixtures, samples, audits and benchmarks.

A notebook is a list of code-cell sources; :func:`notebook_bytes` writes it as deterministic
nbformat-4 JSON (sorted keys, fixed ids), without needing nbformat.
"""

from __future__ import annotations

import inspect
import json

from graders.assignment import current


def import_cell() -> str:
    """The import cell of the selected pack's notebooks (``[pack].import_cell``)."""
    return str(current().pack.get("import_cell", "import numpy as np\n"))


def solution_source(name: str) -> str:
    """The reference definition of graded function ``name``, as notebook code (markers removed)."""
    lines = inspect.getsource(current().reference(name)).splitlines(keepends=True)
    return "".join(line for line in lines if line.strip() not in ("# BEGIN SOLUTION", "# END SOLUTION"))


def solution_cells(replace: dict[str, str] | None = None, omit: tuple[str, ...] = ()) -> list[str]:
    """The import cell and one cell per graded function; ``replace`` swaps in other definitions."""
    replace = replace or {}
    cells = [import_cell()]
    for name in current().graded_functions:
        if name in omit:
            continue
        cells.append(replace.get(name, solution_source(name)))
    return cells


def edited_source(name: str, old: str, new: str) -> str:
    """The reference definition of ``name`` with the text ``old`` replaced by ``new`` (which must occur)."""
    source = solution_source(name)
    if old not in source:
        raise ValueError("%r does not occur in the reference %s" % (old, name))
    return source.replace(old, new)


def stub_source(name: str) -> str:
    """``name`` with its body replaced by ``return None``: what an untouched student notebook has."""
    source = solution_source(name)
    header = source.split('"""', 2)
    return '"""'.join(header[:2]) + '"""\n    return None\n'


def notebook_bytes(cells: list[str], nbformat_minor: int = 5) -> bytes:
    """Deterministic nbformat-4 JSON for code cells ``cells``."""
    document = {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": "cell-%d" % index, "metadata": {},
             "outputs": [], "source": source.splitlines(keepends=True)}
            for index, source in enumerate(cells)
        ],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                     "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": nbformat_minor,
    }
    return (json.dumps(document, indent=1, sort_keys=True) + "\n").encode("utf-8")
