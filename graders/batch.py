"""Grade a batch of submissions into a gradebook, locally on a process pool or on a Dask cluster.

:func:`run_batch` is the library entry point under ``dnngrade batch``. It finds one notebook per
student (:mod:`graders.batch_inputs`), skips the ones the gradebook already holds for the same
content, kit version and cases, and grades the rest with :func:`grade_submission`: a plain function
of ``(student_id, file_name, data)`` returning plain data, so the same function runs in a local
process pool and on Dask workers. Each pool process (or Dask worker thread) keeps one warm
:class:`~graders.grade.Grader`. Only this (the parent) process writes the gradebook, one committed
transaction per result, so a batch killed at any point resumes where it stopped.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import hashlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import graders
from graders.batch_inputs import Discovery, Submission, SubmissionSource, discover, load_roster
from graders.errors import UserError
from graders.grade import MSG_COULD_NOT_GRADE, MSG_UNREADABLE, Grader, Limits
from graders.gradebook import FunctionStats, Gradebook, GradingContext
from graders.result import FunctionResult, GradeResult, NotebookEvent, result_from_dict
from graders.spec import ASSIGNMENT_DIR, SPEC_PATH, load_spec

MSG_PROCESS_DIED = "the process grading it died ({error})"
MSG_RAISED = "grading raised {error}"
MSG_CONTEXT_MISMATCH = (
    "the Dask worker that graded it runs kit {got_kit} with cases {got_cases}, but this batch uses kit "
    "{kit} with cases {cases}; install the same kit on every worker (see the README)"
)
MSG_READ_FAILED = "the file could not be read ({error})"
MSG_NO_DASK = (
    "--scheduler needs Dask's distributed scheduler, which is not installed; "
    'run pip install ".[dask]" (or pip install "dask[distributed]") and try again'
)
MSG_NO_SCHEDULER = (
    "could not connect to the Dask scheduler at {address} ({error}); check the address "
    "(e.g. tcp://host:8786) and that `dask scheduler` is running there"
)
MSG_NOTHING_FOUND = (
    "no notebooks found in {path}; expected <student>.ipynb files or one folder per student "
    "(hidden folders such as .ipynb_checkpoints are ignored)"
)
MSG_INTERRUPTED = (
    "stopped: {done} of {total} graded and saved in {gradebook}; run the same command again to grade the rest"
)
SLOWEST_SHOWN = 5
DASK_CONNECT_TIMEOUT = "20s"


# -- the grading context ------------------------------------------------------------------------


def cases_sha256(spec_path: Path = SPEC_PATH, cases_dir: Path = ASSIGNMENT_DIR / "cases") -> str:
    """sha256 over the spec file and every stored case file (name and bytes, in name order)."""
    digest = hashlib.sha256()
    for path in [Path(spec_path)] + sorted(Path(cases_dir).glob("*.json")):
        digest.update(path.name.encode("utf-8") + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


_CONTEXT: GradingContext | None = None


def grading_context() -> GradingContext:
    """The kit version and cases hash of this installation (computed once per process)."""
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = GradingContext(kit_version=graders.__version__, cases_sha256=cases_sha256())
    return _CONTEXT


# -- the grading function (runs in pool processes and on Dask workers) --------------------------

_LOCAL = threading.local()
_ALL_GRADERS: list[tuple[int, Grader]] = []


def _warm_grader(settings: dict) -> Grader:
    """This thread's grader, created on first use and kept for every later notebook."""
    key = (os.getpid(), repr(sorted(settings.items())))  # a forked child never reuses its parent's worker
    grader = getattr(_LOCAL, "grader", None)
    if grader is not None and _LOCAL.key == key:
        return grader
    if grader is not None and _LOCAL.key[0] == key[0]:
        grader.close()
    limits = Limits(**settings.get("limits", {}))
    _LOCAL.grader = Grader(public_only=False, limits=limits, sandbox=settings.get("sandbox", "auto"))
    _LOCAL.key = key
    if not _ALL_GRADERS:
        atexit.register(close_warm_graders)
    _ALL_GRADERS.append((key[0], _LOCAL.grader))
    return _LOCAL.grader


def close_warm_graders() -> None:
    """Stop the workers of every grader this process kept warm (they also stop when it exits)."""
    while _ALL_GRADERS:
        pid, grader = _ALL_GRADERS.pop()
        if pid == os.getpid():
            grader.close()
    _LOCAL.__dict__.clear()


def grade_submission(student_id: str, file_name: str, data: bytes, settings: dict | None = None) -> dict:
    """Grade one notebook's bytes; return plain data (no objects to pickle).

    Returns
    -------
    dict
        ``{"student_id", "file_name", "result": GradeResult.to_dict(), "context": {"kit_version",
        "cases_sha256"}}``; the context is this worker's, so the batch can refuse results graded by
        a worker whose kit or cases differ from its own.
    """
    result = _warm_grader(settings or {}).grade_bytes(data, file_name)
    return {"student_id": student_id, "file_name": file_name, "result": result.to_dict(),
            "context": asdict(grading_context())}


def _pool_initializer() -> None:
    """Pool processes ignore Ctrl-C (the parent handles it) and die with the parent (Linux)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


# -- results made here rather than by a grader ---------------------------------------------------


def zero_result(file_name: str, status: str, message: str, kind: str) -> GradeResult:
    """A result with no points, for a notebook that could not be read or graded."""
    spec = load_spec()
    functions = [FunctionResult(name=name, score=0.0, max_score=f.points, notes=[message])
                 for name, f in spec.functions.items()]
    return GradeResult(submission=file_name, score=0.0, max_score=spec.total_points, functions=functions,
                       events=[NotebookEvent(kind, message)], status=status)


def could_not_grade(file_name: str, reason: str) -> GradeResult:
    """A result with no points saying the grader, not the student, failed (and why)."""
    message = MSG_COULD_NOT_GRADE.format(reason=reason)
    return zero_result(file_name, "could_not_grade", message, "grader_error")


# -- progress and summary ------------------------------------------------------------------------


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
        s.statuses.get("graded", 0), s.statuses.get("unreadable", 0), s.statuses.get("could_not_grade", 0),
        s.timeouts))
    lines.append("  score: mean %.1f, median %.1f (of %g)" % (s.mean, s.median, s.max_score))
    if s.functions:
        lines.append("  pass rate per function (over readable notebooks):")
        for f in s.functions:
            lines.append("    %-28s %5.1f%%  (%d/%d)" % (f.name, 100 * f.pass_rate, f.passed, f.graded))
    if s.slowest:
        lines.append("  slowest: " + ", ".join("%s %.1f s" % pair for pair in s.slowest))
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


# -- the batch -----------------------------------------------------------------------------------


@dataclass
class _Job:
    submission: Submission
    sha256: str


class _Executors:
    """A local process pool (recreated if a process dies) or a Dask client's executor."""

    def __init__(self, workers: int, scheduler: str | None):
        self.workers = workers
        self.scheduler = scheduler
        self.client = None
        self.executor: cf.Executor | None = None
        if scheduler:
            try:
                from distributed import Client
            except ImportError:
                raise UserError(MSG_NO_DASK) from None
            try:
                self.client = Client(scheduler, timeout=DASK_CONNECT_TIMEOUT)
            except (OSError, TimeoutError, ValueError) as error:
                raise UserError(MSG_NO_SCHEDULER.format(address=scheduler, error=error)) from None
            self.workers = max(1, sum(self.client.nthreads().values()))
        self.fresh()

    @property
    def description(self) -> str:
        return "dask:%s" % self.scheduler if self.scheduler else "pool:%d" % self.workers

    def fresh(self) -> cf.Executor:
        """A working executor (a new pool after a pool process died)."""
        self._shutdown(wait=False)
        if self.client is not None:
            self.executor = self.client.get_executor(pure=False)
        else:
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else None)
            self.executor = cf.ProcessPoolExecutor(self.workers, mp_context=context,
                                                   initializer=_pool_initializer)
        return self.executor

    def submit(self, function: Callable, *args) -> cf.Future:
        """Run ``function(*args)`` on the current executor (starting one if needed)."""
        executor = self.executor or self.fresh()
        return executor.submit(function, *args)

    def _shutdown(self, wait: bool) -> None:
        if self.executor is None:
            return
        if self.client is not None:
            self.executor.shutdown(wait=wait)  # without wait, Dask cancels what is still pending
        else:
            self.executor.shutdown(wait=wait, cancel_futures=True)
        self.executor = None

    def close(self, wait: bool = True) -> None:
        self._shutdown(wait)
        if self.client is not None:
            self.client.close()
            self.client = None


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def run_batch(source: str | Path, gradebook: str | Path, *, roster: str | Path | None = None,
              workers: int | None = None, scheduler: str | None = None, regrade: bool = False,
              limits: Limits | None = None, sandbox: str = "auto", progress_stream=None,
              show_progress: bool | None = None,
              grade_function: Callable[..., dict] = grade_submission) -> BatchSummary:
    """Grade every submission in ``source`` (a folder or .zip) into the SQLite ``gradebook``.

    Parameters
    ----------
    roster : path, optional
        CSV mapping student ids to names and emails (stored in the gradebook; missing
        submissions are reported).
    workers : int, optional
        Local pool size; default: the number of cores. Ignored with ``scheduler``.
    scheduler : str, optional
        Address of a Dask distributed scheduler; grading then runs on its workers.
    regrade : bool
        Grade everything again, even submissions already graded with the same content and cases.
    grade_function : callable
        ``(student_id, file_name, data, settings) -> dict`` like :func:`grade_submission`.
    """
    started = time.monotonic()
    limits = limits or Limits()
    settings = {"limits": asdict(limits), "sandbox": sandbox}
    context = grading_context()
    with SubmissionSource(source) as files, Gradebook(gradebook) as book:
        found = discover(files)
        if not found.submissions:
            raise UserError(MSG_NOTHING_FOUND.format(path=source))
        people = load_roster(roster) if roster else None
        if people:
            book.upsert_students(people)
        jobs = _plan(files, found, book, context, regrade, limits.max_notebook_bytes)
        progress = Progress(len(jobs), progress_stream, show_progress)
        executors = _Executors(workers or default_workers(), scheduler) if jobs else None
        where = executors.description if executors else "nothing to grade"
        run_id = book.start_run(context, str(source), where, settings)
        finished = False
        try:
            if executors:
                _execute(jobs, files, book, executors, grade_function, settings, context, run_id, progress,
                         limits.max_notebook_bytes)
            finished = True
        except KeyboardInterrupt:
            progress.close()
            print(MSG_INTERRUPTED.format(done=progress.done, total=len(jobs), gradebook=gradebook),
                  file=sys.stderr)
            raise
        finally:
            progress.close()
            if executors:
                executors.close(wait=finished)
        book.finish_run(run_id)
        roster_ids = people or book.students() or None
        return _summarize(book, found, roster_ids, len(jobs), time.monotonic() - started, str(source),
                          str(gradebook))


def _plan(files: SubmissionSource, found: Discovery, book: Gradebook, context: GradingContext,
          regrade: bool, cap: int) -> list[_Job]:
    """The submissions to grade: new, changed, graded with other cases or kit, or could-not-grade."""
    stored = book.graded_keys()
    jobs = []
    for submission in found.submissions:
        try:
            sha = hashlib.sha256(files.read(submission.file_name, cap)).hexdigest()
        except OSError:
            sha = ""
        previous = stored.get(submission.student_id)
        if (not regrade and previous and previous[:3] == (sha, context.kit_version, context.cases_sha256)
                and previous[3] != "could_not_grade"):
            continue
        jobs.append(_Job(submission, sha))
    return jobs


def _execute(jobs: list[_Job], files: SubmissionSource, book: Gradebook, executors: _Executors,
             grade_function: Callable[..., dict], settings: dict, context: GradingContext, run_id: int,
             progress: Progress, cap: int) -> None:
    """Submit ``jobs`` a window at a time and store each result as soon as it arrives.

    When a local pool process dies, the pool is replaced and every job that was in flight is run
    again alone; a job that kills its process on its own gets a could-not-grade result, and the
    batch goes on.
    """
    waiting: deque[_Job] = deque(jobs)
    suspects: deque[_Job] = deque()
    window = max(2, 2 * executors.workers)
    in_flight: dict[cf.Future, _Job] = {}

    def store(job: _Job, result: GradeResult) -> None:
        book.record(job.submission.student_id, job.submission.file_name, job.sha256, result, context, run_id)
        progress.advance()

    while waiting or suspects or in_flight:
        queue, limit = (suspects, 1) if suspects else (waiting, window)
        while queue and len(in_flight) < limit:
            job = queue.popleft()
            try:
                data = files.read(job.submission.file_name, cap)
            except OSError as error:
                message = MSG_UNREADABLE.format(reason=MSG_READ_FAILED.format(error=error.strerror or error))
                store(job, zero_result(job.submission.file_name, "unreadable", message, "unreadable"))
                continue
            job.sha256 = hashlib.sha256(data).hexdigest()
            future = executors.submit(grade_function, job.submission.student_id, job.submission.file_name,
                                      data, settings)
            in_flight[future] = job
        if not in_flight:
            continue
        alone = len(in_flight) == 1
        done, _ = cf.wait(list(in_flight), return_when=cf.FIRST_COMPLETED)
        broken: list[_Job] = []
        died = False
        for future in done:
            job = in_flight.pop(future)
            try:
                payload = future.result()
            except cf.process.BrokenProcessPool as error:
                died = True
                if alone:
                    reason = MSG_PROCESS_DIED.format(error=error)
                    store(job, could_not_grade(job.submission.file_name, reason))
                else:
                    broken.append(job)
            except Exception as error:  # noqa: BLE001 - one failure never stops the batch
                reason = MSG_RAISED.format(error="%s: %s" % (type(error).__name__, error))
                store(job, could_not_grade(job.submission.file_name, reason))
            else:
                store(job, _result_from(payload, job, context))
        if died:
            suspects.extend(broken + list(in_flight.values()))  # every job in flight failed with the pool
            in_flight.clear()
            executors.fresh()


def _result_from(payload: dict, job: _Job, context: GradingContext) -> GradeResult:
    got = payload.get("context") or {}
    if (got.get("kit_version"), got.get("cases_sha256")) != (context.kit_version, context.cases_sha256):
        return could_not_grade(job.submission.file_name, MSG_CONTEXT_MISMATCH.format(
            got_kit=got.get("kit_version"), got_cases=str(got.get("cases_sha256"))[:12],
            kit=context.kit_version, cases=context.cases_sha256[:12]))
    return result_from_dict(payload["result"])


def _summarize(book: Gradebook, found: Discovery, roster: dict | None, graded_now: int, seconds: float,
               source: str, gradebook: str) -> BatchSummary:
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
                         if row.status == "could_not_grade"],
    )



def _reason(result: GradeResult) -> str:
    return result.events[-1].message if result.events else ""
