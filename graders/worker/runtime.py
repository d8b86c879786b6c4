"""What one forked child does with one submission: run its cells, then call its functions.

Finished steps (cells, calls) are reported on ``event_fd``. The first child of a submission
batches its reports (one write every ``FLUSH_SECONDS`` at most, and at the end), which keeps the
grading of an ordinary notebook to a handful of system calls. When such a child dies, hangs past
the hard limit or forges an early end, the worker forks a new one that resumes after the last step
it received and reports every step at once (``report_each_step``), so the step at fault is then
pinned down exactly; steps lost in the first child's buffer are simply run again. (A step that
hangs past the hard limit is therefore waited for twice; the soft limit, an alarm inside the
child, catches ordinary endless loops and sleeps without that.)

Each call gets fresh copies of its inputs. The arguments after the call are sent back only when
the call changed them (compared with the untouched originals), so the common case sends just the
returned value. Student output goes to a capped buffer, never to the worker's protocol pipes.
"""

import builtins
import io
import os
import resource
import signal
import sys
import time
import traceback

import numpy as np

from ..portable.wire import encode_frame
from .magics import transform_cell

MAX_STEP_OUTPUT = 8 * 1024
UID_BASE = 0x50000000  #: user ids of student code (no account uses them): one per worker
FUNCTION_STRIKES = 2  #: a function that hangs or crashes on this many cases is not run on the others
SKIPPED_DETAIL = "it hung or crashed on %d earlier cases, so its remaining cases were skipped"


class StepTimeout(BaseException):
    """Raised by the alarm when a cell or call runs past its limit."""


def _on_alarm(signum, frame):
    raise StepTimeout()


class CappedOutput(io.TextIOBase):
    """A stand-in for stdout/stderr that keeps the first ``cap`` characters and counts the rest."""

    def __init__(self, cap):
        self.cap = cap
        self.parts = []
        self.kept = 0
        self.total = 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        self.total += len(text)
        room = self.cap - self.kept
        if room > 0:
            self.parts.append(text[:room])
            self.kept += min(room, len(text))
        return len(text)

    def take(self):
        text = "".join(self.parts)
        capped = self.total > self.kept
        self.parts, self.kept, self.total = [], 0, 0
        return text, capped


def _error_summary(error, filename_prefix="<cell"):
    """``NameError: name 'x' is not defined (cell 3, line 2)`` without the worker's own frames."""
    text = "%s: %s" % (type(error).__name__, str(error)[:500])
    if isinstance(error, SyntaxError):
        return "%s: %s (line %s)" % (type(error).__name__, error.msg, error.lineno)
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith(filename_prefix)]
    if frames:
        last = frames[-1]
        text += " (%s, line %d)" % (last.filename.strip("<>"), last.lineno)
    return text


FLUSH_SECONDS = 0.02


class _Emitter:
    """Reports finished steps to the worker as ``{"type": "steps", "steps": [...]}`` frames.

    The values of the calls in one report travel together in one inner frame (the payload), under
    the names ``v<position>`` and ``a<position>``; a step that has values says ``"values": true``.
    Buffered, one report is written every ``FLUSH_SECONDS`` at most; unbuffered, one per step.
    """

    def __init__(self, fd, buffered=False):
        self.fd = fd
        self.buffered = buffered
        self.steps = []
        self.values = {}
        self.flushed_at = time.monotonic()

    def send(self, header, values=None):
        if header.get("type") in ("cell", "call"):
            if values is not None:
                position = header["position"]
                header["values"] = True
                self.values["v%d" % position] = values["value"]
                if "args_after" in values:
                    self.values["a%d" % position] = values["args_after"]
            self.steps.append(header)
            if not self.buffered or time.monotonic() - self.flushed_at >= FLUSH_SECONDS:
                self.flush()
        else:
            self.flush()
            self._write(encode_frame(header))

    def flush(self):
        if self.steps:
            payload = encode_frame({}, self.values) if self.values else None
            data = encode_frame({"type": "steps", "steps": self.steps}, payload=payload)
            self.steps, self.values = [], {}
            self._write(data)
        self.flushed_at = time.monotonic()

    def _write(self, data):
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]


def apply_limits(limits):
    """Resource limits for the child, set right after fork (before any student code).

    ``processes`` caps the tasks (processes and threads) student code may run at once, this one
    included. RLIMIT_NPROC counts every task of the user (in a sandbox, of the user namespace), so
    the limit is the count right now plus the allowance.
    """
    memory = int(limits.get("memory_mb", 0)) * 1024 * 1024
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(limits.get("cpu_seconds", 0))
    if cpu:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    fsize = int(limits.get("file_mb", 0)) * 1024 * 1024
    if fsize:
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    nofile = int(limits.get("open_files", 0))
    if nofile:
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    processes = int(limits.get("processes", 0))
    if processes:
        # a worker's own user id (root's unsandboxed worker) runs nothing but this child
        running = 1 if os.getuid() >= UID_BASE else count_tasks(os.getuid())
        if running is not None:
            allowed = running + processes - 1
            try:
                resource.setrlimit(resource.RLIMIT_NPROC, (allowed, allowed))
            except (ValueError, OSError):
                pass
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def count_tasks(uid):
    """How many tasks (threads included) ``uid`` runs now, as far as this process can see; None
    without /proc (macOS), where the process cap is left off."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return None
    total = 0
    wanted = b"Uid:\t%d\t" % uid
    for name in names:
        if name.isdigit():
            try:
                with open("/proc/%s/status" % name, "rb") as handle:
                    text = handle.read()
            except OSError:
                continue
            if wanted in text:  # the real uid, which is what RLIMIT_NPROC counts
                threads = text.split(b"Threads:", 1)[1].split(None, 1)[0] if b"Threads:" in text else b"1"
                total += int(threads) if threads.isdigit() else 1
    return max(total, 1)


def worker_uid(pid, serial=0):
    """A user id of its own for the worker ``pid`` (unique among live processes), so that student
    code of one worker can never signal, trace or share limits with another worker's."""
    return UID_BASE + ((pid & 0x3FFFFF) << 6 | (serial & 0x3F))


def become_user(uid):
    """Switch this child for good to the unprivileged ``uid`` (the worker runs as root)."""
    os.setgroups([])
    if hasattr(os, "setresuid"):
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    else:  # macOS
        os.setgid(uid)
        os.setuid(uid)


def run_child(event_fd, cells, calls, call_args, start_cell, start_call, report_cells, limits):
    """Run a submission from ``start_cell``/``start_call`` on; never returns (``os._exit``).

    Cells before ``start_cell`` that are re-run after a restart are executed silently.
    """
    resuming = start_cell > 0 or start_call > 0
    emit = _Emitter(event_fd, buffered=not limits.get("report_each_step"))
    output = CappedOutput(MAX_STEP_OUTPUT)
    sys.stdout = sys.stderr = output
    signal.signal(signal.SIGALRM, _on_alarm)
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    skip = set(limits.get("skip_cells", ()))
    for index, source in enumerate(cells):
        if index in skip:
            continue
        report = report_cells and index >= start_cell
        if report and resuming:
            emit.send({"type": "resumed"})  # the silent re-run is over: the step timer starts now
            resuming = False
        event = _run_cell(index, source, namespace, limits.get("cell_seconds", 10), output)
        if report:
            emit.send(event)
    if resuming:
        emit.send({"type": "resumed"})
    skip_calls = set(limits.get("skip_calls", ()))
    strikes = dict(limits.get("strikes") or {})
    seconds = limits.get("call_seconds", 5)
    for position in range(start_call, len(calls)):
        if position in skip_calls:
            continue
        call = calls[position]
        name = call["function"]
        if strikes.get(name, 0) >= FUNCTION_STRIKES:
            emit.send({"type": "call", "position": position, "status": "not_run",
                       "detail": SKIPPED_DETAIL % strikes[name]})
            continue
        header, values = _run_call(position, call, call_args[position], namespace, seconds, output)
        if header["status"] == "timeout":
            strikes[name] = strikes.get(name, 0) + 1
        emit.send(header, values)
    emit.send({"type": "done"})
    emit.flush()
    os._exit(0)


def _timed(seconds, function, *args):
    signal.setitimer(signal.ITIMER_REAL, max(float(seconds), 0.001))
    try:
        return function(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _run_cell(index, source, namespace, seconds, output):
    started = time.perf_counter()
    event = {"type": "cell", "index": index, "status": "ok"}
    try:
        code = compile(transform_cell(source), "<cell %d>" % (index + 1), "exec")
        _timed(seconds, exec, code, namespace)
    except StepTimeout:
        event.update(status="timeout", detail="stopped after %g s" % seconds)
    except SystemExit as error:
        event.update(status="error", detail="the cell called exit(%s); the grader went on" % (error.code,))
    except BaseException as error:  # noqa: BLE001 - any failure of student code is data
        event.update(status="error", detail=_error_summary(error))
    text, capped = output.take()
    event["seconds"] = round(time.perf_counter() - started, 4)
    event["output_capped"] = capped
    if event["status"] != "ok":
        event["output_tail"] = text[-400:]
    return event


def _run_call(position, call, args, namespace, seconds, output):
    """Call the student's function on a fresh copy of ``args``; the arguments after the call are
    sent back only when the call changed them."""
    name = call["function"]
    header = {"type": "call", "position": position, "status": "ok"}
    function = namespace.get(name)
    if name not in namespace:
        header["status"] = "missing"
        return header, None
    if not callable(function):
        header.update(status="not_callable", detail=type(function).__name__)
        return header, None
    fresh = _fresh_copy(args)
    started = time.perf_counter()
    try:
        if call.get("seed") is not None:
            np.random.seed(call["seed"])
        value = _timed(seconds, function, *fresh)
    except StepTimeout:
        header.update(status="timeout", seconds=seconds)
        return header, None
    except BaseException as error:  # noqa: BLE001
        header.update(status="error", detail=_error_summary(error))
        return header, None
    finally:
        output.take()
    header["seconds"] = round(time.perf_counter() - started, 5)
    if _same(args, fresh):
        return header, {"value": value}
    return header, {"value": value, "args_after": fresh}


_ndarray = np.ndarray


def _fresh_copy(value):
    """A deep copy of case inputs (arrays, lists, tuples, dicts and plain scalars)."""
    kind = type(value)
    if kind is _ndarray:
        return value.copy()
    if kind is list:
        return [_fresh_copy(item) for item in value]
    if kind is tuple:
        return tuple(_fresh_copy(item) for item in value)
    if kind is dict:
        return {key: _fresh_copy(item) for key, item in value.items()}
    return value


def _same(original, after):
    """Whether ``after`` (what the student's function was given) still equals ``original``.

    ``original`` is the worker's untouched copy, so this compares trusted-shaped data; anything the
    function replaced with another type counts as changed.
    """
    kind = type(original)
    if type(after) is not kind:
        return False
    if kind is _ndarray:
        return (original.shape == after.shape and original.dtype == after.dtype
                and _ndarray.tobytes(original) == _ndarray.tobytes(after))
    if kind is list or kind is tuple:
        return len(original) == len(after) and all(_same(a, b) for a, b in zip(original, after))
    if kind is dict:
        return (dict.keys(original) == dict.keys(after)
                and all(_same(original[key], dict.__getitem__(after, key)) for key in original))
    return original == after
