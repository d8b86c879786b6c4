"""Read a submitted notebook into its code cells, turning every way it can be broken into a
clear :class:`NotebookError` instead of a traceback.

JSON is parsed directly (no nbformat), which is faster and more forgiving: nbformat 4 and the
older nbformat 3 (``worksheets``) layouts are both read.
"""

from __future__ import annotations

import json

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
MSG_NO_CODE = "The notebook has no code cells, so there is nothing to grade. Is this the right file?"


class NotebookError(Exception):
    """The submission cannot be read as a notebook; the message says why and what to do."""


def _source_text(source) -> str:
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    return ""


def code_cells(data: bytes, max_bytes: int = MAX_NOTEBOOK_BYTES) -> list[str]:
    """Return the source of every code cell, in order.

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
    if isinstance(document.get("cells"), list):
        cells = document["cells"]
        sources = [_source_text(c.get("source")) for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]
    elif isinstance(document.get("worksheets"), list):  # nbformat 3
        sources = []
        for sheet in document["worksheets"]:
            for cell in (sheet.get("cells") or []) if isinstance(sheet, dict) else []:
                if isinstance(cell, dict) and cell.get("cell_type") == "code":
                    sources.append(_source_text(cell.get("input")))
    else:
        raise NotebookError(MSG_NOT_NOTEBOOK.format(why="it has neither 'cells' nor 'worksheets'"))
    if not sources:
        raise NotebookError(MSG_NO_CODE)
    return sources
