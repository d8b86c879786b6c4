"""Generate the assignment's test cases from the reference implementation.

Public cases replay the examples that the notebook prints. Hidden cases come from seeded
generators named in ``assignment.toml``; each hidden case gets its own ``numpy.random.Generator``
seeded from the spec's ``hidden_seed``, the function's position and the case's position, so the
files are byte-identical from run to run and adding a case never changes another one.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import json
import math
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from graders.assignment import Assignment, current
from graders.cases import case_from_entry
from graders.diagnosis import public_runs
from graders.errors import UserError
from graders.portable.casefile import CASEFILE_FORMAT, dumps_cases, encode_value
from graders.portable.checks import chain_args
from graders.spec import AssignmentSpec


@dataclass
class CaseInputs:
    """The positional arguments of one call, and a short label saying what the case varies."""

    args: list
    label: str
    #: a chain case: calls of other graded functions that take the result on (see
    #: the pack's chain builders), and the inputs those calls take besides it
    then: list | None = None
    then_args: list | None = None


# ---------------------------------------------------------------------------------------------
# Building the case documents.
# ---------------------------------------------------------------------------------------------


def _case_seed(spec: AssignmentSpec, function: str, index: int) -> int:
    return (spec.hidden_seed + zlib.crc32(function.encode()) * 1000 + index) % (2**32)


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(item) for item in value)
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    return value


class _Builder:
    """The case documents of one pack: its generators make the inputs, its solution the answers."""

    def __init__(self, spec: AssignmentSpec, pack: Assignment):
        self.spec, self.pack = spec, pack

    def expected(self, function: str, inputs: CaseInputs) -> Any:
        with contextlib.redirect_stdout(io.StringIO()):  # a training loop may print its progress
            if self.spec.functions[function].seed is not None:
                np.random.seed(self.spec.functions[function].seed)
            return self.pack.reference(function)(*_copy(inputs.args))

    def builder(self, name: str) -> Callable[..., CaseInputs]:
        found = getattr(self.pack.generators, name, None) if not name.startswith("_") else None
        if not callable(found):
            raise ValueError("%s names the case builder %r, which %s does not define"
                             % (self.pack.spec_path, name, self.pack.generators.__file__))
        return found

    def generated(self, entry: dict, seed: int) -> CaseInputs:
        params = {key: value for key, value in entry.items() if key != "generator"}
        return self.builder(entry["generator"])(np.random.default_rng(seed), **params)

    def case(self, function: str, kind: str, index: int, inputs: CaseInputs) -> dict:
        fspec = self.spec.functions[function]
        entry = {
            "id": "%s/%s/%d" % (function, kind, index),
            "function": function,
            "visibility": kind,
            "label": inputs.label,
            "seed": fspec.seed,
            "rtol": fspec.rtol,
            "atol": fspec.atol,
            "args": encode_value(inputs.args),
            "expected": encode_value(self.expected(function, inputs)),
        }
        if inputs.then:
            entry["then"] = inputs.then
            # the keys of the expected result (public knowledge: W1, b1, ...): the worker takes a
            # result on to the next steps only when it holds others
            entry["then_unless_keys"] = list(self.expected(function, inputs))
            entry["then_args"] = encode_value(inputs.then_args)
            entry["then_expected"] = encode_value(self.chain_expected(function, inputs))
        if fspec.may_change_if_first:
            entry["may_change_if_first"] = list(fspec.may_change_if_first)
        return entry

    def chain_expected(self, function: str, inputs: CaseInputs) -> list:
        """What the reference's next functions return on the reference's result (CaseInputs.then)."""
        result = self.expected(function, inputs)
        return [self.pack.reference(step["function"])(*_copy(chain_args(step, result, inputs.then_args)))
                for step in inputs.then or []]


def build_cases(spec: AssignmentSpec, pack: Assignment | None = None) -> dict[str, dict]:
    """Return the case documents ``{"public": ..., "hidden": ...}`` for the whole assignment
    (``pack``: whose generators and solution make them; the selected pack by default)."""
    builder = _Builder(spec, pack or current())
    public, hidden = [], []
    for name, fspec in spec.functions.items():
        for index, entry in enumerate(fspec.public, start=1):
            if isinstance(entry, str):
                inputs = builder.builder(entry)()
            else:  # a generator table: a public example of another size, drawn as hidden cases are
                inputs = builder.generated(entry, _case_seed(spec, "public " + name, index))
                inputs.label = "another example: " + inputs.label
            public.append(builder.case(name, "public", index, inputs))
        for index, entry in enumerate(fspec.hidden, start=1):
            hidden.append(builder.case(name, "hidden", index, builder.generated(entry, _case_seed(spec, name, index))))
    header = {"format": CASEFILE_FORMAT, "assignment": spec.name}
    # what the self-check needs beyond the cases: the names its messages use, which function calls
    # which (for "fix X first"), and what each known mistake does on the public cases (to name it)
    functions = {name: {"depends_on": list(fspec.depends_on)} for name, fspec in spec.functions.items()}
    likely = public_runs([case_from_entry(entry) for entry in public], pack=builder.pack)
    return {
        "public": dict(header, visibility="public", names=spec.names(), cases=public, functions=functions,
                       likely_mistakes=likely),
        "hidden": dict(header, visibility="hidden", cases=hidden),
    }


def render_case_files(spec: AssignmentSpec, pack: Assignment | None = None) -> dict[str, str]:
    """The exact text of each case file, keyed by ``public`` and ``hidden``."""
    return {kind: dumps_cases(document) for kind, document in build_cases(spec, pack).items()}


# -- the case files: written, and checked to be up to date --------------------------------------


def write_case_files(spec: AssignmentSpec, paths: dict[str, Path] | None = None) -> list[Path]:
    """Regenerate the case files from the reference; return the paths written."""
    paths = paths or current().case_paths
    written = []
    for kind, text in render_case_files(spec, _pack_of(spec)).items():
        path = Path(paths[kind])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _pack_of(spec: AssignmentSpec):
    """The selected pack, which must be the one ``spec`` belongs to."""
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
    paths = paths or current().case_paths
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
