"""Load the stored case files and check that they match what the generator makes now."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from graders.errors import UserError
from graders.portable.casefile import decode_value, load_cases


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
