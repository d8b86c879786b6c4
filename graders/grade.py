"""Grade notebooks: the library entry points under ``dnngrade grade`` and ``dnngrade batch``.

``grade_notebook(path)`` grades one notebook; :class:`Grader` keeps one warm worker for many.
Student code runs only in the worker; this module compares its plain-data outputs with the
expected values and computes the scores.
"""

from __future__ import annotations

import os
import time
import traceback
from pathlib import Path

from graders.cases import Case, load_case_set
from graders.limits import Limits
from graders.notebook import MSG_TOO_LARGE, NotebookError, code_cells
from graders.result import FunctionResult, GradeResult, NotebookEvent
from graders.scoring import notebook_events, score_functions
from graders.spec import AssignmentSpec, load_spec
from graders.workerproc import WorkerDied, WorkerProcess

MSG_UNREADABLE = "Not graded: {reason}"
MSG_COULD_NOT_GRADE = (
    "Not graded: the grader could not finish this notebook ({reason}). "
    "Nothing was lost; ask your instructor to regrade it."
)


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
    """

    def __init__(self, public_only: bool = False, limits: Limits | None = None, sandbox: str = "auto",
                 spec: AssignmentSpec | None = None, cases: list[Case] | None = None):
        self.public_only = public_only
        self.limits = limits or Limits()
        self.sandbox = sandbox
        self.spec = spec or load_spec()
        self.cases = cases if cases is not None else load_case_set(public_only=public_only)
        self._worker: WorkerProcess | None = None

    # -- worker lifecycle ---------------------------------------------------------------------------

    def start(self) -> WorkerProcess:
        """Start the worker now (otherwise it starts with the first notebook)."""
        if self._worker is None:
            self._worker = WorkerProcess(self.cases, self.limits.worker_limits(), self.sandbox)
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
        started = time.perf_counter()
        try:
            cells = code_cells(data, self.limits.max_notebook_bytes)
        except NotebookError as error:
            return self._unreadable(name, error, time.perf_counter() - started)
        try:
            return self._grade_cells(cells, name, started)
        except WorkerDied as error:
            self.close()
            return self._could_not_grade(name, str(error), time.perf_counter() - started)
        except Exception as error:  # noqa: BLE001 - a grader fault must not stop a batch
            self.close()
            detail = "%s: %s" % (type(error).__name__, error)
            if os.environ.get("DNNGRADE_DEBUG"):
                detail += "\n" + traceback.format_exc()
            return self._could_not_grade(name, detail, time.perf_counter() - started)

    def _grade_cells(self, cells: list[str], name: str, started: float) -> GradeResult:
        worker = self.start()
        reply, values = worker.run(cells)
        events = notebook_events(reply.get("cells", []))
        events.extend(NotebookEvent("worker", str(note)[:300]) for note in reply.get("notes", []))
        if worker.launch.note:
            events.append(NotebookEvent("sandbox", worker.launch.note))
        functions = score_functions(self.spec, self.cases, reply, values, cells)
        return GradeResult(
            submission=name, score=round(sum(f.score for f in functions), 4), max_score=self.spec.total_points,
            functions=functions, events=events, execution_time=round(time.perf_counter() - started, 4),
            sandbox=worker.launch.mode, status="graded", public_only=self.public_only,
        )

    def _zero_result(self, name: str, status: str, message: str, kind: str, seconds: float) -> GradeResult:
        result = zero_result(self.spec, name, status, message, kind)
        result.execution_time = round(seconds, 4)
        result.sandbox = self._worker.launch.mode if self._worker else ""
        result.public_only = self.public_only
        return result

    def _unreadable(self, name: str, error: Exception, seconds: float) -> GradeResult:
        return self._zero_result(name, "unreadable", MSG_UNREADABLE.format(reason=error), "unreadable", seconds)

    def _could_not_grade(self, name: str, reason: str, seconds: float) -> GradeResult:
        return self._zero_result(name, "could_not_grade", MSG_COULD_NOT_GRADE.format(reason=reason),
                                 "grader_error", seconds)


def zero_result(spec: AssignmentSpec, name: str, status: str, message: str, kind: str) -> GradeResult:
    """A result with no points for a notebook that could not be read or graded; ``message`` says why."""
    functions = [FunctionResult(name=f, score=0.0, max_score=s.points, notes=[message])
                 for f, s in spec.functions.items()]
    return GradeResult(submission=name, score=0.0, max_score=spec.total_points, functions=functions,
                       events=[NotebookEvent(kind, message)], status=status)


def grade_notebook(path: str | os.PathLike, public_only: bool = False, limits: Limits | None = None,
                   sandbox: str = "auto") -> GradeResult:
    """Grade one notebook file and return its :class:`~graders.result.GradeResult`."""
    with Grader(public_only=public_only, limits=limits, sandbox=sandbox) as grader:
        return grader.grade_path(path)
