"""The theft and escape attacks again, on the second pack's worker (its helpers file mounted, its
hidden cases and reference beside the first pack's): student code of any pack sees no pack's
secrets, and the honest training loops keep their marks."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

from graders.assignment import find_assignment, select
from graders.grade import Grader
from graders.sandbox.limits import Limits
from tests.security.support import KIT_ROOT, attack_processes, attacks, fill, load_attack, reports, strong
from tests.security.test_attacks import CHECKS, snapshot

SECOND = "dnn_application"
ATTACKS = Path(__file__).resolve().parent / "attacks"
CHOSEN = attacks("theft") + [load_attack(ATTACKS / "escape" / "writes_outside.py")]
#: the training loops take tens of milliseconds a case; the theft walks stop themselves within 1 s
LIMITS = Limits(cell_seconds=10, call_seconds=5, notebook_seconds=60, memory_mb=768)


@pytest.fixture(scope="module")
def second_graders(marker):
    before = find_assignment(os.environ["DNNGRADE_ASSIGNMENT"])
    pack = select(SECOND)
    graders: dict[str, Grader] = {}
    yield pack, graders
    for grader in graders.values():
        grader.close()
    select(before)


@pytest.mark.parametrize("attack", CHOSEN, ids=[a.id for a in CHOSEN])
def test_the_second_packs_worker_keeps_every_secret(attack, mode, second_graders, outside, listener, marker):
    from graders.kit.nbbuild import import_cell, notebook_bytes, solution_cells

    pack, graders = second_graders
    if attack.modes == "strong" and not strong(mode):
        pytest.skip("%s mode does not promise this (see the threat model)" % mode)
    if mode not in graders:
        graders[mode] = Grader(limits=LIMITS, sandbox=mode, assignment=pack)
    host_tmp = Path("/tmp/dnngrade-sentinel-" + secrets.token_hex(6))
    sentinel = outside / "sentinel"
    values = dict(SENTINEL=sentinel, HOSTTMP=host_tmp, OUTSIDE=outside, PORT=listener.port, MARKER=marker,
                  KIT=KIT_ROOT)
    cells = solution_cells() + [fill(cell, values) for cell in attack.cells]
    assert cells[0] == import_cell()
    before = snapshot(outside)

    result = graders[mode].grade_bytes(notebook_bytes(cells), attack.name + ".ipynb")

    assert result.assignment == SECOND and result.sandbox == mode
    assert not sentinel.exists() and not host_tmp.exists() and snapshot(outside) == before
    assert attack_processes() == []
    for function in result.functions:  # the attack replaced nothing graded: full marks stay
        assert function.score == function.max_score, (function.name, [c.message for c in function.cases][:2])
    CHECKS[attack.id](result, mode, reports(result))
