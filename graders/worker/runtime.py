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

import ast
import builtins
import hashlib
import io
import linecache
import os
import resource
import signal
import sys
import time
import traceback

import numpy as np

from ..portable.checks import MAX_CHAIN_STEPS, chain_args, parameter_names
from ..portable.sealed import call_bytes, unseal
from ..portable.wire import decode_values, encode_frame, read_frame, split_frame
from .defaults import limit
from .identity import UID_BASE
from .magics import transform_cell
from .supervisor import Strikes

MAX_STEP_OUTPUT = 8 * 1024


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


def _error_summary(error):
    """``NameError: name 'x' is not defined (In [3], line 2: `y = x + 1`)``, without the worker's
    own frames (a cell is named as :func:`graders.notebook.code_cells` names it). For an error
    inside a call, the place is the student's line in the called function
    that made the failing call (the outermost frame in their code), then, when that is elsewhere,
    the line that failed: ``(In [9], line 6: `... = helper(x, cache)`; it failed in
    In [7], line 4: `...`)``."""
    text = "%s: %s" % (type(error).__name__, str(error)[:500])
    if isinstance(error, SyntaxError):
        return "%s: %s (line %s)" % (type(error).__name__, error.msg, error.lineno)
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename in _CELL_FILES]
    if frames:
        text += " (%s" % _place(frames[0])
        if frames[-1] is not frames[0]:
            text += "; it failed in %s" % _place(frames[-1])
        text += ")"
    return text


def _place(frame):
    code = " ".join((frame.line or "").split())
    code = code if len(code) <= 80 else code[:77] + "..."
    where = "%s, line %d" % (frame.filename.strip("<>"), frame.lineno)
    return "%s: `%s`" % (where, code.replace("`", "'")) if code else where


FLUSH_SECONDS = 0.02
FLUSH_STEPS = 500  #: steps in one buffered report at most


class _Emitter:
    """Reports finished steps to the worker as ``{"type": "steps", "steps": [...]}`` frames.

    The values of the calls in one report travel together in one inner frame (the payload), under
    the names ``v<position>`` and ``a<position>``; a step that has values says ``"values": true``.
    Buffered, one report is written every ``FLUSH_SECONDS`` or ``FLUSH_STEPS`` steps at most (its
    header stays far below the worker's cap); unbuffered, one per step.
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
                if "chain" in values:
                    self.values["c%d" % position] = values["chain"]
            self.steps.append(header)
            if (not self.buffered or len(self.steps) >= FLUSH_STEPS
                    or time.monotonic() - self.flushed_at >= FLUSH_SECONDS):
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

    def write_frame(self, header, payload):
        """Write one frame now (after :meth:`flush`: reports stay in order)."""
        self._write(encode_frame(header, payload=payload))

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
    memory = int(limit(limits, "memory_mb")) * 1024 * 1024
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(limit(limits, "cpu_seconds"))
    if cpu:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    fsize = int(limit(limits, "file_mb")) * 1024 * 1024
    if fsize:
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    nofile = int(limit(limits, "open_files"))
    if nofile:
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    processes = int(limit(limits, "processes"))
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
    if hasattr(resource, "RLIMIT_MSGQUEUE"):  # no POSIX message queue outlives the child
        resource.setrlimit(resource.RLIMIT_MSGQUEUE, (0, 0))


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


def run_child(event_fd, cells, calls, plans, start_cell, start_call, report_cells, limits, answer_fd=None):
    """Run a submission from ``start_cell``/``start_call`` on; never returns (``os._exit``).

    Cells before ``start_cell`` that are re-run after a restart are executed silently. With
    ``limits["stand_ins"]``, the helpers named there are answered by the grader on ``answer_fd``
    (see :class:`StandIns`).
    """
    resuming = start_cell > 0 or start_call > 0
    emit = _Emitter(event_fd, buffered=not limits.get("report_each_step"))
    output = CappedOutput(MAX_STEP_OUTPUT)
    sys.stdout = sys.stderr = output
    signal.signal(signal.SIGALRM, _on_alarm)
    namespace = {"__name__": "__main__", "__builtins__": builtins, ASSERT_HOOK: _FAILED_ASSERTS.append}
    skip = set(limits.get("skip_cells", ()))
    for index, source in enumerate(cells):
        if index in skip:
            continue
        report = report_cells and index >= start_cell
        if report and resuming:
            emit.send({"type": "resumed"})  # the silent re-run is over: the step timer starts now
            resuming = False
        event = _run_cell(index, source, namespace, limit(limits, "cell_seconds"), output,
                          cell_label(limits.get("cell_labels"), index))
        if report:
            emit.send(event)
    if resuming:
        emit.send({"type": "resumed"})
    stand_ins = None
    if limits.get("stand_ins") and answer_fd is not None:
        asker = _Asker(emit, answer_fd, limits.get("sealed"), limits.get("helper_params"))
        stand_ins = StandIns(namespace, limits["stand_ins"], asker)
    skip_calls = set(limits.get("skip_calls", ()))
    strikes = Strikes(limits.get("strikes"))  # the worker's count so far; the child adds its own timeouts
    seconds = limit(limits, "call_seconds")
    for position in range(start_call, len(calls)):
        if position in skip_calls:
            continue
        call = calls[position]
        name = call["function"]
        if strikes.out(name):
            emit.send({"type": "call", "position": position, "status": "not_run", "detail": strikes.skipped(name)})
            continue
        header, values = _run_call(position, call, plans[position], namespace, seconds, output, stand_ins)
        if header["status"] == "timeout":
            strikes.add(name)
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


# Asserts in student code do not stop the function: each one that fails is recorded and the call
# goes on, so the values it returns are judged. (The course's own templates hold asserts that fail
# on valid inputs, such as `assert isinstance(db, float)` for a layer of several units.)
ASSERT_HOOK = "__grader_assert_failed__"
MAX_ASSERTS = 5
_FAILED_ASSERTS: list = []


class _AssertRecorder(ast.NodeTransformer):
    """``assert test, message`` becomes ``if not test: <hook>("In [3], line 7")``; inside a
    function ``f``, ``"In [3], line 7, in f"``."""

    def __init__(self, label):
        self.label = label
        self.functions = []  # the names of the functions being visited, innermost last

    def visit_FunctionDef(self, node):
        self.functions.append(node.name)
        try:
            return self.generic_visit(node)
        finally:
            self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Assert(self, node):
        inside = ", in %s" % self.functions[-1][:40] if self.functions else ""
        where = ast.Constant("%s, line %d%s" % (self.label, node.lineno, inside))
        call = ast.Call(ast.Name(ASSERT_HOOK, ast.Load()), [where], [])
        replacement = ast.If(ast.UnaryOp(ast.Not(), node.test), [ast.Expr(call)], [])
        return ast.copy_location(replacement, node)


_CELL_FILES: set = set()  #: the file names the cells were compiled under


def cell_label(labels, index):
    """The cell's name from the run's ``cell_labels`` when they are well formed, else ``cell n``."""
    if isinstance(labels, list) and index < len(labels) and isinstance(labels[index], str):
        return labels[index][:40]
    return "cell %d" % (index + 1)


def _compile_cell(source, label):
    filename = "<%s>" % label
    _CELL_FILES.add(filename)
    # tracebacks then show the student's own lines (the cell is not a file linecache could read)
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    if "assert" not in source:
        return compile(source, filename, "exec")
    tree = _AssertRecorder(label).visit(ast.parse(source, filename))
    return compile(ast.fix_missing_locations(tree), filename, "exec")


def _run_cell(index, source, namespace, seconds, output, label=None):
    started = time.perf_counter()
    event = {"type": "cell", "index": index, "status": "ok"}
    try:
        code = _compile_cell(transform_cell(source), label or "cell %d" % (index + 1))
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


def _run_call(position, call, plan, namespace, seconds, output, stand_ins=None):
    """Call the student's function on fresh copies of its case's inputs (see :class:`CopyPlan`);
    the arguments after the call are sent back only when the call changed them."""
    name = call["function"]
    header = {"type": "call", "position": position, "status": "ok"}
    function = namespace.get(name) if stand_ins is None else stand_ins.function(name)
    if name not in namespace:
        header["status"] = "missing"
        return header, None
    if not callable(function):
        header.update(status="not_callable", detail=type(function).__name__)
        return header, None
    fresh, copies = plan.fresh()
    del _FAILED_ASSERTS[:]
    _CALL[0] = position
    started = time.perf_counter()
    try:
        if call.get("seed") is not None:
            np.random.seed(call["seed"])
        value = _timed(seconds, function, *fresh)
    except StepTimeout:
        header.update(status="timeout", seconds=seconds)
        return header, None
    except BaseException as error:  # noqa: BLE001
        header.update(status="error", detail=_error_summary(error), arg_names=parameter_names(function))
        return header, None
    finally:
        output.take()
    header["seconds"] = round(time.perf_counter() - started, 5)
    if _FAILED_ASSERTS:
        header["asserts_failed"] = [str(where) for where in _FAILED_ASSERTS[:MAX_ASSERTS]]
    changes = plan.changes(fresh, copies)
    values = {"value": value}
    if call.get("then") and _has_other_keys(value, call.get("then_unless_keys") or (), seconds):
        values["chain"] = _run_chain(call, value, namespace, seconds, output)
    if not changes:
        return header, values
    header["changes"] = changes
    header["arg_names"] = parameter_names(function)
    values["args_after"] = fresh
    return header, values


def _has_other_keys(value, keys, seconds):
    """Whether the dict ``value`` holds a key not in ``keys`` (its keys may be the student's own
    objects, whose hashing and comparing is timed like a call)."""
    if not isinstance(value, dict):
        return False
    known = set(keys)
    try:
        return _timed(seconds, lambda: any(key not in known for key in dict.keys(value)))
    except BaseException:  # noqa: BLE001 - keys that cannot even be compared: let the steps show it
        return True


def _run_chain(call, result, namespace, seconds, output):
    """A chain case's next steps (see graders.cases.Case.then): each of the student's functions
    named there, called on copies of the result and of the case's other inputs, with its own time
    limit. Returns ``[status, value or detail]`` per step, for the grader to judge."""
    runs = []
    inputs = call.get("then_args") or []
    for step in call["then"][:MAX_CHAIN_STEPS]:
        function = namespace.get(step.get("function")) if isinstance(step, dict) else None
        if not callable(function):
            runs.append(["missing", None])
            continue
        try:
            args = _fresh(chain_args(step, result, inputs))
            runs.append(["ok", _timed(seconds, function, *args)])
        except StepTimeout:
            runs.append(["timeout", None])
        except BaseException as error:  # noqa: BLE001
            runs.append(["error", _error_summary(error)])
        finally:
            output.take()
    del _FAILED_ASSERTS[:]  # the steps' asserts are their own functions' business
    return runs


# -- stand-ins for failing helpers -------------------------------------------------------------------
#
# When a graded helper fails, the grader runs the functions that call it again with a stand-in in
# the helper's place (see graders.rerun). The stand-in knows no solution: each call it gets is sent
# to the grader as plain data (an "ask" frame on the report pipe), and the child waits for the
# grader's answer on a pipe of its own. The worker forwards both ways and never looks inside.

_CALL = [None]  #: the position of the call running now (each ask says which call it is part of)
MAX_ASK_BYTES = 4 * 1024 * 1024  #: one call's arguments, encoded (the grader answers far less)
MSG_ASK_TOO_LARGE = "the grader's correct {helper} could not be asked: this call's arguments are too large to send"


def _fresh(value):
    if type(value) is np.ndarray:
        return value.copy()
    if type(value) in (list, tuple):
        return type(value)(_fresh(item) for item in value)
    if type(value) is dict:
        return {key: _fresh(item) for key, item in value.items()}
    return value


class _Asker:
    """Sends one stand-in call to the grader and waits for its answer (``(ok, value)``; ``value``
    is the message of an error when ``ok`` is False). Calls asked before are answered from memory,
    and a call the grader foresaw opens its sealed answer instead (see :mod:`graders.portable.sealed`:
    ``sealed`` holds each position's table, ``params`` each helper's parameter names)."""

    def __init__(self, emit, answer_fd, sealed=None, params=None):
        self.emit, self.answers = emit, os.fdopen(answer_fd, "rb", buffering=0)
        self.known = {}
        self.sealed = sealed if type(sealed) is list else []
        self.params = params if type(params) is dict else {}

    def _opened(self, helper, call):
        position = _CALL[0]
        if call is None or not self.sealed or type(position) is not int or not 0 <= position < len(self.sealed):
            return None
        table = self.sealed[position].get(helper) if type(self.sealed[position]) is dict else None
        blob = unseal(table, call) if table else None
        if blob is None:
            return None
        return decode_values(*split_frame(blob))["value"]

    def __call__(self, helper, args, kwargs):
        # a call that binds to the helper's parameters is named by its bytes (one encoding serves
        # the memory and the sealed answers); any other is named by the arguments as asked
        call = call_bytes(self.params.get(helper), args, kwargs)
        payload = _ask_payload(args, kwargs) if call is None else None
        if call is None and payload is None:
            return False, MSG_ASK_TOO_LARGE.format(helper=helper)
        key = (helper, hashlib.sha256(call if call is not None else payload).digest())
        if key not in self.known:
            value = self._opened(helper, call)
            if value is not None:
                self.known[key] = (True, value)
                return self.known[key]
            payload = payload if payload is not None else _ask_payload(args, kwargs)
            if payload is None:
                return False, MSG_ASK_TOO_LARGE.format(helper=helper)
            self.known[key] = self._ask(helper, payload)
        return self.known[key]

    def _ask(self, helper, payload):
        """Send one ask to the grader and wait for its answer: ``(ok, value or message)``."""
        # the step's alarm waits until the answer is read: an ask cut short would leave the
        # answer in the pipe for the next one (the worker's hard limit still holds)
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])
        try:
            self.emit.flush()
            self.emit.write_frame({"type": "ask", "helper": helper, "position": _CALL[0]}, payload)
            frame = read_frame(self.answers)
            if frame is None:
                raise RuntimeError("the grader's answer pipe closed")
            header, blob = frame
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGALRM])
        ok = header.get("ok") is True
        return ok, decode_values(*split_frame(blob))["value"] if ok else str(header.get("message", ""))


def _ask_payload(args, kwargs):
    """A call's arguments as an ask carries them, or None when they are too large to send."""
    try:
        return encode_frame({}, {"args": list(args), "kwargs": dict(kwargs)}, max_bytes=MAX_ASK_BYTES)
    except (ValueError, OverflowError, RecursionError):
        return None


class StandIns:
    """The stand-ins of one run: ``helpers`` maps a function to the helpers its calls get
    stand-ins for; each call of a function sees its own (the others keep the student's)."""

    def __init__(self, namespace, helpers, ask):
        self.namespace = namespace
        self.helpers = {str(name): [str(h) for h in names] for name, names in dict(helpers).items()}
        every = {h for names in self.helpers.values() for h in names}
        self.own = {name: namespace.get(name) for name in every | set(self.helpers) if name in namespace}
        self.stand_ins = {h: _stand_in(h, ask) for h in every}

    def function(self, name):
        """The student's ``name``, with the namespace set up for one call of it."""
        for helper, stand_in in self.stand_ins.items():
            if helper in self.helpers.get(name, ()):
                self.namespace[helper] = stand_in
            elif helper in self.own:
                self.namespace[helper] = self.own[helper]
        return self.own.get(name, self.namespace.get(name))


def _stand_in(helper, ask):
    def stand_in(*args, **kwargs):
        ok, value = ask(helper, args, kwargs)
        if not ok:
            raise TypeError(str(value))
        return _fresh(value)

    stand_in.__name__ = stand_in.__qualname__ = helper
    return stand_in


_ndarray = np.ndarray
_tobytes = np.ndarray.tobytes


class CopyPlan:
    """How to hand one case's inputs to student code: fresh copies of its arrays in the original
    containers, and how to tell afterwards whether the call changed any of them.

    Made once per case in the worker, before any fork: the containers are rebuilt by a function
    generated from the case's (trusted) structure, so each call costs one copy per array and no
    walk. :meth:`changes` is conservative: an array replaced by an equal one counts as a change,
    and then the arguments go back to the grader, which compares them by value.
    """

    __slots__ = ("originals", "_build", "_intact")

    def __init__(self, args):
        self.originals = []
        constants = []

        def walk(value, path):
            """The expression that rebuilds ``value`` from the copies ``c``, and the tests that
            it is still whole where it sits (``path``)."""
            kind = type(value)
            if kind is _ndarray:
                self.originals.append(value)
                index = len(self.originals) - 1
                return "c[%d]" % index, ["%s is c[%d]" % (path, index)]
            if kind in (list, tuple) or (kind is dict and all(type(key) is str for key in value)):
                tests = ["type(%s) is %s" % (path, kind.__name__), "len(%s) == %d" % (path, len(value))]
                parts = []
                if kind is dict:
                    for key, item in value.items():
                        expression, inner = walk(item, "%s[%r]" % (path, key))
                        parts.append("%r: %s" % (key, expression))
                        tests += ["%r in %s" % (key, path)] + inner
                    return "{%s}" % ", ".join(parts), tests
                for index, item in enumerate(value):
                    expression, inner = walk(item, "%s[%d]" % (path, index))
                    parts.append(expression)
                    tests += inner
                if kind is list:
                    return "[%s]" % ", ".join(parts), tests
                return "(%s)" % "".join(part + ", " for part in parts), tests
            constants.append(value)
            return "k[%d]" % (len(constants) - 1), ["%s is k[%d]" % (path, len(constants) - 1)]

        expression, tests = walk(list(args), "v")
        source = "def build(c):\n    return %s\n\ndef intact(v, c):\n    return %s\n" % (
            expression, " and ".join(tests))
        namespace = {"k": constants, "type": type, "len": len, "list": list, "tuple": tuple, "dict": dict}
        exec(compile(source, "<copy plan>", "exec"), namespace)  # noqa: S102 - made from the case's structure
        self._build, self._intact = namespace["build"], namespace["intact"]

    def fresh(self):
        """``(arguments, copies)``: the arguments to call with, and the copies of the arrays in them."""
        copies = [original.copy() for original in self.originals]
        return self._build(copies), copies

    def changes(self, args, copies):
        """How the call changed ``args`` (from :meth:`fresh`): ``[]`` when it left them exactly as
        given; else ``"rebound"`` when a container now holds other objects (``d["key"] = ...``, a
        key added or removed) and ``"in_place"`` when an array it was given now holds other
        values (``-=``, ``+=``, slice assignment)."""
        found = [] if self._intact(args, copies) else ["rebound"]
        for original, copy in zip(self.originals, copies):
            if (copy.shape != original.shape or copy.dtype != original.dtype
                    or _tobytes(copy) != _tobytes(original)):
                found.append("in_place")
                break
        return found
