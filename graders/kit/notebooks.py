"""Build the student and solution notebooks from one template and the reference solutions.

The prose, the examples and the cell order come from ``template/notebook.md`` in the assignment
folder (its header explains the cell syntax). Each ``<!-- function: NAME -->`` cell is filled from
the pack's solution module: the solution notebook gets the function as written there, the student
notebook gets the same signature and docstring with the solution region replaced by a fill-in
region, and the Otter master (see :mod:`graders.kit.bundles`) gets both, in Otter's markup.

Notebooks are serialised deterministically (fixed cell ids, sorted keys, no outputs, no
timestamps), so a rebuild is byte-identical and CI can compare the kept copies with a fresh build.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from graders.assignment import current
from graders.errors import UserError


def template_path() -> Path:
    """The selected pack's notebook template."""
    return current().template_dir / "notebook.md"


def reference_path() -> Path:
    """The file of the selected pack's reference solutions."""
    return Path(str(current().solution.__file__))


def assignment_name() -> str:
    """The selected pack's name (the notebooks' and Otter's assignment name)."""
    return current().name

STUDENT = "student"
SOLUTION = "solution"
OTTER = "otter"
VARIANTS = (STUDENT, SOLUTION, OTTER)

BEGIN_SOLUTION = "# BEGIN SOLUTION"
END_SOLUTION = "# END SOLUTION"
STUB_START = "# YOUR CODE STARTS HERE"
STUB_END = "# YOUR CODE ENDS HERE"
GRADED_HEADER = "# GRADED FUNCTION: {name}"
CHECK_SOURCE = "check({name});"

NBFORMAT_MINOR = 5
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}

_HEADER = re.compile(
    r"^<!-- (markdown|code|function|check): ([A-Za-z0-9_-]+)(?: \| (student|solution))? -->$"
)
_FENCE = re.compile(r"\A```python\n(.*?)\n```\s*\Z", re.DOTALL)

MSG_BAD_TEMPLATE = "template {path}, line {line}: {problem}"


@dataclass(frozen=True)
class TemplateCell:
    """One cell of the template, before it is specialised for a notebook."""

    kind: str  #: markdown | code | function | check
    name: str  #: the cell id (markdown, code) or the graded function's name (function, check)
    source: str  #: the cell text (markdown, code); empty for function and check cells
    only: str | None  #: "student" or "solution" when the cell belongs to one notebook only
    line: int  #: line of the header in the template, for error messages

    @property
    def cell_id(self) -> str:
        """The notebook cell id: stable, unique, and valid for nbformat 4.5."""
        prefix = {"function": "fn-", "check": "check-"}.get(self.kind, "")
        return prefix + self.name.replace("_", "-")

    def in_variant(self, variant: str) -> bool:
        """Whether this cell belongs in the notebook ``variant`` (the Otter master follows the solution)."""
        if self.kind == "check":
            return variant == STUDENT
        if self.only is None:
            return True
        return self.only == (STUDENT if variant == STUDENT else SOLUTION)


@dataclass(frozen=True)
class GradedFunction:
    """A reference function cut at its solution markers."""

    name: str
    head: list[str]  #: ``def`` line and docstring, up to the BEGIN SOLUTION marker
    body: list[str]  #: the solution lines between the markers
    tail: list[str]  #: the lines after END SOLUTION (the ``return``)
    indent: str  #: indentation of the markers
    returns: tuple[str, ...]  #: names the ``return`` statement returns

    def fill_in_region(self) -> list[str]:
        """The student's region: every returned name set to None, then the two markers."""
        lines = ["%s%s = None" % (self.indent, name) for name in self.returns]
        return lines + [self.indent + STUB_START, "", self.indent + STUB_END]

    def source(self, variant: str) -> str:
        """The code cell for ``variant``: solution, student stub, or Otter's solution-with-prompt."""
        if variant == SOLUTION:
            lines = self.head + self.body + self.tail
        elif variant == STUDENT:
            lines = self.head + self.fill_in_region() + self.tail
        elif variant == OTTER:
            prompt = [self.indent + '""" # BEGIN PROMPT'] + self.fill_in_region() + [
                self.indent + '""" # END PROMPT']
            lines = (self.head + [self.indent + BEGIN_SOLUTION + " NO PROMPT"] + self.body
                     + [self.indent + END_SOLUTION] + prompt + self.tail)
        else:
            raise ValueError("unknown notebook variant %r" % (variant,))
        return "\n".join([GRADED_HEADER.format(name=self.name)] + lines)


# -- the template -----------------------------------------------------------------------------


def parse_template(text: str, path: Path | str | None = None) -> list[TemplateCell]:
    """Split the template into cells; text before the first header is a comment and is dropped."""
    path = template_path() if path is None else path
    cells: list[TemplateCell] = []
    current: tuple[str, str, str | None, int] | None = None
    buffer: list[str] = []

    def flush():
        if current is None:
            return
        kind, name, only, line = current
        source = "\n".join(buffer).strip("\n")
        if kind == "code":
            match = _FENCE.match(source)
            if not match:
                raise UserError(MSG_BAD_TEMPLATE.format(
                    path=path, line=line, problem="a code cell must be one ```python block"))
            source = match.group(1)
        elif kind in ("function", "check") and source:
            raise UserError(MSG_BAD_TEMPLATE.format(
                path=path, line=line, problem="a %s cell takes no text" % kind))
        cells.append(TemplateCell(kind, name, source, only, line))

    for number, line in enumerate(text.splitlines(), start=1):
        match = _HEADER.match(line)
        if match:
            flush()
            current, buffer = (match.group(1), match.group(2), match.group(3), number), []
        elif line.startswith("<!-- ") and line.rstrip().endswith("-->") and current is not None:
            raise UserError(MSG_BAD_TEMPLATE.format(path=path, line=number, problem="unreadable cell header"))
        else:
            buffer.append(line)
    flush()
    _check_ids(cells, path)
    return cells


def _check_ids(cells: list[TemplateCell], path) -> None:
    seen: dict[str, int] = {}
    for cell in cells:
        if cell.cell_id in seen:
            raise UserError(MSG_BAD_TEMPLATE.format(
                path=path, line=cell.line, problem="cell id %r is used twice" % cell.cell_id))
        seen[cell.cell_id] = cell.line


def load_template(path: Path | str | None = None) -> list[TemplateCell]:
    """Read and parse the template file (the selected pack's by default)."""
    path = template_path() if path is None else path
    return parse_template(Path(path).read_text(encoding="utf-8"), path)


# -- the reference functions ------------------------------------------------------------------


def extract_functions(path: Path | str | None = None) -> dict[str, GradedFunction]:
    """Every function of the reference module that has solution markers, cut at them."""
    path = reference_path() if path is None else path
    text = Path(path).read_text(encoding="utf-8")
    lines = text.splitlines()
    functions = {}
    for node in ast.parse(text).body:
        if not isinstance(node, ast.FunctionDef):
            continue
        source = lines[node.lineno - 1: node.end_lineno]
        marks = [i for i, line in enumerate(source) if line.strip() in (BEGIN_SOLUTION, END_SOLUTION)]
        if not marks:
            continue
        if len(marks) != 2 or source[marks[0]].strip() != BEGIN_SOLUTION:
            raise UserError("%s: %s needs exactly one %s ... %s region" % (
                path, node.name, BEGIN_SOLUTION, END_SOLUTION))
        begin, end = marks
        marker = source[begin]
        functions[node.name] = GradedFunction(
            name=node.name,
            head=source[:begin],
            body=source[begin + 1: end],
            tail=source[end + 1:],
            indent=marker[: len(marker) - len(marker.lstrip())],
            returns=_returned_names(node),
        )
    return functions


def _returned_names(node: ast.FunctionDef) -> tuple[str, ...]:
    last = node.body[-1]
    if not isinstance(last, ast.Return) or last.value is None:
        raise UserError("reference function %s must end with `return <names>`" % node.name)
    items = last.value.elts if isinstance(last.value, ast.Tuple) else [last.value]
    if not all(isinstance(item, ast.Name) for item in items):
        raise UserError("reference function %s must return plain names" % node.name)
    return tuple(item.id for item in items if isinstance(item, ast.Name))


# -- notebooks --------------------------------------------------------------------------------


def cell_source(cell: TemplateCell, variant: str, functions: dict[str, GradedFunction]) -> str:
    """The text of one template cell in the notebook ``variant``."""
    if cell.kind == "function":
        if cell.name not in functions:
            raise UserError(MSG_BAD_TEMPLATE.format(
                path=template_path(), line=cell.line, problem="no graded function %r in %s" % (
                    cell.name, reference_path().name)))
        return functions[cell.name].source(variant)
    if cell.kind == "check":
        return CHECK_SOURCE.format(name=cell.name)
    return cell.source


def make_cell(cell_type: str, cell_id: str, source: str) -> nbformat.NotebookNode:
    """A notebook cell with a fixed id and no outputs."""
    if cell_type == "markdown":
        node = nbformat.v4.new_markdown_cell(source)
    elif cell_type == "raw":
        node = nbformat.v4.new_raw_cell(source)
    else:
        node = nbformat.v4.new_code_cell(source)
    node["id"] = cell_id
    return node


def variant_cells(variant: str, template: list[TemplateCell] | None = None,
                  functions: dict[str, GradedFunction] | None = None
                  ) -> list[tuple[TemplateCell, nbformat.NotebookNode]]:
    """The template cells that belong in ``variant``, each with its notebook cell."""
    template = load_template() if template is None else template
    functions = extract_functions() if functions is None else functions
    pairs = []
    for cell in template:
        if cell.in_variant(variant):
            cell_type = "markdown" if cell.kind == "markdown" else "code"
            pairs.append((cell, make_cell(cell_type, cell.cell_id, cell_source(cell, variant, functions))))
    return pairs


def new_notebook(cells: list[nbformat.NotebookNode], variant: str) -> nbformat.NotebookNode:
    """A notebook with our fixed metadata around ``cells``."""
    notebook = nbformat.v4.new_notebook()
    notebook["nbformat"], notebook["nbformat_minor"] = 4, NBFORMAT_MINOR
    notebook["cells"] = cells
    notebook["metadata"] = {
        "kernelspec": dict(KERNELSPEC),
        "language_info": {"name": "python"},
        # Otter checks this name, so the Otter autograder also accepts our own notebooks.
        "otter": {"assignment_name": assignment_name()},
        assignment_name(): {"variant": variant},
    }
    return notebook


def build_notebook(variant: str) -> nbformat.NotebookNode:
    """The student or solution notebook, built from the template and the reference."""
    if variant not in (STUDENT, SOLUTION):
        raise ValueError("build_notebook makes the student and solution notebooks, not %r" % (variant,))
    return new_notebook([node for _, node in variant_cells(variant)], variant)


def notebook_text(notebook: nbformat.NotebookNode) -> str:
    """Serialise ``notebook`` deterministically (validated, sorted keys, one-space indent, final newline)."""
    nbformat.validate(notebook)
    return json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def render_notebooks() -> dict[str, str]:
    """Both notebooks as text, keyed by variant."""
    return {variant: notebook_text(build_notebook(variant)) for variant in (STUDENT, SOLUTION)}
