"""A class of 200 honest notebooks with 20 attacks among them, graded by one warm grader in the
strongest mode available here: every honest notebook gets exactly the score it gets when graded
alone. (test_attacks runs every attack in both modes.)"""

from __future__ import annotations

import os

import pytest

from assignments.dnn_step_by_step.mistakes import VARIANTS
from graders.grade import Grader, grade_notebook
from graders.kit.nbbuild import notebook_bytes, solution_cells
from tests.security.support import FAST, KIT_ROOT, attacks

HONEST_KINDS = 20  #: distinct honest notebooks, each graded alone once and ten times in the batch
#: fast attacks of every category (the slow ones, hangs, are covered by test_attacks)
HOSTILE = [
    "resource/fork_bomb", "resource/memory_bomb", "resource/background_daemon", "resource/disk_one_big_file",
    "resource/stdout_flood", "resource/segfault", "resource/thread_bomb", "resource/crashes_in_function",
    "escape/forges_step_reports", "escape/writes_to_the_grader_pipes", "escape/kills_every_process",
    "escape/symlink_trap_for_the_cleanup", "forgery/exits_early_with_os_exit", "forgery/patches_numpy_comparisons",
    "forgery/returns_ndarray_subclass_that_lies", "forgery/returns_oversized_arrays", "theft/imports_the_reference",
    "theft/reads_the_grader_environment", "malformed/null_bytes_in_a_cell", "malformed/mutates_the_inputs_wildly",
]


def honest_notebooks() -> list[bytes]:
    """Students' notebooks with a real mistake or two each (or none), so scores differ."""
    notebooks = [notebook_bytes(solution_cells())]
    step = len(VARIANTS) // HONEST_KINDS
    for index in range(1, HONEST_KINDS):
        first, second = VARIANTS[index * step], VARIANTS[(index * 7 + 3) % len(VARIANTS)]
        replace = {first.function: first.source}
        replace.setdefault(second.function, second.source)
        notebooks.append(notebook_bytes(solution_cells(replace=replace)))
    return notebooks


def test_attacks_in_a_batch_do_not_change_any_honest_score(tmp_path, marker, bwrap_works):
    mode = "bwrap" if bwrap_works else "process"
    if mode == "process" and os.geteuid() != 0:
        pytest.skip("a non-root fallback shares /tmp and the user with the machine")
    kinds = honest_notebooks()
    alone = []
    for index, data in enumerate(kinds):
        path = tmp_path / ("alone%02d.ipynb" % index)
        path.write_bytes(data)
        alone.append(grade_notebook(path, limits=FAST, sandbox=mode).to_dict())
    by_id = {attack.id: attack for attack in attacks()}
    hostile = [by_id[name].notebook(SENTINEL=tmp_path / "sentinel", HOSTTMP="/tmp/dnngrade-batch-sentinel",
                                    OUTSIDE=tmp_path, PORT=9, MARKER=marker, KIT=KIT_ROOT) for name in HOSTILE]
    batch = [(index % HONEST_KINDS, data) for index, data in enumerate(kinds * 10)]
    for position, data in enumerate(hostile):
        batch.insert(position * 11 + 5, (None, data))
    assert len(batch) == 220
    mismatches = []
    with Grader(limits=FAST, sandbox=mode) as grader:
        # pipelined, as a batch grades: the next notebook is already in the worker when an attack
        # ends (one that stops the worker's zygote retires that worker with a notebook in it)
        results = grader.grade_many(("student%03d.ipynb" % number, data) for number, (_, data) in enumerate(batch))
        for number, ((kind, _), result) in enumerate(zip(batch, results)):
            if kind is None:
                continue
            got, want = result.to_dict(), alone[kind]
            if _scores(got) != _scores(want):
                mismatches.append((number, kind, _scores(got), _scores(want)))
    assert mismatches == []
    assert not (tmp_path / "sentinel").exists()


def _scores(result: dict) -> tuple:
    return (result["status"], result["score"],
            tuple((f["name"], f["score"], tuple(c["rung"] for c in f["cases"])) for f in result["functions"]))
