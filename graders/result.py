"""Grading results as plain dataclasses; renderers (text, Gradescope JSON) live in render.py."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Status(str, enum.Enum):
    """What became of a submission. Members are strings (``Status.GRADED == "graded"``), so they
    are stored, exported and printed as their values."""

    GRADED = "graded"  #: a result with scores (the score may be 0)
    UNREADABLE = "unreadable"  #: the file is not a notebook that can be read
    COULD_NOT_GRADE = "could_not_grade"  #: the grader failed on it (the batch goes on; regrade it)

    __str__ = str.__str__
    __format__ = str.__format__  # type: ignore[assignment]


@dataclass
class CaseResult:
    """The verdict on one case of one function."""

    case_id: str
    visibility: str  #: "public" or "hidden"
    label: str  #: what the case varies, e.g. "m=1, L=3"
    rung: str  #: the first rung that failed, "passed", or "not_judged"
    passed: bool | None  #: None when the case could not be judged (not run, grader fault)
    credit: float  #: fraction of the case's share earned, 0..1
    message: str
    timed_out: bool = False  #: the call was stopped at its time limit


@dataclass
class FunctionResult:
    """Score and feedback for one graded function."""

    name: str
    score: float
    max_score: float
    cases: list[CaseResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  #: dependency notes, limits hit, diagnosis
    diagnosis: str = ""  #: the known mistake the feedback names ("Likely mistake: ..."), as a fact

    @property
    def status(self) -> str:
        """``passed`` when every point was earned, else ``failed``."""
        return "passed" if self.score >= self.max_score - 1e-9 else "failed"


@dataclass
class NotebookEvent:
    """Something about the notebook as a whole: an unreadable file, a failing cell, a limit hit."""

    #: unreadable | cell_error | cell_timeout | output_capped | course_tests | cell_numbering | worker_crash
    #: | sandbox | grader_error | refused
    kind: str
    message: str
    cell: int | None = None  #: 1-based index among the notebook's code cells (messages name cells as Jupyter does)


@dataclass
class GradeResult:
    """The grade of one submission."""

    submission: str
    score: float
    max_score: float
    functions: list[FunctionResult] = field(default_factory=list)
    events: list[NotebookEvent] = field(default_factory=list)
    execution_time: float = 0.0
    sandbox: str = ""  #: how student code was isolated: "bwrap", "process" (fallback)
    status: str = Status.GRADED  #: a :class:`Status`
    public_only: bool = False
    assignment: str = ""  #: the name of the assignment pack that graded it

    def function(self, name: str) -> FunctionResult:
        """The result of the graded function ``name``."""
        for result in self.functions:
            if result.name == name:
                return result
        raise KeyError(name)

    def to_dict(self) -> dict:
        """Plain-data form (JSON-ready) for storage; :func:`result_from_dict` reads it back.

        Written out by hand: ``dataclasses.asdict`` deep-copies every field and costs more than
        grading a notebook.
        """
        return {
            "submission": self.submission, "score": self.score, "max_score": self.max_score,
            "functions": [
                {"name": f.name, "score": f.score, "max_score": f.max_score, "notes": list(f.notes),
                 "diagnosis": f.diagnosis,
                 "cases": [{"case_id": c.case_id, "visibility": c.visibility, "label": c.label, "rung": c.rung,
                            "passed": c.passed, "credit": c.credit, "message": c.message,
                            "timed_out": c.timed_out} for c in f.cases]}
                for f in self.functions
            ],
            "events": [{"kind": e.kind, "message": e.message, "cell": e.cell} for e in self.events],
            "execution_time": self.execution_time, "sandbox": self.sandbox, "status": self.status,
            "public_only": self.public_only, "assignment": self.assignment,
        }


def result_from_dict(data: dict) -> GradeResult:
    """Rebuild a :class:`GradeResult` from :meth:`GradeResult.to_dict` output."""
    functions = [
        FunctionResult(
            name=f["name"], score=f["score"], max_score=f["max_score"],
            cases=[CaseResult(**c) for c in f.get("cases", [])], notes=list(f.get("notes", [])),
            diagnosis=str(f.get("diagnosis", "")),
        )
        for f in data.get("functions", [])
    ]
    events = [NotebookEvent(**e) for e in data.get("events", [])]
    fields = {k: v for k, v in data.items() if k not in ("functions", "events")}
    if fields.get("status") in tuple(Status):
        fields["status"] = Status(fields["status"])
    return GradeResult(functions=functions, events=events, **fields)
