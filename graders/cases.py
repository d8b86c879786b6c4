"""Load the stored case files and check that they match what the generator makes now."""

from __future__ import annotations

import difflib
import json
import math
from dataclasses import dataclass
from pathlib import Path

from graders.errors import UserError
from graders.portable.casefile import decode_value, load_cases
from graders.spec import AssignmentSpec


def _default_paths() -> dict[str, Path]:
    from graders.assignment import current

    return current().case_paths


@dataclass(frozen=True)
class Case:
    """One call of a graded function with its inputs and, on the trusted side, its expected output."""

    id: str
    function: str
    visibility: str
    label: str
    seed: int | None
    args: list
    expected: object
    args_wire: object = None  # encoded args, as stored; sent to the worker unchanged
    #: a chain case (initialisers): the calls of the student's own next functions that take the
    #: result on, each ``{"function": name, "args": [...]}`` where an argument is ``"result"`` or
    #: ``{"input": k}`` (the k-th of ``then_args``), and what the reference's return there
    then: tuple | None = None
    then_args: list | None = None
    then_expected: list | None = None
    then_args_wire: object = None
    then_unless_keys: tuple | None = None  #: a result with only these keys is not taken on (checks.judge_chain)


def case_from_entry(entry: dict) -> Case:
    """A :class:`Case` from one entry of a case file."""
    chain = entry.get("then")
    return Case(
        id=entry["id"],
        function=entry["function"],
        visibility=entry["visibility"],
        label=entry["label"],
        seed=entry["seed"],
        args=decode_value(entry["args"]),
        expected=decode_value(entry["expected"]),
        args_wire=entry["args"],
        then=tuple(chain) if chain else None,
        then_args=decode_value(entry["then_args"]) if chain else None,
        then_expected=decode_value(entry["then_expected"]) if chain else None,
        then_args_wire=entry["then_args"] if chain else None,
        then_unless_keys=tuple(entry.get("then_unless_keys", ())) if chain else None,
    )


def load_case_set(public_only: bool = False, paths: dict[str, Path] | None = None) -> list[Case]:
    """Read the stored cases (public first, then hidden unless ``public_only``)."""
    paths = paths or _default_paths()
    kinds = ["public"] if public_only else ["public", "hidden"]
    cases = []
    for kind in kinds:
        path = Path(paths[kind])
        if not path.exists():
            raise UserError("no %s case file at %s; run `dnngrade cases` to write it" % (kind, path))
        for entry in load_cases(path)["cases"]:
            cases.append(case_from_entry(entry))
    return cases


def write_case_files(spec: AssignmentSpec, paths: dict[str, Path] | None = None) -> list[Path]:
    """Regenerate the case files from the reference; return the paths written."""
    from graders.kit.casegen import render_case_files

    paths = paths or _default_paths()
    written = []
    for kind, text in render_case_files(spec, _pack_of(spec)).items():
        path = Path(paths[kind])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _pack_of(spec: AssignmentSpec):
    """The selected pack, which must be the one ``spec`` belongs to."""
    from graders.assignment import current

    pack = current()
    if pack.name != spec.name:
        raise UserError("the cases of %s are made by its own pack: select it first (--assignment %s)"
                        % (spec.name, spec.name))
    return pack


# Matrix products round differently on different CPUs (BLAS picks its kernel at run time), so a
# regenerated value may differ from the stored one in its last bit or two. That is the same case:
# grading compares with a tolerance a million times wider than this.
ROUNDING_REL = 1e-12
ROUNDING_ABS = 1e-14


def same_up_to_rounding(stored, fresh) -> bool:
    """True when two decoded case files match exactly, floats allowed to differ in their last bits."""
    if isinstance(stored, float) and isinstance(fresh, float):
        return math.isclose(stored, fresh, rel_tol=ROUNDING_REL, abs_tol=ROUNDING_ABS)
    if type(stored) is not type(fresh):
        return False
    if isinstance(stored, dict):
        return stored.keys() == fresh.keys() and all(same_up_to_rounding(stored[k], fresh[k]) for k in stored)
    if isinstance(stored, list):
        return len(stored) == len(fresh) and all(map(same_up_to_rounding, stored, fresh))
    return bool(stored == fresh)


def stale_case_files(spec: AssignmentSpec, paths: dict[str, Path] | None = None) -> list[str]:
    """Regenerate in memory and describe every stored file that differs (empty when all are current)."""
    from graders.kit.casegen import render_case_files

    paths = paths or _default_paths()
    problems = []
    for kind, text in render_case_files(spec, _pack_of(spec)).items():
        path = Path(paths[kind])
        if not path.exists():
            problems.append("%s: missing" % path)
            continue
        stored = path.read_text(encoding="utf-8")
        if stored != text and not same_up_to_rounding(json.loads(stored), json.loads(text)):
            diff = difflib.unified_diff(
                stored.splitlines(), text.splitlines(), "stored", "regenerated", n=0, lineterm=""
            )
            first = [line for line in diff][2:8]
            problems.append("%s: out of date; first differences:\n    %s" % (path, "\n    ".join(first)))
    return problems
