"""Turn IPython-only syntax into plain Python that does nothing, without importing IPython.

Line magics (``%matplotlib inline``), shell escapes (``!pip install x``), their assignment forms
(``files = !ls``), help lines (``np.dot?``) and cell magics (``%%time``) are neutralised, keeping
indentation so the cell still compiles. ``%%time``-like magics run their body; any other cell magic
(``%%writefile``, ``%%bash``, ...) makes the whole cell inert.
"""

import re

_ASSIGN_MAGIC = re.compile(r"^(\s*)([A-Za-z_][\w.,\s]*?)\s*=\s*[%!].*$")
_HELP = re.compile(r"^(\s*)[\w.]+\?{1,2}\s*$|^(\s*)\?{1,2}[\w.]+\s*$")
_BODY_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug"}


def transform_cell(source):
    """Return Python source for an IPython cell; magics and shell escapes become no-ops."""
    if "%" not in source and "!" not in source and "?" not in source:
        return source  # plain Python: nothing to neutralise
    lines = source.splitlines()
    if not lines:
        return ""
    first = lines[0].lstrip()
    if first.startswith("%%"):
        magic = first[2:].split(None, 1)[0] if len(first) > 2 else ""
        if magic not in _BODY_CELL_MAGICS:
            return "pass  # cell magic %%%s skipped by the grader\n" % magic
        lines = lines[1:]
    out = []
    continuation = False
    for line in lines:
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if not continuation and stripped[:1] in ("%", "!"):
            out.append(indent + "pass")
        elif not continuation and _ASSIGN_MAGIC.match(line):
            target = _ASSIGN_MAGIC.match(line).group(2)
            out.append("%s%s = None" % (indent, target.strip()))
        elif not continuation and _HELP.match(line):
            out.append(indent + "pass")
        else:
            out.append(line)
        continuation = line.rstrip().endswith("\\")
    return "\n".join(out) + "\n"
