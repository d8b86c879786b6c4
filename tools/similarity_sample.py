"""Classes built from the reference and the mistake library, with planted copies, for the
similarity report's tests (``planted_class``) and its benchmark (``large_class``).

In the 40-student class most students write the reference's code (as most of a real class writes the usual solution);
the others each use one right-but-different or wrong variant, no variant twice. Three students
hand in the untouched template. Four copies are planted, one of each kind: verbatim, with renamed
variables, with reordered statements, with added comments.
"""

from __future__ import annotations

import io
import random
import re
import tokenize

from assignments.dnn_step_by_step.mistakes import VARIANTS, WRONG
from graders.similarity import Submission
from graders.spec import load_spec
from tools.nbbuild import solution_source, stub_source

FUNCTIONS = list(load_spec().functions)
CLASS_SIZE = 40
STUBS = ("stub_1", "stub_2", "stub_3")
#: copy -> the student it copies
PLANTED = {"copy_verbatim": "s03", "copy_renamed": "s11", "copy_reordered": "s17", "copy_commented": "s26"}
RENAMES = {"A_prev": "prev_activation", "dZ": "grad_z", "dW": "grad_w", "db": "grad_b", "cache": "stored",
           "caches": "stored_list", "grads": "gradients", "parameters": "params_out", "m": "n_examples",
           "L": "n_layers", "Z": "pre", "A": "act", "W": "weights", "b": "bias", "cost": "loss",
           "linear_cache": "lin_c", "activation_cache": "act_c", "current_cache": "here", "l": "layer"}


def renamed(source: str) -> str:
    """``source`` with its local names changed (the signature keeps the graded function's name)."""
    out = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME and token.string in RENAMES:
            token = token._replace(string=RENAMES[token.string])
        out.append(token)
    return tokenize.untokenize(out)


def reordered(source: str) -> str:
    """``source`` with the first two neighbouring independent assignments swapped."""
    lines = source.splitlines()
    assignment = re.compile(r"^(\s+)(\w+)\s*=[^=]")
    for index in range(len(lines) - 1):
        first, second = assignment.match(lines[index]), assignment.match(lines[index + 1])
        if not (first and second) or first.group(1) != second.group(1):
            continue
        if re.search(r"\b%s\b" % first.group(2), lines[index + 1]) or re.search(r"\b%s\b" % second.group(2),
                                                                               lines[index]):
            continue
        lines[index], lines[index + 1] = lines[index + 1], lines[index]
        break
    return "\n".join(lines) + "\n"


def commented(source: str) -> str:
    """``source`` with a comment after every body line and blank lines between them."""
    out = []
    for number, line in enumerate(source.splitlines()):
        out.append(line)
        if number and line.strip() and not line.rstrip().endswith((",", "(", "\\")):
            out[-1] = line + "  # step %d, as the lecture showed" % number
            out.append("")
    return "\n".join(out) + "\n"


COPIERS = {"copy_verbatim": lambda s: s, "copy_renamed": renamed, "copy_reordered": reordered,
           "copy_commented": commented}


def planted_class(seed: int = 7) -> list[Submission]:
    """The class: ``s01``..``s33``, the stubs and the four copies (40 in all)."""
    rng = random.Random(seed)
    originals = ["s%02d" % n for n in range(1, CLASS_SIZE - len(STUBS) - len(PLANTED) + 1)]
    sources: dict[str, dict[str, str]] = {sid: {} for sid in originals}
    wrong: dict[str, dict[str, bool]] = {sid: {} for sid in originals}
    failure: dict[str, dict[str, str]] = {sid: {} for sid in originals}
    copied = list(PLANTED.values())
    for function in FUNCTIONS:
        variants = [v for v in VARIANTS if v.function == function]
        rng.shuffle(variants)
        # every copied student writes something of their own here; the rest of the variants go
        # to students drawn at random, one variant each, and everyone else writes the reference
        takers = copied + rng.sample([sid for sid in originals if sid not in copied], k=max(0, len(variants) - 4))
        own = dict(zip(takers, variants))
        for sid in originals:
            variant = own.get(sid)
            sources[sid][function] = variant.source if variant else solution_source(function)
            wrong[sid][function] = bool(variant and variant.kind == WRONG)
            failure[sid][function] = variant.id if variant and variant.kind == WRONG else ""
    students = [Submission(sid, sources[sid], wrong[sid], failure[sid]) for sid in originals]
    for sid in STUBS:
        students.append(Submission(sid, {f: stub_source(f) for f in FUNCTIONS}, {f: True for f in FUNCTIONS},
                                   {f: "not implemented yet" for f in FUNCTIONS}))
    for copy, original in PLANTED.items():
        students.append(Submission(copy, {f: COPIERS[copy](sources[original][f]) for f in FUNCTIONS},
                                   wrong[original], failure[original]))
    return students


def starter_code() -> dict[str, list[str]]:
    return {function: [stub_source(function)] for function in FUNCTIONS}


TAGS = ("cur", "new", "tmp", "val", "out", "here", "now", "l", "i", "x")
REMARKS = ("compute it", "as in the lecture", "see the formula", "vectorised", "shape check", "from the cache",
           "update", "the next layer", "keep for backward", "average over examples", "formula", "done")


def personal_style(rng: random.Random):
    """One student's habits: their own names for some locals, comments of their own, or two
    statements in another order (as many write them), or none of these."""
    roll = rng.random()
    if roll < 0.2:
        names = {name: "%s_%s" % (name, rng.choice(TAGS)) for name in RENAMES if rng.random() < 0.5}

        def rename(source: str) -> str:
            out = []
            for token in tokenize.generate_tokens(io.StringIO(source).readline):
                if token.type == tokenize.NAME and token.string in names:
                    token = token._replace(string=names[token.string])
                out.append(token)
            return tokenize.untokenize(out)
        return rename
    if roll < 0.35:
        remarks = rng.sample(REMARKS, 4)

        def comment(source: str) -> str:
            lines = source.splitlines()
            return "\n".join(line + "  # " + remarks[n % 4] if n and line.strip() and rng.random() < 0.4
                             and not line.rstrip().endswith((",", "(", "\\")) else line
                             for n, line in enumerate(lines)) + "\n"
        return comment
    return reordered if roll < 0.5 else None


def large_class(size: int, seed: int = 3) -> tuple[list[Submission], dict[str, str]]:
    """A class of ``size`` students for timing, and the copies planted in it (copy -> original).

    Each student writes, per function, the reference (70%) or one of the library's variants drawn
    at random, so common variants recur as they do in a real class, in a style of their own
    (:func:`personal_style`). About 1% of the class hands in the untouched template, and 1% (at
    least four, one of each kind) copies another student with one of the four copiers; the copied
    students are ones with code of their own (a copy of the usual solution is the usual solution).
    """
    rng = random.Random(seed)
    kinds = list(COPIERS)
    copies = max(len(kinds), size // 100)
    stubs = max(1, size // 100)
    students: list[Submission] = []
    own: list[Submission] = []
    for number in range(size - copies - stubs):
        sources, wrong, failure = {}, {}, {}
        style = personal_style(rng)
        for function in FUNCTIONS:
            variants = [v for v in VARIANTS if v.function == function]
            variant = rng.choice(variants) if variants and rng.random() < 0.3 else None
            source = variant.source if variant else solution_source(function)
            sources[function] = style(source) if style else source
            wrong[function] = bool(variant and variant.kind == WRONG)
            failure[function] = variant.id if variant and variant.kind == WRONG else ""
        student = Submission("s%05d" % number, sources, wrong, failure)
        students.append(student)
        if style is not None and style is not reordered:
            own.append(student)
    for number in range(stubs):
        students.append(Submission("stub%03d" % number, {f: stub_source(f) for f in FUNCTIONS},
                                   {f: True for f in FUNCTIONS}, {f: "not implemented yet" for f in FUNCTIONS}))
    planted = {}
    for number, original in enumerate(rng.sample(own, copies)):
        kind = kinds[number % len(kinds)]
        copy = "%s%03d" % (kind, number)
        students.append(Submission(copy, {f: COPIERS[kind](s) for f, s in original.sources.items()},
                                   original.lost_points, original.first_failure))
        planted[copy] = original.student_id
    return students, planted
