"""What a batch shows while it runs and when it ends: the progress bar and the one-screen summary."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

from graders.batch.gradebook import FunctionStats, Gradebook
from graders.batch.inputs import Discovery
from graders.result import GradeResult, Status

SLOWEST_SHOWN = 5


class Progress:
    """A one-line progress bar on a terminal: done/total, rate and ETA; silent otherwise."""

    WIDTH = 28

    def __init__(self, total: int, stream=None, enabled: bool | None = None):
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = enabled and total > 0
        self.done = 0
        self.started = time.monotonic()
        self._shown = 0.0

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = time.monotonic()
        if self.enabled and (now - self._shown >= 0.1 or self.done >= self.total):
            self._shown = now
            self.stream.write("\r" + self.line(now - self.started))
            self.stream.flush()

    def line(self, elapsed: float) -> str:
        """The bar's text after ``elapsed`` seconds."""
        fraction = self.done / self.total if self.total else 1.0
        filled = int(self.WIDTH * fraction)
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        return "grading [%s%s] %d/%d  %.1f notebooks/s  ETA %s " % (
            "#" * filled, "." * (self.WIDTH - filled), self.done, self.total, rate, _clock(eta))

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * (self.WIDTH + 60) + "\r")
            self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return "%d:%02d:%02d" % (seconds // 3600, seconds % 3600 // 60, seconds % 60) if seconds >= 3600 \
        else "%d:%02d" % (seconds // 60, seconds % 60)


@dataclass
class BatchSummary:
    """What one batch did, and the state of its students' grades afterwards."""

    source: str
    gradebook: str
    found: int
    graded_now: int
    skipped: int
    seconds: float
    statuses: dict[str, int] = field(default_factory=dict)  #: graded / unreadable / could_not_grade
    timeouts: int = 0
    mean: float = 0.0
    median: float = 0.0
    max_score: float = 0.0
    functions: list[FunctionStats] = field(default_factory=list)
    slowest: list[tuple[str, float]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  #: on the roster, no submission
    not_on_roster: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    could_not_grade: list[tuple[str, str]] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  #: (student, why), for the summary
    changes: list[dict] = field(default_factory=list)  #: whose score this run changed (see score_changes)

    @property
    def rate(self) -> float:
        """Notebooks graded per second in this run."""
        return self.graded_now / self.seconds if self.seconds > 0 else 0.0


def format_summary(summary: BatchSummary) -> str:
    """The end-of-batch report: one screen."""
    s = summary
    lines = ["%d submissions in %s: %d graded now, %d already in the gradebook" % (
        s.found, s.source, s.graded_now, s.skipped)]
    if s.graded_now:
        lines[0] += " (%.1f s, %.1f notebooks/s)" % (s.seconds, s.rate)
    lines.append("  graded %d, failed to read %d, could not grade %d, with timeouts %d" % (
        s.statuses.get(Status.GRADED, 0), s.statuses.get(Status.UNREADABLE, 0),
        s.statuses.get(Status.COULD_NOT_GRADE, 0), s.timeouts))
    lines.append("  score: mean %.1f, median %.1f (of %g)" % (s.mean, s.median, s.max_score))
    if s.functions:
        lines.append("  pass rate per function (over readable notebooks):")
        for f in s.functions:
            lines.append("    %-28s %5.1f%%  (%d/%d)" % (f.name, 100 * f.pass_rate, f.passed, f.graded))
    if s.slowest:
        lines.append("  slowest: " + ", ".join("%s %.1f s" % pair for pair in s.slowest))
    if s.changes:
        lines.append("  scores changed for %d students since they were last graded:" % len(s.changes))
        for change in s.changes[:CHANGES_SHOWN]:
            parts = ", ".join("%s %s -> %s" % (name, _num(old), _num(new))
                              for name, (old, new) in change["functions"].items())
            lines.append("    %s: %s -> %s%s" % (change["student_id"], _num(change["old_score"]),
                                                 _num(change["new_score"]), " (%s)" % parts if parts else ""))
        if len(s.changes) > CHANGES_SHOWN:
            lines.append("    ... and %d more: dnngrade export --gradebook %s --changes changes.csv"
                         % (len(s.changes) - CHANGES_SHOWN, s.gradebook))
    for student, reason in s.unreadable[:5]:
        lines.append("  could not read %s: %s" % (student, reason))
    if len(s.unreadable) > 5:
        lines.append("  ... and %d more unreadable notebooks (dnngrade export --feedback DIR has them all)"
                     % (len(s.unreadable) - 5))
    for student, reason in s.could_not_grade[:5]:
        lines.append("  could not grade %s: %s" % (student, reason))
    if s.missing:
        lines.append("  no submission from %d on the roster: %s" % (len(s.missing), _some(s.missing)))
    if s.not_on_roster:
        lines.append("  not on the roster: %s" % _some(s.not_on_roster))
    for warning in s.warnings[:8]:
        lines.append("  note: " + warning)
    if len(s.warnings) > 8:
        lines.append("  ... and %d more notes" % (len(s.warnings) - 8))
    lines.append("Export with: dnngrade export --gradebook %s --format canvas --out grades.csv" % s.gradebook)
    return "\n".join(lines)


def _some(items: list[str], shown: int = 6) -> str:
    text = ", ".join(items[:shown])
    return text + (" and %d more" % (len(items) - shown) if len(items) > shown else "")


def summarize(book: Gradebook, found: Discovery, roster: dict | None, graded_now: int, seconds: float,
              source: str, gradebook: str, run_id: int | None = None) -> BatchSummary:
    """The summary of a batch that found ``found`` and graded ``graded_now`` of them (read from ``book``)."""
    ids = [s.student_id for s in found.submissions]
    stored = book.submissions(ids)
    statuses: dict[str, int] = {}
    for row in stored:
        statuses[row.status] = statuses.get(row.status, 0) + 1
    mean, median, top = book.score_summary(ids)
    slowest = sorted(stored, key=lambda row: (-row.execution_time, row.student_id))[:SLOWEST_SHOWN]
    return BatchSummary(
        source=source, gradebook=gradebook, found=len(ids), graded_now=graded_now,
        skipped=len(ids) - graded_now,
        seconds=seconds, statuses=statuses, timeouts=sum(1 for row in stored if row.timed_out),
        mean=mean, median=median, max_score=top, functions=book.function_stats(ids),
        slowest=[(row.student_id, row.execution_time) for row in slowest if row.execution_time > 0],
        missing=sorted(set(roster) - set(ids)) if roster else [],
        not_on_roster=sorted(set(ids) - set(roster)) if roster else [],
        warnings=list(found.warnings),
        could_not_grade=[(row.student_id, _reason(row.result())) for row in stored
                         if row.status == Status.COULD_NOT_GRADE],
        unreadable=[(row.student_id, _reason(row.result())) for row in stored if row.status == Status.UNREADABLE],
        changes=book.score_changes(run_id) if run_id is not None else [],
    )


CHANGES_SHOWN = 10  #: changed students listed in the summary (the export has them all)


def _num(value) -> str:
    return "-" if value is None else ("%.2f" % value).rstrip("0").rstrip(".")


def _reason(result: GradeResult) -> str:
    return result.events[-1].message if result.events else ""
