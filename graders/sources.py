"""The source of each graded function in a notebook, as the grader sees it: the last top-level
``def`` of that name in the code cells, in order (the definition a notebook run top to bottom
leaves bound).

Read in the trusted process from the submitted file, never reported by the worker: student code
could make the worker say anything. ``function_sources`` costs well under a millisecond a
notebook: only cells whose text defines a graded name are parsed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

MAX_SOURCE_CHARS = 20_000  #: longer definitions are cut (a function body is never this long in earnest)

_DEF = re.compile(r"^(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)[ \t]*\(", re.MULTILINE)
_MAGIC = re.compile(r"^([ \t]*)[%!].*$", re.MULTILINE)


def function_sources(cells: list[str], names: Iterable[str]) -> dict[str, str]:
    """``{name: source}`` of the last top-level definition of each of ``names`` in ``cells``.

    A cell that Python cannot parse (a syntax error, a magic in an awkward place) is cut by
    indentation instead: the definition runs to the next line that starts at column 0.
    """
    return {name: texts[-1] for name, texts in definitions(cells, names).items()}


def definitions(cells: list[str], names: Iterable[str]) -> dict[str, list[str]]:
    """Every top-level definition of each of ``names`` in ``cells``, in order."""
    wanted = set(names)
    found: dict[str, list[str]] = {}
    for cell in cells:
        defined = [match for match in _DEF.finditer(cell) if match.group(1) in wanted]
        if not defined:
            continue
        for name, text in _definitions(cell, {match.group(1) for match in defined}):
            found.setdefault(name, []).append(text[:MAX_SOURCE_CHARS])
    return found


def _definitions(cell: str, names: set[str]) -> list[tuple[str, str]]:
    lines = cell.splitlines()
    try:
        tree = ast.parse(_MAGIC.sub(lambda m: m.group(1) + "pass", cell))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _by_indentation(lines, names)
    out = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in names:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            last = node.end_lineno or node.lineno
            out.append((node.name, "\n".join(lines[first - 1:last]).rstrip() + "\n"))
    return out


def _by_indentation(lines: list[str], names: set[str]) -> list[tuple[str, str]]:
    out = []
    index = 0
    while index < len(lines):
        match = _DEF.match(lines[index])
        if not match or match.group(1) not in names:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t#)"):
            end += 1
        out.append((match.group(1), "\n".join(lines[index:end]).rstrip() + "\n"))
        index = end
    return out
