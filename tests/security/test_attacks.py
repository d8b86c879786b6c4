"""Every attack notebook, in every isolation mode: no effect outside, honest score for the rest.

Each attack is the reference solution plus hostile cells (``attacks/<category>/*.py``). The test
checks what must hold for all of them (nothing written outside, no connection to the listener,
no process left, every function the attack does not touch at full marks), then what the attack
itself reported seeing from inside.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

from graders.sandbox import launch as sandbox
from graders.sandbox.limits import DEFAULT_LIMITS
from graders.worker.isolation import kit_copies
from tests.security.support import (
    FAST,
    KIT_ROOT,
    attack_processes,
    attacks,
    honest_score_holds,
    refusal_holds,
    reports,
    strong,
)

ALL = attacks()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def kinds(result, kind):
    return [event for event in result.events if event.kind == kind]


def last_cell(result):
    return max(event.cell or 0 for event in result.events)


# -- what each attack saw from inside ---------------------------------------------------------------

def _timed_out(result, mode, seen):
    assert kinds(result, "cell_timeout"), result.events


def _no_timeouts(result, mode, seen):
    assert not kinds(result, "cell_timeout") and not kinds(result, "cell_crashed"), result.events


def _stopped(result, mode, seen):
    assert kinds(result, "cell_crashed") or kinds(result, "cell_error") or kinds(result, "cell_timeout"), result.events


def _cost_hung(result, mode, seen):
    cases = result.function("compute_cost").cases
    assert sum("did not finish" in c.message for c in cases) == 2
    assert all("skipped" in c.message for c in cases if "did not finish" not in c.message)


def _cost_crashed(result, mode, seen):
    cases = result.function("compute_cost").cases
    assert all(c.rung in ("callable", "not_judged") for c in cases), [c.message for c in cases]


def _memory(result, mode, seen):
    assert seen["why"] == "MemoryError" and int(seen["mb"]) < FAST.memory_mb, seen


def _numpy_memory(result, mode, seen):
    assert seen["outcome"] == "MemoryError", seen


def _processes(key):
    def check(result, mode, seen):
        assert int(seen[key]) <= DEFAULT_LIMITS["processes"] - 1, seen
    return check


def _one_file(result, mode, seen):
    assert int(seen["mb"]) <= DEFAULT_LIMITS["file_mb"] and seen["why"] == "errno27", seen


def _many_files(result, mode, seen):
    assert int(seen["mb"]) <= DEFAULT_LIMITS["disk_mb"] and seen["why"] == "errno28", seen


def _flood(result, mode, seen):
    assert kinds(result, "output_capped"), result.events
    assert len(result.to_dict().__repr__()) < 200_000


def _segfault(result, mode, seen):
    assert any("segmentation fault" in e.message for e in kinds(result, "cell_crashed")), result.events


def _descriptors(result, mode, seen):
    assert int(seen["fds"]) <= DEFAULT_LIMITS["open_files"], seen


def _no_kit_file(result, mode, seen):
    """The sandbox hides every copy of the kit. The root fallback hides every copy it can find (the
    running kit, the import path, an editable install); another checkout elsewhere on the machine
    stays readable there, as the threat model says, so only files in those copies count."""
    found = [path for path in seen.get("found", "missing").split(",") if path]
    if mode == "bwrap":
        assert found == [], seen
        return
    checkouts, folders = kit_copies(str(KIT_ROOT), sorted(sandbox._site_dirs()))
    promised = checkouts + folders + [os.path.realpath(KIT_ROOT)]
    assert seen.get("found") is not None, seen
    assert [path for path in found if any(_inside(os.path.realpath(path), place) for place in promised)] == [], seen


def _inside(path, folder):
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _nothing(key):
    def check(result, mode, seen):
        assert seen.get(key, "missing") == "", seen
    return check


def _network(result, mode, seen):
    assert "connected" not in seen["outcomes"] and "resolved" not in seen["outcomes"], seen


def _environment(result, mode, seen):
    # the kit's clean environment (which keeps the machine's OPENBLAS_* tuning) and HOME, PWD,
    # PYTHONPATH, TMPDIR: nothing of the grader's own
    assert seen["seen"] == "" and int(seen["environ"]) <= len(sandbox._base_env()) + 4, seen


def _kit_intact(result, mode, seen):
    assert (KIT_ROOT / "graders" / "worker" / "server.py").exists()
    assert (KIT_ROOT / "assignments").exists() and (KIT_ROOT / "reference" / "dnn.py").exists()


def _patched(result, mode, seen):
    assert seen.get("patched") == "yes", seen  # the patches were all made, and still changed nothing


def _deep(result, mode, seen):
    assert int(seen["depth"]) >= 1000, seen  # the tree was made; the next attack checks it is gone


def _typed(result, mode, seen):
    # the forged fields were dropped: each call counts as a timeout of the notebook's own making
    messages = [case.message for function in result.functions for case in function.cases]
    assert any("did not finish within" in message for message in messages), messages[:3]
    assert not any("could not finish" in message for message in messages), messages[:3]


CHECKS = {
    "resource/deep_folder_tree": _deep,
    "malformed/reports_fields_of_the_wrong_type": _typed,
    "forgery/patches_numpy_comparisons": _patched,
    "resource/busy_loop_cell": _timed_out,
    "resource/sleep_forever_cell": _timed_out,
    "resource/ignores_the_alarm": _timed_out,
    "resource/swallows_the_timeout": _timed_out,
    "resource/thread_keeps_process_alive": _no_timeouts,
    "resource/hangs_in_function": _cost_hung,
    "resource/crashes_in_function": _cost_crashed,
    "resource/memory_bomb": _memory,
    "resource/numpy_memory_bomb": _numpy_memory,
    "resource/fork_bomb": _processes("forks"),
    "resource/thread_bomb": _processes("threads"),
    "resource/disk_one_big_file": _one_file,
    "resource/disk_many_files": _many_files,
    "resource/stdout_flood": _flood,
    "resource/deep_recursion": _stopped,
    "resource/segfault": _segfault,
    "resource/open_files_bomb": _descriptors,
    "escape/writes_outside": _nothing("written"),
    "escape/connects_to_the_network": _network,
    "escape/traces_the_worker": _nothing("opened"),
    "escape/creates_namespaces": _nothing("made"),
    "escape/symlink_trap_for_the_cleanup": _kit_intact,
    "forgery/exits_inside_a_function": _cost_crashed,
    "theft/imports_the_reference": _nothing("stolen"),
    "theft/reads_the_case_files": _no_kit_file,
    "theft/reads_the_grader_environment": _environment,
    "theft/reads_the_worker_through_proc": _nothing("got"),
}


@pytest.mark.parametrize("attack", ALL, ids=[a.id for a in ALL])
def test_attack_has_no_effect_outside_and_the_honest_part_keeps_its_score(attack, mode, request, outside,
                                                                          listener, marker):
    if not attack.runs_in(mode):
        pytest.skip("%s mode does not promise this (see the threat model)" % mode)
    host_tmp = Path("/tmp/dnngrade-sentinel-" + secrets.token_hex(6))
    sentinel = outside / "sentinel"
    submission = outside / ("%s.ipynb" % attack.name)
    submission.write_bytes(attack.notebook(SENTINEL=sentinel, HOSTTMP=host_tmp, OUTSIDE=outside,
                                           PORT=listener.port, MARKER=marker, KIT=KIT_ROOT))
    before, connections = snapshot(outside), listener.accepted

    grader = request.getfixturevalue("roomy_grader" if attack.limits == "roomy" else "grader")
    result = grader.grade_path(submission)

    assert not sentinel.exists() and not host_tmp.exists()
    assert snapshot(outside) == before
    if mode == "bwrap":
        assert listener.accepted == connections
    assert attack_processes() == []
    assert result.sandbox == mode
    if attack.refused_in(mode):
        assert refusal_holds(result) == []
        return
    assert honest_score_holds(result, attack.spoils) == []
    assert result.sandbox == mode
    check = CHECKS.get(attack.id)
    if check:
        check(result, mode, reports(result))


def test_every_category_has_attacks():
    categories = {attack.category for attack in ALL}
    assert categories == {"resource", "escape", "forgery", "theft", "malformed"}
    assert len(ALL) >= 30
    assert set(CHECKS) <= {attack.id for attack in ALL}


def test_the_strong_modes_are_named_for_what_they_are(mode):
    assert strong("bwrap")
    assert strong("process") == (os.geteuid() == 0)
