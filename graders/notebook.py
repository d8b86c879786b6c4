"""Read a submitted notebook into its code cells, turning every way it can be broken into a
clear :class:`NotebookError` instead of a traceback.

JSON is parsed directly (no nbformat), which is faster and more forgiving: nbformat 4 and the
older nbformat 3 (``worksheets``) layouts are both read.
"""

from __future__ import annotations

import json
from collections import Counter

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024

MSG_TOO_LARGE = (
    "The notebook is {size:,} bytes, over the {cap:,}-byte limit. Clear the outputs "
    "(Kernel > Restart & Clear Output) and submit again."
)
MSG_NOT_UTF8 = (
    "The notebook is not valid UTF-8 text (byte {position} is not). Was a different file "
    "renamed to .ipynb? Download the notebook again with File > Download as > Notebook."
)
MSG_BAD_JSON = (
    "The notebook is not valid JSON ({error}). It may be truncated or edited by hand; "
    "download it again from Jupyter with File > Download."
)
MSG_NOT_NOTEBOOK = "The file is JSON but not a Jupyter notebook: {why}."
MSG_POSITIONS = (
    "Cells without an In [n] count of their own are named by their position in the notebook, "
    "counting from the top, text cells included: cell 7 is the seventh cell."
)
MSG_NO_CODE = "The notebook has no code cells, so there is nothing to grade. Is this the right file?"


class Cells(list):
    """The sources of a notebook's code cells, in order, with the name feedback gives each cell
    (``labels``, see :func:`code_cells`)."""

    def __init__(self, sources: list[str], labels: list[str]):
        super().__init__(sources)
        self.labels = labels


def cell_name(cells: list[str] | None, index: int) -> str:
    """The name of code cell ``index`` (0-based): its label when ``cells`` came from
    :func:`code_cells`, else its place among the code cells."""
    labels = getattr(cells, "labels", None)
    if labels is not None and 0 <= index < len(labels):
        return labels[index]
    return "cell %d" % (index + 1)


class NotebookError(Exception):
    """The submission cannot be read as a notebook; the message says why and what to do."""


def _source_text(source) -> str:
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    return ""


def _count(cell: dict, key: str) -> int | None:
    count = cell.get(key)
    return count if type(count) is int and count > 0 else None


def code_cells(data: bytes, max_bytes: int = MAX_NOTEBOOK_BYTES) -> Cells:
    """The source of every code cell, in order, with the name feedback uses for each cell.

    A cell is named by the execution count Jupyter shows beside it, ``In [12]``, when it has one
    that no other code cell shares; otherwise by its position among all the notebook's cells,
    text cells included, ``cell 7`` (see :data:`MSG_POSITIONS`).

    Raises
    ------
    NotebookError
        For a notebook over ``max_bytes``, non-UTF-8 bytes, invalid JSON, a JSON document that is
        not a notebook, or a notebook without code cells.
    """
    if len(data) > max_bytes:
        raise NotebookError(MSG_TOO_LARGE.format(size=len(data), cap=max_bytes))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise NotebookError(MSG_NOT_UTF8.format(position=error.start)) from None
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        if isinstance(error, json.JSONDecodeError):
            detail = "%s; line %d, column %d" % (error.msg, error.lineno, error.colno)
        else:
            detail = "nested too deeply"
        raise NotebookError(MSG_BAD_JSON.format(error=detail)) from None
    if not isinstance(document, dict):
        raise NotebookError(MSG_NOT_NOTEBOOK.format(why="the top level is not an object"))
    # (source, execution count, position among all cells) of each code cell
    found: list[tuple[str, int | None, int]] = []
    if isinstance(document.get("cells"), list):
        for position, cell in enumerate(document["cells"], 1):
            if isinstance(cell, dict) and cell.get("cell_type") == "code":
                found.append((_source_text(cell.get("source")), _count(cell, "execution_count"), position))
    elif isinstance(document.get("worksheets"), list):  # nbformat 3
        position = 0
        for sheet in document["worksheets"]:
            for cell in (sheet.get("cells") or []) if isinstance(sheet, dict) else []:
                position += 1
                if isinstance(cell, dict) and cell.get("cell_type") == "code":
                    found.append((_source_text(cell.get("input")), _count(cell, "prompt_number"), position))
    else:
        raise NotebookError(MSG_NOT_NOTEBOOK.format(why="it has neither 'cells' nor 'worksheets'"))
    if not found:
        raise NotebookError(MSG_NO_CODE)
    counts = Counter(count for _, count, _ in found if count is not None)
    labels = ["In [%d]" % count if count is not None and counts[count] == 1 else "cell %d" % position
              for _, count, position in found]
    return Cells([source for source, _, _ in found], labels)


def positional(label: str) -> bool:
    """Whether a cell's name is its position (``cell 7``) rather than its ``In [n]`` count."""
    return label.startswith("cell ")
