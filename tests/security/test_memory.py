"""No notebook can read an earlier notebook's code or values from memory it inherited.

Every child that runs student code is forked from the zygote, which has never seen a submission
(see ``graders.worker.server``). The attack: a first notebook carries a canary in its source and
in the values it returns; a second notebook, graded next on the same warm worker, scans every
readable page of its own process (``/proc/self/maps`` and ``ctypes.string_at``, as an attacker
would) for the canary's prefix and reports every token that follows it.
"""

from __future__ import annotations

import re
import secrets

import pytest

from graders.kit.nbbuild import notebook_bytes, solution_cells
from tests.security.support import reports

PREFIX = "ZYGOTE" + "-CANARY-"

#: a longer notebook than the scanner, so the scanner's own request cannot land on all of it
PADDING = "".join("# line %d of an earlier student's long notebook\n" % i for i in range(400))
VICTIM_CELL = PADDING + '''
CANARY = "%s%s"
def canary_value():
    return CANARY
'''

SCANNER_CELL = '''
import ctypes, re
prefix = "ZYGOTE" + "-CANARY-"
pattern = re.compile(prefix.encode() + b"([0-9a-f]{32})")
found = set()
regions = 0
with open("/proc/self/maps") as maps:
    lines = maps.read().splitlines()
for line in lines:
    fields = line.split()
    start, end = (int(x, 16) for x in fields[0].split("-"))
    name = fields[5] if len(fields) > 5 else ""
    if not fields[1].startswith("r") or name in ("[vvar]", "[vsyscall]", "[vvar_vclock]") or end - start > 1 << 30:
        continue
    try:
        data = ctypes.string_at(start, end - start)
    except Exception:
        continue
    regions += 1
    found.update(match.group(1).decode() for match in pattern.finditer(data))
raise RuntimeError("REPORT regions=%d; found=%s" % (regions, ",".join(sorted(found)) or "none"))
'''


def test_a_notebook_cannot_read_the_previous_notebooks_from_memory(grader):
    token = secrets.token_hex(16)
    victim = notebook_bytes(solution_cells() + [VICTIM_CELL % (PREFIX, token), PADDING])
    scanner = notebook_bytes(solution_cells() + [SCANNER_CELL])
    # a few victims, so their frames are in the worker's heap whatever the allocator reused
    for _ in range(3):
        assert grader.grade_bytes(victim, "victim.ipynb").score == pytest.approx(100.0)
    # the scan reads every mapping with ctypes, and a mapping that goes away mid-scan can crash it;
    # that is the attack failing, not the sandbox holding, so it gets three tries to complete
    messages: list[list[str]] = []
    for _ in range(3):
        result = grader.grade_bytes(scanner, "scanner.ipynb")
        seen = reports(result)
        if "found" in seen:
            assert token not in seen["found"].split(","), "the scanner found the previous notebook's source in memory"
        if int(seen.get("regions", 0)) > 10:
            break
        messages.append([event.message for event in result.events])
    else:
        pytest.fail("the scan never completed: %r" % messages)


def test_the_scanner_finds_its_own_canary(grader):
    """The same scan does find a canary in the notebook's own memory: the attack above can see."""
    token = secrets.token_hex(16)
    scanner = notebook_bytes(solution_cells() + [VICTIM_CELL % (PREFIX, token), SCANNER_CELL])
    seen = reports(grader.grade_bytes(scanner, "scanner.ipynb"))
    assert re.fullmatch(r"[0-9a-f,]+", seen["found"]) and token in seen["found"].split(","), seen
