"""Grade notebooks: the library entry points under ``dnngrade grade`` and ``dnngrade batch``.

``grade_notebook(path)`` grades one notebook; :class:`Grader` keeps one warm worker for many.
Student code runs only in the worker; this module compares its plain-data outputs with the
expected values and computes the scores.
"""

from __future__ import annotations

import os
import time
import traceback
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from graders.assignment import Assignment, current
from graders.cases import Case, load_case_set
from graders.notebook import MSG_POSITIONS, MSG_TOO_LARGE, Cells, NotebookError, code_cells, positional
from graders.portable.checks import use_names
from graders.rerun import RetryUnavailable, regrade_callers
from graders.result import FunctionResult, GradeResult, NotebookEvent, Status
from graders.sandbox.limits import Limits
from graders.sandbox.worker import WorkerDied, WorkerProcess
from graders.scoring import case_tolerances, notebook_events, score_functions
from graders.shortcut import QuickJudge
from graders.spec import AssignmentSpec

MSG_UNREADABLE = "Not graded: {reason}"
MSG_REFUSED = (
    "No marks: this notebook could not be graded because {reason}. Remove the code that signals "
    "other processes (os.kill, signal.pthread_kill, ...) and submit it again."
)
MSG_RETRY_FAILED = (
    "A function that calls a failing helper could not be graded again with a correct helper ({reason}); "
    "its first result stands."
)
MSG_COULD_NOT_GRADE = (
    "Not graded: the grader could not finish this notebook ({reason}). "
    "Nothing was lost; ask your instructor to regrade it."
)


@dataclass
class _Pending:
    """A notebook between being read and being judged."""

    name: str
    started: float
    cells: Cells | None = None
    token: str = ""
    generation: int = 0
    result: GradeResult | None = None


class Grader:
    """Grades many notebooks with one warm worker (started on first use, restarted if it dies).

    Parameters
    ----------
    public_only : bool
        Run only the public cases (what the students' self-check runs).
    limits : Limits
        Time and memory limits.
    sandbox : str
        "auto" (bubblewrap when available), "bwrap" (required) or "process".
    assignment : Assignment
        The pack to grade (default: the selected one, :func:`graders.assignment.current`).
    """

    def __init__(self, public_only: bool = False, limits: Limits | None = None, sandbox: str = "auto",
                 spec: AssignmentSpec | None = None, cases: list[Case] | None = None,
                 assignment: Assignment | None = None):
        self.public_only = public_only
        self.limits = limits or Limits()
        self.sandbox = sandbox
        self.assignment = assignment or current()
        self.spec = spec or self.assignment.spec
        use_names(self.spec.names())
        self.cases = cases if cases is not None else load_case_set(public_only=public_only,
                                                                   paths=self.assignment.case_paths)
        self._worker: WorkerProcess | None = None
        self._generation = 0  #: counts workers started, so a job sent to a dead one is sent again
        self._quick: QuickJudge | None = None  #: see graders.shortcut

    # -- worker lifecycle ---------------------------------------------------------------------------

    def start(self) -> WorkerProcess:
        """Start the worker now (otherwise it starts with the first notebook)."""
        if self._worker is None:
            self._worker = WorkerProcess(self.cases, self.limits.worker_limits(), self.sandbox,
                                         helpers=self.assignment.worker_helpers())
            self._generation += 1
        return self._worker

    def close(self) -> None:
        """Stop the worker."""
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- grading ------------------------------------------------------------------------------------

    def grade_path(self, path: str | os.PathLike) -> GradeResult:
        """Grade the notebook at ``path`` (a file over the size cap is not even read)."""
        path = Path(path)
        try:
            size = path.stat().st_size
            if size > self.limits.max_notebook_bytes:
                reason = MSG_TOO_LARGE.format(size=size, cap=self.limits.max_notebook_bytes)
                return self._unreadable(path.name, NotebookError(reason), 0.0)
            data = path.read_bytes()
        except OSError as error:
            reason = "the file could not be read (%s)" % error.strerror
            return self._unreadable(path.name, NotebookError(reason), 0.0)
        return self.grade_bytes(data, path.name)

    def grade_bytes(self, data: bytes, name: str = "notebook.ipynb") -> GradeResult:
        """Grade a notebook given as bytes; every failure becomes a result, never an exception."""
        return next(self.grade_many([(name, data)], depth=1))

    def grade_many(self, notebooks: Iterable[tuple[str, bytes]], depth: int = 2) -> Iterator[GradeResult]:
        """Grade ``(name, bytes)`` pairs, yielding results in order.

        With ``depth`` 2 the next notebook is already running in the worker while this process
        judges the previous one, so the two overlap instead of waiting on each other.
        """
        pending: deque[_Pending] = deque()
        for name, data in notebooks:
            pending.append(self._begin(name, data))
            while len(pending) >= max(1, depth):
                yield self._finish(pending.popleft())
        while pending:
            yield self._finish(pending.popleft())

    def _begin(self, name: str, data: bytes) -> _Pending:
        started = time.perf_counter()
        try:
            cells = code_cells(data, self.limits.max_notebook_bytes)
        except NotebookError as error:
            return _Pending(name, started, result=self._unreadable(name, error, time.perf_counter() - started))
        job = _Pending(name, started, cells=cells)
        try:
            self._send(job)
        except WorkerDied:
            self.close()  # _finish sends it again to a fresh worker
        return job

    def _send(self, job: _Pending) -> None:
        worker = self.start()
        job.generation = self._generation
        job.token = worker.send(job.cells or [])

    def _finish(self, job: _Pending) -> GradeResult:
        if job.result is not None:
            return job.result
        try:
            if job.generation != self._generation or self._worker is None:
                self._send(job)  # sent to a worker that has died since: send it to the new one
            worker = self.start()
            reply, blob = worker.receive(job.token)
            if reply.get("refused"):
                result = self._zero_result(job.name, Status.GRADED,
                                           MSG_REFUSED.format(reason=str(reply["refused"])[:300]),
                                           "refused", time.perf_counter() - job.started)
            else:
                result = self._score(job, worker, reply, blob)
            if reply.get("retire"):
                # this notebook stopped the worker's zygote: a fresh worker grades the next notebook,
                # which is sent to it again
                self.close()
            return result
        except WorkerDied as error:
            self.close()
            return self._could_not_grade(job.name, str(error), time.perf_counter() - job.started)
        except Exception as error:  # noqa: BLE001 - a grader fault must not stop a batch
            self.close()
            detail = "%s: %s" % (type(error).__name__, error)
            if os.environ.get("DNNGRADE_DEBUG"):
                detail += "\n" + traceback.format_exc()
            return self._could_not_grade(job.name, detail, time.perf_counter() - job.started)

    def _score(self, job: _Pending, worker: WorkerProcess, reply: dict, blob: bytes) -> GradeResult:
        omitted = reply.get("cells_omitted")
        events = notebook_events(reply.get("cells", []), omitted if isinstance(omitted, dict) else None,
                                 job.cells or [])
        labels = getattr(job.cells, "labels", [])
        if any(positional(label) for label in labels) and (
                any(event.cell for event in events)
                or any(isinstance(c, dict) and c.get("status") == "error" for c in reply.get("calls", []))):
            events.append(NotebookEvent("cell_numbering", MSG_POSITIONS))
        events.extend(NotebookEvent("worker", str(note)[:300]) for note in reply.get("notes", []))
        if worker.launch.note:
            events.append(NotebookEvent("sandbox", worker.launch.note))
        if self._quick is None:
            self._quick = QuickJudge(self.cases, case_tolerances(self.spec, self.cases))
        functions = score_functions(self.spec, self.cases, reply, blob, job.cells or [], self._quick)
        if not reply.get("retire"):
            for attempt in (1, 2):
                try:
                    functions = regrade_callers(worker, self.spec, self.cases, job.cells or [], functions,
                                                self._quick)
                    break
                except (WorkerDied, RetryUnavailable) as error:
                    # in a pipeline the next notebook may have stopped this worker: retry on a fresh
                    # one (the notebook in flight is sent to it again); twice, and the first results stand
                    self.close()
                    if attempt == 2:
                        events.append(NotebookEvent("worker", MSG_RETRY_FAILED.format(reason=error)))
                    else:
                        worker = self.start()
        return GradeResult(
            submission=job.name, score=round(sum(f.score for f in functions), 4), max_score=self.spec.total_points,
            functions=functions, events=events, execution_time=round(time.perf_counter() - job.started, 4),
            sandbox=worker.launch.mode, status=Status.GRADED, public_only=self.public_only,
            assignment=self.spec.name,
        )

    def _zero_result(self, name: str, status: str, message: str, kind: str, seconds: float) -> GradeResult:
        result = zero_result(self.spec, name, status, message, kind)
        result.execution_time = round(seconds, 4)
        result.sandbox = self._worker.launch.mode if self._worker else ""
        result.public_only = self.public_only
        result.assignment = self.spec.name
        return result

    def _unreadable(self, name: str, error: Exception, seconds: float) -> GradeResult:
        return self._zero_result(name, Status.UNREADABLE, MSG_UNREADABLE.format(reason=error), "unreadable", seconds)

    def _could_not_grade(self, name: str, reason: str, seconds: float) -> GradeResult:
        return self._zero_result(name, Status.COULD_NOT_GRADE, MSG_COULD_NOT_GRADE.format(reason=reason),
                                 "grader_error", seconds)


def zero_result(spec: AssignmentSpec, name: str, status: str, message: str, kind: str) -> GradeResult:
    """A result with no points for a notebook that could not be read or graded; ``message`` says why."""
    functions = [FunctionResult(name=f, score=0.0, max_score=s.points, notes=[message])
                 for f, s in spec.functions.items()]
    return GradeResult(submission=name, score=0.0, max_score=spec.total_points, functions=functions,
                       events=[NotebookEvent(kind, message)], status=status, assignment=spec.name)


def grade_notebook(path: str | os.PathLike, public_only: bool = False, limits: Limits | None = None,
                   sandbox: str = "auto") -> GradeResult:
    """Grade one notebook file and return its :class:`~graders.result.GradeResult`."""
    with Grader(public_only=public_only, limits=limits, sandbox=sandbox) as grader:
        return grader.grade_path(path)
