"""Mutation audit: grade every known variant through the real grading path.

For each variant in the pack's mistake library, a notebook is built holding the
reference solution of every graded function except the one the variant replaces, and it is graded
by one warm :class:`graders.grade.Grader`, exactly as a submission would be. Then:

* a **wrong** variant must lose points on its own function (otherwise it *survived*: the cases
  no longer catch that bug), and its feedback should name its mistake (the diagnosis);
* a **correct** alternative must earn full marks on every function (otherwise it was
  *penalised*: the grader rejects a right answer);
* a **wrong** variant must also fail at least one *public* case, judged in this process with the
  same ladder (otherwise the students' self-check says it passes, and only the grade tells).

``dnngrade audit`` prints one row per function and exits with status 1 on any survivor or
penalised alternative, and on any mistake no public case shows. When a survivor appears,
strengthen the hidden cases (``assignment.toml`` and ``tools/casegen.py``), never the variant.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np

from graders.assignment import current
from graders.cases import Case, load_case_set
from graders.diagnosis import Variant, run_variant, variant_outcome
from graders.kit.nbbuild import notebook_bytes, solution_cells
from graders.portable import wire
from graders.portable.checks import PASSED, chain_args, judge_chain, judge_outcome
from graders.result import GradeResult, Status

WRONG = "wrong"  #: a variant that is a mistake (the kinds of a pack's mistake library)
CORRECT = "correct"  #: a variant that is a right answer written differently
CAUGHT = "caught"  #: a wrong variant lost points on its function
SURVIVED = "survived"  #: a wrong variant kept full marks on its function
FULL_MARKS = "full_marks"  #: a correct alternative earned every point
PENALISED = "penalised"  #: a correct alternative lost points somewhere
NOT_GRADED = "not_graded"  #: the grader returned no grade (unreadable notebook, grader fault)

MSG_SURVIVOR = (
    "{id} kept full marks on {function}: no case catches this mistake. Strengthen the hidden "
    "cases of {function} (assignment.toml and the pack's case generators), then run `dnngrade cases`."
)
MSG_UNSEEN = (
    "{id} passes every public case of {function}: the students' self-check says it is right. Add "
    "a public example on which it goes wrong (a generator table under `public` in assignment.toml)."
)
MSG_PENALISED = "{id} is a correct alternative but lost points on {functions}."
MSG_NOT_GRADED = "{id} was not graded ({status}): {reason}"
MSG_ALL_GOOD = (
    "All {wrong} wrong variants lost points and fail a public case, and all {correct} correct "
    "alternatives earned full marks."
)


# -- notebooks ----------------------------------------------------------------------------------


def variant_notebook(variant: Variant) -> bytes:
    """The notebook for ``variant``: the reference everywhere except ``variant.function``."""
    return notebook_bytes(solution_cells({variant.function: variant.source}))


# -- results ------------------------------------------------------------------------------------


@dataclass
class VariantOutcome:
    """What grading one variant's notebook showed."""

    id: str
    function: str
    kind: str  #: "wrong" or "correct"
    verdict: str  #: caught | survived | full_marks | penalised | not_graded
    score: float  #: points earned on the variant's own function
    max_score: float
    lost_on: list[str] = field(default_factory=list)  #: every function that lost points
    cases_failed: int = 0  #: cases of the variant's function that did not pass
    cases_total: int = 0
    diagnosed: bool | None = None  #: wrong variants: the feedback named this variant's mistake
    public_caught: bool | None = None  #: wrong variants: some public case fails (the self-check sees it)
    diagnosis_shown: str = ""  #: the diagnosis note on the variant's function, if any
    stray_diagnoses: list[str] = field(default_factory=list)  #: diagnosis notes on other functions
    detail: str = ""  #: why a notebook was not graded

    @property
    def ok(self) -> bool:
        """Whether this outcome is what the audit requires."""
        return self.verdict in (CAUGHT, FULL_MARKS) and self.public_caught is not False


@dataclass
class FunctionAudit:
    """One row of the audit table."""

    function: str
    wrong_total: int = 0
    wrong_caught: int = 0
    public_caught: int = 0
    diagnosed: int = 0
    correct_total: int = 0
    correct_full_marks: int = 0
    survivors: list[str] = field(default_factory=list)
    publicly_unseen: list[str] = field(default_factory=list)
    penalised: list[str] = field(default_factory=list)
    not_graded: list[str] = field(default_factory=list)


@dataclass
class AuditReport:
    """Every variant's outcome; the table rows are computed from them."""

    outcomes: list[VariantOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every wrong variant lost points and every correct alternative kept full marks."""
        return all(outcome.ok for outcome in self.outcomes)

    def rows(self) -> list[FunctionAudit]:
        """One :class:`FunctionAudit` per function that has variants, in the notebook's order."""
        rows: dict[str, FunctionAudit] = {}
        order = list(current().graded_functions)
        for outcome in sorted(self.outcomes, key=lambda o: order.index(o.function)):
            row = rows.setdefault(outcome.function, FunctionAudit(outcome.function))
            if outcome.kind == WRONG:
                row.wrong_total += 1
                row.wrong_caught += outcome.verdict == CAUGHT
                row.diagnosed += bool(outcome.diagnosed)
                row.public_caught += bool(outcome.public_caught)
                if outcome.verdict == SURVIVED:
                    row.survivors.append(outcome.id)
                if outcome.public_caught is False:
                    row.publicly_unseen.append(outcome.id)
            else:
                row.correct_total += 1
                row.correct_full_marks += outcome.verdict == FULL_MARKS
                if outcome.verdict == PENALISED:
                    row.penalised.append(outcome.id)
            if outcome.verdict == NOT_GRADED:
                row.not_graded.append(outcome.id)
        return list(rows.values())

    def to_dict(self) -> dict:
        """Plain data for ``--json``: the rows, the totals and every outcome."""
        rows = self.rows()
        return {
            "ok": self.ok,
            "totals": asdict(_totals(rows)),
            "functions": [asdict(row) for row in rows],
            "variants": [asdict(outcome) for outcome in self.outcomes],
        }


def _totals(rows: Iterable[FunctionAudit]) -> FunctionAudit:
    total = FunctionAudit("total")
    for row in rows:
        for name in ("wrong_total", "wrong_caught", "public_caught", "diagnosed", "correct_total",
                     "correct_full_marks"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
        total.survivors += row.survivors
        total.publicly_unseen += row.publicly_unseen
        total.penalised += row.penalised
        total.not_graded += row.not_graded
    return total


def judge_variant(variant: Variant, result: GradeResult) -> VariantOutcome:
    """Turn the grade of ``variant``'s notebook into an outcome."""
    if result.status != Status.GRADED:
        reason = result.events[0].message if result.events else ""
        detail = MSG_NOT_GRADED.format(id=variant.id, status=result.status, reason=reason)
        return VariantOutcome(variant.id, variant.function, variant.kind, NOT_GRADED, 0.0, 0.0, detail=detail)
    own = result.function(variant.function)
    lost_on = [f.name for f in result.functions if f.score < f.max_score - 1e-9]
    shown = [own.diagnosis] if own.diagnosis else []
    stray = ["%s: %s" % (f.name, f.diagnosis) for f in result.functions if f.name != variant.function
             and f.diagnosis]
    failed = sum(1 for case in own.cases if case.rung != "passed")
    outcome = VariantOutcome(variant.id, variant.function, variant.kind, "", own.score, own.max_score,
                             lost_on=lost_on, cases_failed=failed, cases_total=len(own.cases),
                             diagnosis_shown=" / ".join(shown), stray_diagnoses=stray)
    if variant.kind == WRONG:
        outcome.verdict = CAUGHT if variant.function in lost_on else SURVIVED
        outcome.diagnosed = any(variant.diagnosis in note for note in shown)
        # (a mistake only hidden cases can show is not asked of the self-check)
        outcome.public_caught = None if variant.hidden_only else fails_a_public_case(variant)
    else:
        outcome.verdict = PENALISED if lost_on else FULL_MARKS
    return outcome


def fails_a_public_case(variant: Variant, cases: Iterable[Case] | None = None) -> bool:
    """Whether ``variant`` fails at least one public case of its function, judged by the ladder
    in this process (variants are our own code), as the students' self-check would judge it."""
    if cases is None:
        cases = _public_cases()
    spec = current().spec.functions[variant.function]
    for case in cases:
        if case.function != variant.function or case.visibility != "public":
            continue
        run = run_variant(variant, case)
        verdict = judge_outcome(case.function, variant_outcome(variant, run), case.expected, list(case.args),
                                run.value, run.args_after, rtol=spec.rtol, atol=spec.atol, label=case.label,
                                may_change_if_first=spec.may_change_if_first)
        if verdict.rung != PASSED:
            return True
        if case.then and chain_verdict(variant, case, run.value) is not None:
            return True
    return False


def chain_verdict(variant: Variant, case: Case, value):
    """The failing verdict of a chain case whose next steps, here the reference's own functions
    (right on their own cases, as a student's may be), go wrong on what ``variant`` returned, or
    None (see checks.judge_chain)."""
    steps = list(case.then or ())
    runs = []
    for step in steps:
        try:
            with np.errstate(all="ignore"):
                args = copy.deepcopy(chain_args(step, value, case.then_args or []))
                runs.append(("ok", wire.roundtrip({"v": current().reference(step["function"])(*args)})["v"]))
        except Exception as error:  # noqa: BLE001 - the variant's value made it fail
            runs.append(("error", "%s: %s" % (type(error).__name__, error)))
    spec = current().spec
    tolerances = {name: (f.rtol, f.atol) for name, f in spec.functions.items()}
    fine = {step["function"] for step in steps}
    return judge_chain(variant.function, steps, runs, case.then_expected or [], tolerances, fine, value,
                       case.expected)


@lru_cache(maxsize=1)
def _public_cases() -> tuple[Case, ...]:
    return tuple(load_case_set(public_only=True))


# -- running ------------------------------------------------------------------------------------


def select_variants(function: str | None = None) -> list[Variant]:
    """The variants to audit: all of them, or those of ``function``."""
    return [v for v in current().mistakes.VARIANTS if function in (None, v.function)]


def run_audit(
    variants: Iterable[Variant] | None = None,
    grader=None,
    progress: Callable[[VariantOutcome], None] | None = None,
) -> AuditReport:
    """Grade every variant's notebook and judge it.

    Parameters
    ----------
    variants : iterable of Variant, optional
        What to audit; every variant by default.
    grader : graders.grade.Grader, optional
        A warm grader to reuse; one is started (all cases, default limits) and stopped otherwise.
    progress : callable, optional
        Called with each outcome as soon as it is known.
    """
    variants = list(current().mistakes.VARIANTS if variants is None else variants)
    if grader is None:
        from graders.grade import Grader

        with Grader(public_only=False) as own_grader:
            return run_audit(variants, own_grader, progress)
    report = AuditReport()
    for variant in variants:
        result = grader.grade_bytes(variant_notebook(variant), name="%s.ipynb" % variant.id)
        outcome = judge_variant(variant, result)
        report.outcomes.append(outcome)
        if progress:
            progress(outcome)
    return report


# -- rendering ----------------------------------------------------------------------------------

_COLUMNS = ("function", "wrong caught", "caught by public", "diagnosed", "correct full marks")


def to_text(report: AuditReport) -> str:
    """The audit table, then survivors, penalised alternatives and undiagnosed mistakes by name."""
    rows = report.rows()
    table = [_COLUMNS]
    for row in rows + [_totals(rows)]:
        table.append((
            row.function,
            _ratio(row.wrong_caught, row.wrong_total),
            _ratio(row.public_caught, row.wrong_total),
            _ratio(row.diagnosed, row.wrong_total),
            _ratio(row.correct_full_marks, row.correct_total),
        ))
    widths = [max(len(line[i]) for line in table) for i in range(len(_COLUMNS))]
    lines = [_table_line(line, widths) for line in table]
    rule = "  ".join("-" * width for width in widths)
    lines.insert(1, rule)
    lines.insert(len(lines) - 1, rule)
    lines.append("")
    lines.extend(_problems(report))
    return "\n".join(lines).rstrip() + "\n"


def _table_line(cells: tuple[str, ...], widths: list[int]) -> str:
    first = cells[0].ljust(widths[0])
    rest = [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
    return "  ".join([first] + rest).rstrip()


def _ratio(part: int, whole: int) -> str:
    if not whole:
        return "-"
    return "%d/%d (%d%%)" % (part, whole, round(100 * part / whole))


def _problems(report: AuditReport) -> list[str]:
    lines = []
    for outcome in report.outcomes:
        if outcome.verdict == SURVIVED:
            lines.append("SURVIVOR  " + MSG_SURVIVOR.format(id=outcome.id, function=outcome.function))
        elif outcome.public_caught is False:
            lines.append("UNSEEN    " + MSG_UNSEEN.format(id=outcome.id, function=outcome.function))
        if outcome.verdict == PENALISED:
            functions = ", ".join(outcome.lost_on)
            lines.append("PENALISED " + MSG_PENALISED.format(id=outcome.id, functions=functions))
        elif outcome.verdict == NOT_GRADED:
            lines.append("NOT GRADED " + outcome.detail)
    if not lines:
        wrong = sum(1 for o in report.outcomes if o.kind == WRONG)
        correct = sum(1 for o in report.outcomes if o.kind == CORRECT)
        lines.append(MSG_ALL_GOOD.format(wrong=wrong, correct=correct))
    narrow = [o for o in report.outcomes if o.verdict == CAUGHT and o.cases_failed == 1]
    if narrow:
        lines.append("")
        lines.append("Caught by a single case (keep that case when editing the spec):")
        lines.extend("  %s" % outcome.id for outcome in narrow)
    undiagnosed = [o for o in report.outcomes if o.kind == WRONG and o.verdict == CAUGHT and not o.diagnosed]
    if undiagnosed:
        lines.append("")
        lines.append("Caught but not diagnosed (the feedback falls back to the check ladder):")
        for outcome in undiagnosed:
            shown = (" - named instead: " + outcome.diagnosis_shown) if outcome.diagnosis_shown else ""
            lines.append("  %s%s" % (outcome.id, shown))
    stray = [o for o in report.outcomes if o.stray_diagnoses]
    if stray:
        lines.append("")
        lines.append("Diagnoses shown on functions the variant did not replace (a failing dependency):")
        for outcome in stray:
            for note in outcome.stray_diagnoses:
                lines.append("  %s -> %s" % (outcome.id, note))
    return lines
