"""Build attack notebooks and read what they report.

An attack lives in ``attacks/<category>/<what_it_does>.py``: notebook cells separated by ``# %%``
lines, after a header of ``# key: value`` lines:

- ``spoils``: graded functions the attack makes wrong (every other one must keep full marks);
- ``omits``: reference functions left out of the notebook (the attack tries to steal them);
- ``where``: ``end`` (default: after the honest cells) or ``start`` (right after the import cell);
- ``modes``: ``all`` (default), or ``strong`` (bubblewrap, or the fallback run by root, which
  gives student code a user and a /tmp of its own), or ``bwrap``;
- ``limits``: ``roomy`` to run under :data:`ROOMY` instead of :data:`FAST` (attacks whose honest
  effect, such as touching hundreds of MB, takes more than a second on a busy machine);
- ``refused``: ``shared-user`` when the attack stops the grader's own process wherever student
  code runs as that process's user (bubblewrap, or the fallback run by a user who is not root):
  there the notebook must get the refusal (no marks, a message saying why), not its honest score.

Placeholders in the cells are filled per run: ``{{SENTINEL}}`` (a file outside the sandbox that
must stay absent), ``{{HOSTTMP}}`` (the same in the host's /tmp), ``{{OUTSIDE}}`` (a folder beside
the submission), ``{{PORT}}`` (a TCP listener on 127.0.0.1), ``{{MARKER}}`` (a secret in the
grader's environment), ``{{KIT}}`` (where the kit is), ``{{NUL}}`` and ``{{SURROGATE}}`` (characters
a file cannot hold literally). Attacks tell the test what they saw by
raising ``RuntimeError("REPORT key=value; ...")``, which the grade shows as a cell error.
"""

from __future__ import annotations

import os
import re
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

from graders.assignment import current
from graders.grade import Limits
from graders.kit.nbbuild import import_cell, notebook_bytes, solution_cells
from graders.result import GradeResult
from graders.sandbox.launch import KIT_ROOT

IMPORT_CELL = import_cell()  # the import cell of the pack under test

ATTACKS = Path(__file__).resolve().parent / "attacks"
SPEC = current().spec
#: short limits, so hangs cost seconds; memory low enough that a bomb cannot hurt the CI machine
FAST = Limits(cell_seconds=1, call_seconds=0.5, notebook_seconds=30, memory_mb=768)
#: as FAST, but a cell may take long enough to touch the whole memory limit on a loaded machine
ROOMY = Limits(cell_seconds=30, call_seconds=0.5, notebook_seconds=60, memory_mb=768)
ATTACK_COMM = "dnnattack"  #: attacks name the processes they start so the tests can look for them
_REPORT = re.compile(r"REPORT ([^()]*?)(?: \((?:cell \d+|In \[\d+\]), line \d+[:;)]|$)")  # the worker's place follows


@dataclass(frozen=True)
class Attack:
    """One attack notebook and what it should (not) achieve."""

    name: str
    category: str
    cells: tuple[str, ...]
    spoils: frozenset[str] = frozenset()
    omits: tuple[str, ...] = ()
    where: str = "end"
    modes: str = "all"
    refused: str = ""
    limits: str = "fast"
    header: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return "%s/%s" % (self.category, self.name)

    def runs_in(self, mode: str) -> bool:
        if self.modes == "bwrap":
            return mode == "bwrap"
        if self.modes == "strong":
            return strong(mode)
        return True

    def refused_in(self, mode: str) -> bool:
        return self.refused == "shared-user" and shares_user(mode)

    def notebook(self, **values: str) -> bytes:
        cells = solution_cells(omit=self.omits)
        attack = [fill(cell, values) for cell in self.cells]
        if self.where == "start":
            cells[1:1] = attack
        else:
            cells.extend(attack)
        return notebook_bytes(cells)


def shares_user(mode: str) -> bool:
    """Does student code run as the user of the worker's own processes in ``mode`` here?"""
    return mode == "bwrap" or os.geteuid() != 0


def strong(mode: str) -> bool:
    """Does ``mode`` give student code its own user, /tmp and hidden kit here?"""
    return mode == "bwrap" or os.geteuid() == 0


def fill(text: str, values: dict) -> str:
    values = dict(values, NUL="\x00", SURROGATE="\ud800")
    for key, value in values.items():
        text = text.replace("{{%s}}" % key, str(value))
    return text


def load_attack(path: Path) -> Attack:
    header, cells, current = {}, [], []
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    body_started = False
    for line in lines:
        match = re.match(r"# (spoils|omits|where|modes|refused|limits|attack): ?(.*)$", line.strip())
        if not body_started and match:
            header[match.group(1)] = match.group(2).strip()
            continue
        if line.strip() == "# %%":
            if current:
                cells.append("".join(current))
            current, body_started = [], True
            continue
        body_started = True
        current.append(line)
    if "".join(current).strip():
        cells.append("".join(current))
    names = lambda key: tuple(n for n in re.split(r"[,\s]+", header.get(key, "")) if n and n != "none")  # noqa: E731
    return Attack(path.stem, path.parent.name, tuple(cells), frozenset(names("spoils")), names("omits"),
                  header.get("where", "end"), header.get("modes", "all"), header.get("refused", ""),
                  header.get("limits", "fast"), header)


def attacks(category: str | None = None) -> list[Attack]:
    folders = [ATTACKS / category] if category else sorted(p for p in ATTACKS.iterdir() if p.is_dir())
    return [load_attack(path) for folder in folders for path in sorted(folder.glob("*.py"))]


def reports(result: GradeResult) -> dict[str, str]:
    """The ``key=value`` pairs every attack cell reported."""
    found = {}
    for event in result.events:
        for match in _REPORT.finditer(event.message):
            for pair in match.group(1).split(";"):
                if "=" in pair:
                    key, value = pair.split("=", 1)
                    found[key.strip()] = value.strip()
    return found


def refusal_holds(result: GradeResult) -> list[str]:
    """What is wrong with ``result`` for a notebook that stopped the grader's own process."""
    problems = []
    if result.score != 0 or result.status != "graded":
        problems.append("score %s, status %s: not the refusal" % (result.score, result.status))
    if not any(event.kind == "refused" and "grader's own processes" in event.message for event in result.events):
        problems.append("no refusal that says why: %s" % [e.message for e in result.events])
    return problems


def honest_score_holds(result: GradeResult, spoiled: frozenset[str] | set[str]) -> list[str]:
    """What is wrong with ``result`` for a notebook that is honest except for ``spoiled``."""
    problems = []
    if result.status != "graded":
        problems.append("status %s: %s" % (result.status, [e.message for e in result.events]))
    for function in result.functions:
        if function.name in spoiled:
            if any(case.passed for case in function.cases):
                problems.append("%s passed a case it should not have" % function.name)
            if function.score > 0.2 * function.max_score + 1e-9:
                problems.append("%s got %s of %s" % (function.name, function.score, function.max_score))
        elif function.score != function.max_score:
            problems.append("%s lost points: %s" % (function.name, [c.message for c in function.cases][:2]))
    return problems


def attack_processes() -> list[int]:
    """Processes on this machine that an attack started and named (none may outlive a grade)."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/comm" % name) as handle:
                    comm = handle.read().strip()
                with open("/proc/%s/stat" % name) as handle:
                    state = handle.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if comm == ATTACK_COMM and state != "Z":
                found.append(int(name))
    return found


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except (socket.timeout, OSError):
                continue
            self.accepted += 1
            connection.close()

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self.socket.close()


__all__ = ["ATTACKS", "ATTACK_COMM", "Attack", "FAST", "ROOMY", "IMPORT_CELL", "KIT_ROOT", "Listener", "SPEC",
           "attack_processes", "attacks", "fill", "honest_score_holds", "load_attack", "refusal_holds", "reports",
           "shares_user", "strong"]
