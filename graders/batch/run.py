"""Grade a batch of submissions into a gradebook, locally on a process pool or on a Dask cluster.

:func:`run_batch` is the library entry point under ``dnngrade batch``. It finds one notebook per
student (:mod:`graders.batch.inputs`), skips the ones the gradebook already holds for the same
content, kit version and cases, and grades the rest with :func:`grade_submission`: a plain function
of ``(student_id, file_name, data)`` returning plain data, so the same function runs in a local
process pool and on Dask workers. Each pool process (or Dask worker thread) keeps one warm
:class:`~graders.grade.Grader`. Only this (the parent) process writes the gradebook, one committed
transaction per result, so a batch killed at any point resumes where it stopped.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import gc
import hashlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import graders
from graders import grade
from graders.assignment import Assignment, current, find_assignment, select
from graders.batch.gradebook import FeedbackText, Gradebook, GradingContext
from graders.batch.inputs import Discovery, Submission, SubmissionSource, discover, load_roster
from graders.batch.summary import BatchSummary, Progress, summarize
from graders.errors import UserError
from graders.grade import MSG_COULD_NOT_GRADE, MSG_UNREADABLE, Grader, Limits
from graders.result import GradeResult, Status, result_from_dict
from graders.sandbox.limits import default_workers
from graders.worker.isolation import PR_SET_PDEATHSIG, prctl

MAX_CHUNK = 8  #: notebooks per pool task: the pool process pipelines them through its worker
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
MSG_DASK_ENVIRONMENT = (
    "the Dask cluster at {address} cannot run the grader ({error}); install this kit, same version, "
    'on the scheduler and every worker machine (pip install ".[dask]"), then restart them'
)
MSG_DASK_NO_WORKERS = (
    "no Dask worker at {address} answered within {seconds:g} s; start some with `dask worker {address}`"
)
MSG_DASK_MISMATCH = (
    "Dask workers {workers} run kit {got_kit} with cases {got_cases}, but this machine has kit {kit} with "
    "cases {cases}; install the same kit and case files on every worker and restart them"
)
DASK_CONNECT_TIMEOUT = "20s"
DASK_CHECK_SECONDS = 60.0


# -- the grading context ------------------------------------------------------------------------


def cases_sha256(spec_path: Path | None = None, cases_dir: Path | None = None) -> str:
    """sha256 over the spec file and every stored case file (name and bytes, in name order); by
    default the selected pack's."""
    if spec_path is None or cases_dir is None:
        pack = current()
        spec_path, cases_dir = pack.spec_path, pack.cases_dir
    digest = hashlib.sha256()
    for path in [Path(spec_path)] + sorted(Path(cases_dir).glob("*.json")):
        digest.update(path.name.encode("utf-8") + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


_CONTEXTS: dict[str, GradingContext] = {}


def grading_context() -> GradingContext:
    """The kit version, the selected pack and its cases hash (computed once per process and pack)."""
    pack = current()
    if pack.name not in _CONTEXTS:
        _CONTEXTS[pack.name] = GradingContext(kit_version=graders.__version__, cases_sha256=cases_sha256(),
                                              assignment=pack.name)
    return _CONTEXTS[pack.name]


def settings_pack(settings: dict) -> Assignment:
    """The pack a batch's ``settings`` name (its folder when this machine has it, else its name),
    selected in this process; the selected pack when they name none."""
    folder, name = settings.get("assignment_folder"), settings.get("assignment")
    if not folder and not name:
        return current()
    if folder and Path(folder, "assignment.toml").is_file():
        pack = find_assignment(folder)
    else:
        pack = find_assignment(name)
    if not _selected_is(pack):
        select(pack)
    return current()


def _selected_is(pack: Assignment) -> bool:
    try:
        return current().folder == pack.folder
    except UserError:
        return False


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
    pack = settings_pack(settings)
    _LOCAL.grader = Grader(public_only=False, limits=limits, sandbox=settings.get("sandbox", "auto"), assignment=pack)
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


def grade_submissions(items: list[tuple[str, str, bytes]], settings: dict | None = None) -> list[dict]:
    """Grade several notebooks with this process's warm grader, the next one always running in
    the worker while the last is judged; one :func:`grade_submission`-shaped dict each, in order."""
    grader = _warm_grader(settings or {})
    context = asdict(grading_context())
    results = grader.grade_many((file_name, data) for _, file_name, data in items)
    return [{"student_id": student_id, "file_name": file_name, "result": result.to_dict(), "context": context}
            for (student_id, file_name, _), result in zip(items, results)]


def grade_chunk(grade_function: Callable[..., dict], items: list[tuple[str, str, bytes]],
                settings: dict) -> list[tuple[str, object]]:
    """Run a chunk of jobs in one task: ``("ok", payload)`` or ``("raised", reason)`` per job.

    The kit's own grading function pipelines the chunk through the worker; any other function is
    called once per job, so one that raises costs only its own job.
    """
    if grade_function is grade_submission:
        return [("ok", payload) for payload in grade_submissions(items, settings)]
    outcomes: list[tuple[str, object]] = []
    for student_id, file_name, data in items:
        try:
            outcomes.append(("ok", grade_function(student_id, file_name, data, settings)))
        except Exception as error:  # noqa: BLE001 - one failure never stops the batch
            outcomes.append(("raised", "%s: %s" % (type(error).__name__, error)))
    return outcomes


def _relax_garbage_collector() -> None:
    """Results are trees of small acyclic objects that reference counting frees at once; the
    cyclic collector, run every 700 allocations by default, only rescans them. Run it rarely."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def _pool_initializer(settings: dict | None = None) -> None:
    """Pool processes ignore Ctrl-C (the parent handles it) and die with the parent (Linux). With
    ``settings``, the process starts its warm grader's worker at once, while the batch still reads
    the submissions; a failure to start is reported by the first notebook it grades."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _relax_garbage_collector()
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if settings is not None:
        try:
            _warm_grader(settings).start()
        except Exception:  # noqa: BLE001 - the first grading tries again and says why
            close_warm_graders()


def _started() -> bool:
    return True


# -- results made here rather than by a grader ---------------------------------------------------


def zero_result(file_name: str, status: str, message: str, kind: str) -> GradeResult:
    """A result with no points, for a notebook that could not be read or graded."""
    return grade.zero_result(current().spec, file_name, status, message, kind)


def could_not_grade(file_name: str, reason: str) -> GradeResult:
    """A result with no points saying the grader, not the student, failed (and why)."""
    message = MSG_COULD_NOT_GRADE.format(reason=reason)
    return zero_result(file_name, Status.COULD_NOT_GRADE, message, "grader_error")


# -- the batch -----------------------------------------------------------------------------------


@dataclass
class _Job:
    submission: Submission
    sha256: str


class _Executors:
    """A local process pool (recreated if a process dies) or a Dask client's executor."""

    def __init__(self, workers: int, scheduler: str | None, settings: dict | None = None):
        self.workers = workers
        self.scheduler = scheduler
        self.settings = settings  #: what pool processes start their grader with
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
            check_dask_workers(self.client, scheduler)
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
                                                   initializer=_pool_initializer, initargs=(self.settings,))
        return self.executor

    def start(self) -> None:
        """Start the local pool's processes (and so their workers) now rather than as tasks come."""
        if self.client is None:
            self.submit(_started)

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


def worker_context(settings: dict | None = None) -> dict:
    """This process's grading context as plain data (what a Dask worker reports), for the pack
    ``settings`` name (the selected one by default)."""
    if settings:
        settings_pack(settings)
    return asdict(grading_context())


def check_dask_workers(client, address: str) -> None:
    """Fail early, with the fix, when the cluster cannot grade or grades with another kit or cases.

    One small task goes through the scheduler (which must be able to unpickle it, so it needs the
    kit too); then every connected worker reports its kit version and cases hash.
    """
    pack = current()
    named = {"assignment": pack.name, "assignment_folder": str(pack.folder)}
    mine = worker_context()
    problem = None
    try:
        client.submit(worker_context, named, pure=False).result(timeout=DASK_CHECK_SECONDS)
        contexts = client.run(worker_context, named)
    except TimeoutError:
        problem = MSG_DASK_NO_WORKERS.format(address=address, seconds=DASK_CHECK_SECONDS)
    except Exception as error:  # noqa: BLE001 - whatever Dask raised, the fix is the same
        text = " ".join((str(error).strip() or type(error).__name__).split())
        problem = MSG_DASK_ENVIRONMENT.format(address=address, error=text.split(". ")[0].rstrip("."))
    else:
        wrong = sorted(worker for worker, theirs in contexts.items() if theirs != mine)
        if wrong:
            theirs = contexts[wrong[0]]
            problem = MSG_DASK_MISMATCH.format(
                workers=", ".join(wrong), got_kit=theirs.get("kit_version"),
                got_cases=str(theirs.get("cases_sha256"))[:12], kit=mine["kit_version"],
                cases=mine["cases_sha256"][:12])
    if problem:
        client.close()
        raise UserError(problem)


def run_batch(source: str | Path, gradebook: str | Path, *, roster: str | Path | None = None,
              workers: int | None = None, scheduler: str | None = None, regrade: bool = False,
              limits: Limits | None = None, sandbox: str = "auto", progress_stream=None,
              show_progress: bool | None = None,
              grade_function: Callable[..., dict] = grade_submission, wait: bool = False,
              feedback: FeedbackText | None = None) -> BatchSummary:
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
    wait : bool
        When another batch is grading into ``gradebook``, wait for it instead of raising
        :class:`~graders.errors.UserError` (one batch writes a gradebook at a time).
    feedback : callable, optional
        Renders each function's feedback text for its gradebook row; ``dnngrade batch`` passes
        :func:`graders.render.results.gradebook_feedback`. Without it the column stays empty;
        exports render from the stored results either way.
    """
    _relax_garbage_collector()
    started = time.monotonic()
    limits = limits or Limits()
    pack = current()
    settings = {"limits": asdict(limits), "sandbox": sandbox, "assignment": pack.name,
                "assignment_folder": str(pack.folder)}
    context = grading_context()
    with SubmissionSource(source) as files, Gradebook(gradebook, writer=True, wait=wait,
                                                            feedback=feedback) as book:
        with book.transaction():
            # before anything is written: one assignment per gradebook
            book.claim_assignment(pack.name, str(pack.folder))
        found = discover(files)
        if not found.submissions:
            raise UserError(MSG_NOTHING_FOUND.format(path=source))
        people = load_roster(roster) if roster else None
        if people:
            book.upsert_students(people)
        jobs = _plan(files, found, book, context, regrade, limits.max_notebook_bytes)
        executors = None
        if jobs:
            warm = settings if grade_function is grade_submission else None  # a worker of the kit's own
            executors = _Executors(min(workers or default_workers(), len(jobs)), scheduler, warm)
            executors.start()  # every pool process starts its worker now, not at its first task
        progress = Progress(len(jobs), progress_stream, show_progress)
        where = executors.description if executors else "nothing to grade"
        run_id = book.start_run(context, str(source), where, settings)
        finished = False
        try:
            if executors:
                # up to 8 notebooks a task, fewer in small batches so results still arrive steadily
                chunk_size = max(1, min(MAX_CHUNK, len(jobs) // (4 * executors.workers)))
                _execute(jobs, files, book, executors, grade_function, settings, context, run_id, progress,
                         limits.max_notebook_bytes, chunk_size)
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
        return summarize(book, found, roster_ids, len(jobs), time.monotonic() - started, str(source),
                         str(gradebook), run_id)


def _plan(files: SubmissionSource, found: Discovery, book: Gradebook, context: GradingContext,
          regrade: bool, cap: int) -> list[_Job]:
    """The submissions to grade: new, changed, graded with other cases or kit, or could-not-grade."""
    stored = book.graded_keys()
    jobs = []
    for submission in found.submissions:
        previous = stored.get(submission.student_id)
        if (regrade or not previous or previous[1:3] != (context.kit_version, context.cases_sha256)
                or previous[3] == Status.COULD_NOT_GRADE):
            jobs.append(_Job(submission, ""))  # read, and hashed, when its chunk is sent
            continue
        try:
            sha = hashlib.sha256(files.read(submission.file_name, cap)).hexdigest()
        except OSError:
            sha = ""
        if sha != previous[0]:  # changed since it was graded
            jobs.append(_Job(submission, sha))
    return jobs


def _execute(jobs: list[_Job], files: SubmissionSource, book: Gradebook, executors: _Executors,
             grade_function: Callable[..., dict], settings: dict, context: GradingContext, run_id: int,
             progress: Progress, cap: int, chunk_size: int = 8) -> None:
    """Submit ``jobs`` in chunks, a window at a time, and store each result as soon as its chunk
    returns (a kill loses at most the chunks in flight, which the next run grades).

    A chunk is one task: the pool process pipelines its notebooks through its warm worker. When a
    local pool process dies, the pool is replaced and every job that was in flight is run again
    alone; a job that kills its process on its own gets a could-not-grade result, and the batch
    goes on.
    """
    waiting: deque[_Job] = deque(jobs)
    suspects: deque[_Job] = deque()
    window = max(2, 2 * executors.workers)  # chunks in flight
    in_flight: dict[cf.Future, list[_Job]] = {}

    def store(job: _Job, result: GradeResult) -> None:
        book.record(job.submission.student_id, job.submission.file_name, job.sha256, result, context, run_id)
        progress.advance()

    def store_chunk(jobs: list[_Job], outcomes: list[tuple[str, object]]) -> None:
        """A chunk's results, in one transaction (a kill loses the chunk in flight, no more)."""
        grades, stored = [], []
        for job, (kind, payload) in zip(jobs, outcomes):
            if kind == "ok" and isinstance(payload, dict):
                result, data = _result_from(payload, job, context)
            else:
                result = could_not_grade(job.submission.file_name, MSG_RAISED.format(error=payload))
                data = result.to_dict()
            grades.append((job.submission.student_id, job.submission.file_name, job.sha256, result))
            stored.append(data)
        book.record_many(grades, context, run_id, stored)
        for _ in grades:
            progress.advance()

    def next_chunk(queue: deque[_Job], size: int) -> list[tuple[_Job, bytes]]:
        chunk: list[tuple[_Job, bytes]] = []
        while queue and len(chunk) < size:
            job = queue.popleft()
            try:
                data = files.read(job.submission.file_name, cap)
            except OSError as error:
                message = MSG_UNREADABLE.format(reason=MSG_READ_FAILED.format(error=error.strerror or error))
                store(job, zero_result(job.submission.file_name, Status.UNREADABLE, message, "unreadable"))
                continue
            job.sha256 = hashlib.sha256(data).hexdigest()
            chunk.append((job, data))
        return chunk

    while waiting or suspects or in_flight:
        # suspects (jobs in flight when a pool process died) run alone, one at a time
        queue, limit, size = (suspects, 1, 1) if suspects else (waiting, window, chunk_size)
        while queue and len(in_flight) < limit:
            chunk = next_chunk(queue, size)
            if not chunk:
                continue
            items = [(job.submission.student_id, job.submission.file_name, data) for job, data in chunk]
            try:
                future = executors.submit(grade_chunk, grade_function, items, settings)
            except cf.process.BrokenProcessPool:  # a process died; its futures have not all failed yet
                queue.extendleft(job for job, _ in reversed(chunk))
                if not in_flight:
                    executors.fresh()
                break
            in_flight[future] = [job for job, _ in chunk]
        if not in_flight:
            continue
        alone = len(in_flight) == 1 and sum(len(jobs) for jobs in in_flight.values()) == 1
        done, _ = cf.wait(list(in_flight), return_when=cf.FIRST_COMPLETED)
        broken: list[_Job] = []
        died = False
        for future in done:
            jobs = in_flight.pop(future)
            try:
                outcomes = future.result()
            except cf.process.BrokenProcessPool as error:
                died = True
                if alone:
                    reason = MSG_PROCESS_DIED.format(error=error)
                    store(jobs[0], could_not_grade(jobs[0].submission.file_name, reason))
                else:
                    broken.extend(jobs)
                continue
            except Exception as error:  # noqa: BLE001 - one failure never stops the batch
                outcomes = [("raised", "%s: %s" % (type(error).__name__, error))] * len(jobs)
            store_chunk(jobs, outcomes)
        if died:
            for jobs in in_flight.values():  # every job in flight failed with the pool
                broken.extend(jobs)
            suspects.extend(broken)
            in_flight.clear()
            executors.fresh()


def _result_from(payload: dict, job: _Job, context: GradingContext) -> tuple[GradeResult, dict]:
    """The result a pool process or Dask worker sent, and its stored form."""
    got = payload.get("context") or {}
    if ((got.get("kit_version"), got.get("cases_sha256"), got.get("assignment", context.assignment))
            != (context.kit_version, context.cases_sha256, context.assignment)):
        result = could_not_grade(job.submission.file_name, MSG_CONTEXT_MISMATCH.format(
            got_kit=got.get("kit_version"), got_cases=str(got.get("cases_sha256"))[:12],
            kit=context.kit_version, cases=context.cases_sha256[:12]))
        return result, result.to_dict()
    return result_from_dict(payload["result"]), payload["result"]
