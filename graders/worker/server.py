"""The warm worker: load NumPy and the cases' inputs once, then fork a child per submission.

Protocol (frames from :mod:`graders.portable.wire`, on stdin/stdout):

- grader -> worker ``{"op": "setup", "calls": [{"function", "seed"}, ...], "limits": {...}}`` with
  the inputs of every call as values ``{"args": [[arg, ...], ...]}``; once per worker.
- grader -> worker ``{"op": "run", "job": token, "cells": [source, ...], "calls": [positions] | null,
  "limits": {...}}``; one per submission.
- worker -> grader one reply per run: ``{"job": token, "cells": [...], "calls": [...],
  "restarts": n, "notes": [...]}``. A call that returned has ``"frame": [offset, length]`` and
  ``"slot": n``: the slice of the reply's blob holding the frame the child wrote with the values of
  the calls it reported together, where this call's are ``v<n>`` (the value) and ``a<n>`` (the
  arguments after the call, only when the call changed them). The worker forwards those frames
  untouched; the grader decodes and validates each one on its own.
- worker -> grader ``{"op": "error", "detail": why}`` instead, to every request, when no student
  code may run here (the unsandboxed root worker could not hide the kit: see ``isolation``).
- worker -> grader ``{"op": "ask", "job", "ask": n, "call": id, "helper": name}`` during a run
  with ``limits["stand_ins"]``: a stand-in's call (see ``runtime.StandIns``), its arguments as the
  child encoded them in the blob; grader -> worker ``{"op": "answer", "job", "ask": n, "ok",
  "message"}`` with the answer's values in the blob, passed to the child untouched. One ask at a
  time per child; the worker never decodes either.

The child reports each finished step on its own pipe; when it dies or hangs, the worker records
the step it was on (crash or timeout) and forks a new child that re-runs the cells silently and
goes on with the next step, so one bad call costs only that call. A function that crashes or hangs
on ``FUNCTION_STRIKES`` cases is not run on its remaining cases, so it cannot use up the restarts
the other functions need. Those rules live in :mod:`.supervisor`, and only there.

Between two children the worker kills everything the last one started and empties the scratch
folders, so nothing (file, process, module) carries over from one submission to the next.

No child is forked from a process that has seen a submission. Right after set-up, before any
request is read, the worker forks the *zygote* (:class:`Zygote`): a process that holds the cases'
inputs and nothing else, never reads a request or a reply, and forks every child. The worker hands
it two descriptors per child, a file holding that child's job (its own cells and steps) and the
write end of the child's report pipe; the child reads its job itself. Freed memory of earlier
submissions (their cells, values and replies) stays in the worker, where no student code runs.
Student code may signal the zygote (in bubblewrap both run as the one user the sandbox maps).
A notebook that stops it gets no results, only ``"refused": why``: the zygote dies at once, but its
child may run on for a few steps, so which step did it cannot be told the same way every time.
The worker then retires (``"retire": true``; it forks no zygote from its own memory again) and
the grader starts a fresh worker for the next notebook.
"""

import argparse
import gc
import json
import os
import select
import signal
import socket
import struct
import sys
import tempfile
import time

from ..portable import wire
from . import standins
from .defaults import limit
from .identity import become_user, worker_uid
from .isolation import (
    PR_SET_CHILD_SUBREAPER,
    PR_SET_DUMPABLE,
    PR_SET_PDEATHSIG,
    IsolationFailed,
    clear_user_keyrings,
    empty,
    ipc_objects,
    isolate_unsandboxed,
    kill_all_except,
    kill_descendants,
    prctl,
    private_folder,
    quietly,
    remove_ipc_objects,
    sweep_shared_folders,
)
from .runtime import CopyPlan, apply_limits, run_child
from .supervisor import AGAIN, ZYGOTE_GONE, Supervisor

GRACE_SECONDS = 1.0
MAX_CHILD_FRAME_BYTES = 64 * 1024 * 1024  #: one step's report (honest ones are a few kB)
MAX_CHILD_BYTES = 128 * 1024 * 1024  #: everything one child may send
MAX_CHILD_HEADER_BYTES = 4 * 1024 * 1024  #: the JSON of one report (500 steps take some 100 kB)
MAX_CELL_REPORTS = 200  #: cells reported one by one; the rest are counted by status
MAX_ASKS = 2_000  #: calls of a stand-in one child may send to the grader (one answer each)
MAX_ASK_BYTES = 4 * 1024 * 1024  #: one such call's arguments (runtime.MAX_ASK_BYTES)
MAX_CHILD_FRAMES = 20_000  #: reports one child may send (an honest one sends one per cell and call)
MAX_DETAIL_CHARS = 1000
MSG_MALFORMED = "it returned something that could not be sent back as plain data"
MSG_ZYGOTE_GONE = ("it stopped one of the grader's own processes (os.kill of its parent process, or of every "
                   "process it could signal), so none of its results can be trusted")
ZYGOTE_SECONDS = 10.0  #: how long the zygote may take to fork a child or report one's end
_RUNTIME_FAILED = 70  #: exit status of a child whose runtime (not student code) raised


class Worker:
    def __init__(self, stdin, stdout, scratch, child_user=None, refusal=None, sweep=()):
        self.stdin = stdin
        self.stdout = stdout
        self.calls = []
        self.plans = []  #: one CopyPlan per case
        self.limits = {}
        self.scratch = list(scratch)  #: folders emptied after every child; the first holds the workdir
        self.child_user = child_user  #: None: the child keeps the worker's user (a sandbox's, or not root)
        self.child_uid = child_user  #: the user of the current notebook's children (a fresh one each)
        self.notebooks = 0
        self.sweep = tuple(sweep)  #: shared folders to clear of the child's files (root, no namespace)
        self.ipc_before = {}  #: System V IPC objects there before any child ran
        self.clear_keyrings = False  #: empty the user's keyrings after each child (its user is ours alone)
        self.in_pid_namespace = os.getpid() == 1
        self.refusal = refusal  #: why no student code may run here (answered to every request), or None
        self.zygote = None  #: forks every child (see :class:`Zygote`); made at set-up
        self.job = None  #: the token of the run in progress
        self.ids = []  #: the case ids of the run's calls, by position
        self.asks_sent = 0  #: stand-in calls sent to the grader so far (each answer names its ask)

    def serve(self):
        while True:
            frame = wire.read_frame(self.stdin)
            if frame is None:
                return
            header, blob = frame
            op = header.get("op")
            if self.refusal is not None and op in ("setup", "run"):
                self._send({"op": "error", "detail": self.refusal})
            elif op == "setup" and self.zygote is not None:
                # a second set-up would fork a zygote from a process that has seen submissions
                self._send({"op": "error", "detail": "set up already"})
            elif op == "run" and self.zygote is None:
                self._send({"op": "error", "detail": "run before set-up"})
            elif op == "setup":
                self.load_setup(header, blob)
                self.zygote = Zygote.fork(self._start_child, (self.stdin.fileno(), self.stdout.fileno()))
                self.ipc_before = ipc_objects()
                self._send({"op": "ready", "pid": os.getpid()})
            elif op == "run":
                try:
                    reply = self.run(header)
                except GraderGone:
                    return  # the child and all it started are dead already (see _run_child)
                self._send_raw(reply)
                if not self.zygote.alive:
                    return  # retire: the grader starts a fresh worker
            elif op == "ping":
                self._send({"op": "pong"})
            elif op == "answer":
                pass  # to an ask of a child that is gone (it hung or crashed meanwhile)
            else:
                self._send({"op": "error", "detail": "unknown op %r" % (op,)})

    def load_setup(self, header, blob):
        """Take the set-up frame: the calls, the limits and every case's inputs (as copy plans)."""
        self.calls = header["calls"]
        self.limits = header.get("limits", {})
        inputs = wire.decode_values(header, blob)
        self.plans = [CopyPlan(args) for args in inputs["args"]]
        chained = inputs.get("then_args")
        if type(chained) is list and len(chained) == len(self.calls):
            for call, then_args in zip(self.calls, chained):
                if type(call) is dict and call.get("then") and type(then_args) is list:
                    call["then_args"] = then_args  # a chain case's other inputs (runtime._run_chain)
        # objects that exist now are never collected: the children's garbage collector then
        # leaves their pages alone instead of copying them
        gc.collect()
        gc.freeze()

    def _send(self, header):
        self._send_raw(wire.encode_frame(header))

    def _send_raw(self, data):
        self.stdout.write(data)
        self.stdout.flush()

    # -- one submission -------------------------------------------------------------------------

    def run(self, request):
        self.job = request.get("job")
        limits = dict(self.limits)
        limits.update(request.get("limits") or {})
        cells = request.get("cells", [])
        positions = request.get("calls")
        calls = self.calls if positions is None else [self.calls[p] for p in positions]
        ids = list(range(len(self.calls))) if positions is None else list(positions)
        self.ids = ids
        reply = {"job": request.get("job"), "cells": [], "calls": [], "restarts": 0, "notes": []}
        if self.child_user is not None:
            # a user of its own for each notebook: nothing it owns (a keyring, a file it hid) is
            # the next notebook's
            self.notebooks += 1
            self.child_uid = worker_uid(os.getpid(), self.notebooks)
        blobs, offset, last_blob, last_frame = [], 0, None, None
        run = Supervisor(len(cells), calls, ids, limit(limits, "call_seconds"), limit(limits, "notebook_seconds"))
        while True:
            outcome = self._run_child(cells, positions, run.next_cell, run.next_call,
                                      dict(limits, **run.child_limits()), run.deadline)
            for header, blob in outcome["events"]:
                if not _well_formed(header, len(cells), len(calls)) or not run.accept(header):
                    continue  # a frame for any step but the next one was forged by student code
                if header.get("type") == "cell":
                    self._report_cell(reply, _clean_cell(header))
                    continue
                entry = _clean_call(header)
                entry["id"] = ids[header["position"]]
                if blob:
                    if len(blob) > MAX_CHILD_FRAME_BYTES:
                        entry.update(status="crashed", detail=MSG_MALFORMED)
                    else:
                        if blob is not last_blob:  # calls reported together share one frame
                            blobs.append(blob)
                            last_blob, last_frame = blob, [offset, len(blob)]
                            offset += len(blob)
                        entry["frame"] = last_frame
                        entry["slot"] = header["position"]
                reply["calls"].append(entry)
            action, blamed_cells, blamed_calls = run.after_child(
                outcome["finished"], outcome.get("why"), outcome.get("detail"), self.zygote.alive)
            reply["restarts"] = run.restarts
            if action == ZYGOTE_GONE:
                # the worker retires: it forks no zygote from its own memory again
                reply = {"job": request.get("job"), "cells": [], "calls": [], "restarts": run.restarts,
                         "notes": [], "refused": MSG_ZYGOTE_GONE, "retire": True}
                blobs = []
                break
            for entry in blamed_cells:
                self._report_cell(reply, entry)
            reply["calls"].extend(blamed_calls)
            reply["notes"].extend(run.notes[len(reply["notes"]):])
            if action != AGAIN:
                break
        text = json.dumps(reply, separators=(",", ":"), check_circular=False).encode("utf-8")
        blob = b"".join(blobs)
        return wire.frame_head(len(text), len(blob)) + text + blob

    @staticmethod
    def _report_cell(reply, entry):
        """Keep the first ``MAX_CELL_REPORTS`` cells that did not just run fine; count the rest by
        status (``"cells_omitted"``), so a notebook of a million failing cells makes a small reply."""
        if entry.get("status") == "ok" and not entry.get("output_capped"):
            return  # (the grader only looks at cells that failed or printed too much)
        if len(reply["cells"]) < MAX_CELL_REPORTS:
            reply["cells"].append(entry)
            return
        omitted = reply.setdefault("cells_omitted", {})
        status = entry.get("status") if entry.get("status") in ("error", "timeout", "crashed") else "other"
        omitted[status] = omitted.get(status, 0) + 1

    def _start_child(self, job_fd, event_fd, answer_fd=None):
        """In a child of the zygote: read this child's job, then run it (never returns)."""
        job = _read_job(job_fd)
        os.close(job_fd)
        positions, limits = job["calls"], job["limits"]
        calls = self.calls if positions is None else [self.calls[p] for p in positions]
        plans = self.plans if positions is None else [self.plans[p] for p in positions]
        _become_child(self._workdir(), event_fd if answer_fd is None else (event_fd, answer_fd))
        if job.get("uid") is not None:
            become_user(job["uid"])
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # after the switch of user, which clears it
        apply_limits(limits)
        run_child(event_fd, job["cells"], calls, plans, job["start_cell"], job["start_call"], True, limits,
                  answer_fd)

    def _workdir(self):
        return os.path.join(self.scratch[0], "submission")

    def _run_child(self, cells, positions, start_cell, start_call, limits, deadline):
        read_fd, write_fd = os.pipe()
        # a run with stand-ins: the child's asks go to the grader, its answers come back on a pipe
        # of their own (written without blocking, so a child that stops reading cannot stall us)
        answer_read, answer_write = os.pipe() if limits.get("stand_ins") else (None, None)
        if answer_write is not None:
            os.set_blocking(answer_write, False)
        asks = Asks(self, answer_write)
        workdir = self._workdir()
        os.makedirs(workdir, exist_ok=True)
        if self.child_uid is not None:
            os.chown(workdir, self.child_uid, self.child_uid)
        os.chmod(workdir, 0o700)
        job_fd = _job_file({"cells": cells, "calls": positions, "start_cell": start_cell,
                            "start_call": start_call, "limits": limits, "uid": self.child_uid}, self.scratch[0])
        try:
            pid = self.zygote.spawn(job_fd, write_fd, answer_read)
        finally:
            os.close(job_fd)
            os.close(write_fd)
            if answer_read is not None:
                os.close(answer_read)
        if pid is None:
            os.close(read_fd)
            asks.close()
            self._clean_up()
            return {"events": [], "finished": False, "why": "crashed", "detail": MSG_ZYGOTE_GONE}
        events, finished, why, detail = [], False, "crashed", ""
        buffer = bytearray()
        received = frames = 0
        skipped = set(limits.get("skip_cells", ()))
        last_cell = max((i for i in range(start_cell, len(cells)) if i not in skipped), default=-1)
        reached = {"cell": start_cell - 1, "call": start_call - 1}
        # cells re-run silently after a restart get their own allowance, until the child says
        # "resumed"; then each step has its limit from the end of the step before
        silent = sum(1 for i in range(start_cell) if i not in skipped)
        allowance = silent * limit(limits, "cell_seconds")
        step_started = time.monotonic()
        try:
            while True:
                in_cells = reached["cell"] < last_cell
                step_limit = limit(limits, "cell_seconds" if in_cells else "call_seconds")
                wait = min(step_started + allowance + step_limit + GRACE_SECONDS, deadline) - time.monotonic()
                watched = [read_fd] if self.stdin is None else [read_fd, self.stdin]
                if wait > 0:
                    ready, writable, _ = select.select(watched, asks.writers(), [], max(wait, 0))
                else:
                    ready, writable = [], []
                if writable:
                    asks.write()
                if self.stdin is not None and self.stdin in ready:
                    self.stdin.drain()
                    asks.take(self.stdin.take_answers(self.job))
                if (self.stdin is not None and self.stdin in ready or writable) and read_fd not in ready:
                    continue
                elif not ready:
                    why, detail = "timeout", "stopped after %g s (hard limit)" % step_limit
                    break
                chunk = os.read(read_fd, 1 << 20)
                if not chunk:
                    break
                received += len(chunk)
                if received > MAX_CHILD_BYTES:
                    raise ValueError("more than %d MB of reports" % (MAX_CHILD_BYTES >> 20))
                buffer += chunk
                position = 0
                while True:
                    parsed = _split_frame(buffer, position)
                    if parsed is None:
                        break
                    header, blob, position = parsed
                    frames += 1
                    if frames > MAX_CHILD_FRAMES:
                        raise ValueError("more than %d reports" % MAX_CHILD_FRAMES)
                    kind = header.get("type")
                    if kind == "ask":
                        asks.forward(header, blob)
                        continue
                    if kind == "done":
                        finished = True
                        break
                    if kind == "resumed" and allowance:
                        allowance, step_started = 0.0, time.monotonic()
                    elif kind == "steps":
                        # finished steps, in order; the calls' values share one frame (the blob)
                        steps = header.get("steps")
                        if type(steps) is not list or len(steps) > MAX_CHILD_FRAMES:
                            raise ValueError("a malformed list of steps")
                        for step_header in steps:
                            if type(step_header) is not dict:
                                raise ValueError("a malformed step")
                            step_kind = step_header.get("type")
                            if step_kind not in ("cell", "call"):
                                continue
                            events.append((step_header, blob if step_header.get("values") is True else b""))
                            step = step_header.get("index" if step_kind == "cell" else "position")
                            # only progress restarts the step timer, so forged reports cannot stretch it
                            if type(step) is int and step > reached[step_kind]:
                                reached[step_kind] = step
                                allowance, step_started = 0.0, time.monotonic()
                del buffer[:position]
                if finished:
                    break
        except (ValueError, RecursionError, UnicodeDecodeError) as error:
            why, detail = "crashed", "sent malformed data (%s)" % (str(error)[:80] or type(error).__name__)
        finally:
            os.close(read_fd)
            asks.close()
            status = self._reap(pid)
            self._clean_up()
        if not finished and why == "crashed" and not detail:
            detail = _describe_status(status)
        return {"events": events, "finished": finished, "why": why, "detail": detail}

    def _reap(self, pid):
        """Kill the child and everything it started; return the child's wait status (0 when the
        zygote, which reaps it, is gone: the notebook is then refused, see :meth:`run`)."""
        quietly(os.kill, pid, signal.SIGKILL)
        quietly(os.killpg, pid, signal.SIGKILL)
        status = self.zygote.wait(pid)
        keep = (self.zygote.pid,) if self.zygote.alive else ()
        if self.in_pid_namespace:
            # PID 1 of the sandbox: every other process in it but the zygote descends from the child
            kill_all_except(keep)
        else:
            kill_descendants(keep)
        return 0 if status is None else status

    def _clean_up(self):
        for folder in self.scratch:
            empty(folder)
        uid = self.child_uid if self.child_uid is not None else os.getuid()
        remove_ipc_objects(uid, self.ipc_before)
        if self.clear_keyrings:
            clear_user_keyrings()
        if self.sweep:
            sweep_shared_folders(uid, self.sweep)


class Asks:
    """The stand-ins' calls of one child (see ``runtime.StandIns``): each ``ask`` frame goes to the
    grader, which answers with a frame that goes back to the child untouched.

    The child is untrusted: one ask at a time (a second before its answer was read is malformed),
    ``MAX_ASKS`` per child, ``MAX_ASK_BYTES`` each; an ask in a run without stand-ins is malformed.
    """

    def __init__(self, worker, fd):
        self.worker, self.fd = worker, fd
        self.waiting = False  #: an ask was forwarded and its answer has not been written yet
        self.count = 0
        self.out = bytearray()  #: answer bytes the child has not read yet

    def forward(self, header, blob):
        helper = header.get("helper")
        if self.fd is None or self.waiting or self.out:
            raise ValueError("asked the grader out of turn")
        if type(helper) is not str or len(helper) > 100 or len(blob) > MAX_ASK_BYTES:
            raise ValueError("a malformed ask")
        self.count += 1
        if self.count > MAX_ASKS:
            raise ValueError("more than %d calls of a stand-in" % MAX_ASKS)
        self.waiting = True
        self.worker.asks_sent += 1
        position = header.get("position")
        ids = self.worker.ids
        call = ids[position] if type(position) is int and 0 <= position < len(ids) else None
        self.worker._send_raw(wire.encode_frame({"op": "ask", "job": self.worker.job, "ask": self.worker.asks_sent,
                                                 "call": call, "helper": helper}, payload=blob))

    def take(self, answers):
        for header, data in answers:
            # an answer to an ask of a child that is gone is not this child's
            if self.waiting and header.get("ask") == self.worker.asks_sent:
                self.waiting = False
                self.out += data
        if self.out:
            self.write()

    def writers(self):
        return [self.fd] if self.out else []

    def write(self):
        try:
            written = os.write(self.fd, self.out)
        except BlockingIOError:
            return
        except OSError:  # the child is gone: its outcome says how
            written = len(self.out)
        del self.out[:written]

    def close(self):
        if self.fd is not None:
            quietly(os.close, self.fd)
            self.fd = None


class Zygote:
    """The process that forks every child (see the module's docstring).

    It holds the cases' inputs and copy plans and nothing else, and only waits for ``(job file,
    report pipe)`` pairs on a socket of its own, forks a child for each, says its pid, reaps it and
    says its wait status. It reads no job: ``start_child(job_fd, event_fd)`` runs in the child.
    It is forked once, at set-up (:meth:`fork`). One that student code stopped is never replaced
    by another fork of the worker, which has seen submissions by then: the worker retires.
    """

    _MESSAGE = struct.Struct("=ci")

    def __init__(self, pid, channel):
        self.pid = pid
        self.socket = channel
        self.alive = True

    @classmethod
    def fork(cls, start_child, close_fds=()):
        """Fork the zygote from this process (right after set-up: it has seen no submission)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pid = os.fork()
        if pid == 0:
            try:
                ours.close()
                for fd in close_fds:
                    quietly(os.close, fd)
                prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
                prctl(PR_SET_CHILD_SUBREAPER, 0)
                _zygote_loop(theirs, start_child, _ignore_signals())
            finally:
                os._exit(0)
        theirs.close()
        return cls(pid, ours)

    def spawn(self, job_fd, event_fd, answer_fd=None):
        """Fork a child that runs the job in ``job_fd`` and reports on ``event_fd`` (and reads the
        grader's answers to its stand-ins' calls on ``answer_fd``); its pid, or None when the
        zygote is gone."""
        fds = [job_fd, event_fd] if answer_fd is None else [job_fd, event_fd, answer_fd]
        try:
            socket.send_fds(self.socket, [b"F"], fds)
        except OSError:
            return self._gone()
        return self._expect(b"P")

    def wait(self, pid):
        """The wait status of the child ``pid`` (already killed), or None when the zygote is gone."""
        if not self.alive:
            return None
        return self._expect(b"S")

    def _expect(self, kind, seconds=ZYGOTE_SECONDS):
        data = b""
        deadline = time.monotonic() + seconds
        while len(data) < self._MESSAGE.size:
            wait = deadline - time.monotonic()
            if wait <= 0:
                return self._gone()
            if not select.select([self.socket], [], [], min(wait, 0.05))[0]:
                if self._stopped():
                    return self._gone()
                continue
            try:
                chunk = self.socket.recv(self._MESSAGE.size - len(data))
            except OSError:
                chunk = b""
            if not chunk:
                return self._gone()
            data += chunk
        got, value = self._MESSAGE.unpack(data)
        return value if got == kind else self._gone()

    def _stopped(self):
        """Has the zygote died or been stopped (SIGSTOP from student code)?"""
        try:
            return os.waitpid(self.pid, os.WNOHANG | os.WUNTRACED)[0] != 0
        except ChildProcessError:
            return True

    def _gone(self):
        """The zygote died or stopped answering: make sure it is dead; it forks nothing more."""
        if self.alive:
            self.alive = False
            quietly(os.kill, self.pid, signal.SIGKILL)
            quietly(os.waitpid, self.pid, 0)
            self.socket.close()
        return None


#: signals the zygote ignores (student code may send them); only SIGKILL and SIGSTOP reach it
_IGNORED = tuple(number for number in signal.valid_signals()
                 if number not in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD) and number < signal.SIGRTMIN)


def _ignore_signals():
    """Ignore every catchable signal but SIGCHLD; return the dispositions the children get back."""
    before = {}
    for number in _IGNORED:
        try:
            before[number] = signal.signal(number, signal.SIG_IGN)
        except (OSError, ValueError):
            pass
    return before


def _zygote_loop(channel, start_child, dispositions):
    message = Zygote._MESSAGE
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(channel, 16, 4)
        except OSError:
            return
        if not data:
            return
        if len(fds) not in (2, 3):
            for fd in fds:
                quietly(os.close, fd)
            continue
        pid = os.fork()
        if pid == 0:  # the child: never returns
            try:
                channel.close()
                for number, handler in dispositions.items():
                    signal.signal(number, handler if handler is not None else signal.SIG_DFL)
                start_child(*fds)
            finally:
                os._exit(_RUNTIME_FAILED)
        for fd in fds:
            os.close(fd)
        try:
            channel.sendall(message.pack(b"P", pid))
            while True:
                try:
                    status = os.waitpid(pid, 0)[1]
                    break
                except InterruptedError:
                    continue
                except ChildProcessError:
                    status = 0
                    break
            channel.sendall(message.pack(b"S", status))
        except OSError:
            return


def _job_file(job, folder):
    """A file holding ``job`` as JSON, open for reading at its start (in memory where possible)."""
    data = json.dumps(job, separators=(",", ":")).encode("utf-8")
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("job", os.MFD_CLOEXEC)
    else:  # macOS: an unlinked file in the worker's own folder
        handle, path = tempfile.mkstemp(dir=folder)
        os.unlink(path)
        fd = handle
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _read_job(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    return json.loads(b"".join(chunks).decode("utf-8"))


def _become_child(workdir, keep):
    """Detach the child from the worker's pipes (all but ``keep``: one descriptor or a tuple) and
    put it in its own process group."""
    os.setpgid(0, 0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    low = 3
    for fd in sorted(keep if isinstance(keep, tuple) else (keep,)):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 1 << 16)
    os.chdir(workdir)
    os.environ["TMPDIR"] = workdir
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _split_frame(buffer, start):
    """The child's frame at ``start`` of ``buffer``: ``(header, blob, end)``, or None while incomplete."""
    found = wire.frame_at(buffer, start, MAX_CHILD_FRAME_BYTES, MAX_CHILD_HEADER_BYTES)
    if found is None:
        return None
    text, blob, end = found
    return wire.parse_header(text), bytes(blob), end


def _well_formed(header, cell_count, call_count):
    """Child frames are untrusted: keep only events whose fields have the expected types."""
    kind = header.get("type")
    if kind == "cell":
        index = header.get("index")
        return type(index) is int and 0 <= index < cell_count and type(header.get("status")) is str
    if kind == "call":
        position = header.get("position")
        return type(position) is int and 0 <= position < call_count and type(header.get("status")) is str
    return False


#: the type of every field a child's report may carry; any other field, or value, is dropped
_FIELD_TYPES = {"status": str, "detail": str, "output_tail": str, "output_capped": bool, "seconds": float}


def _clean_fields(header, keep):
    """Copy the ``keep`` fields of an untrusted header that have their expected type (see
    ``_FIELD_TYPES``): strings cut short, seconds a finite number, never a bool or an object."""
    clean = {}
    for key in keep:
        value, wanted = header.get(key), _FIELD_TYPES[key]
        if wanted is str and type(value) is str:
            clean[key] = value[:MAX_DETAIL_CHARS]
        elif wanted is bool and type(value) is bool:
            clean[key] = value
        elif wanted is float and type(value) in (int, float) and 0 <= value < 1e9:
            clean[key] = float(value)
    return clean


def _clean_cell(header):
    clean = _clean_fields(header, ("status", "detail", "seconds", "output_capped", "output_tail"))
    clean["index"] = header["index"]
    return clean


CHANGE_WORDS = ("rebound", "in_place")  #: how a call may have changed its arguments (runtime.CopyPlan)


def _clean_call(header):
    clean = _clean_fields(header, ("status", "detail", "seconds"))
    changes, names = header.get("changes"), header.get("arg_names")
    if type(changes) is list:
        clean["changes"] = [word for word in CHANGE_WORDS if word in changes]
    if type(names) is list:
        clean["arg_names"] = [name[:40] for name in names[:16] if type(name) is str]
    asserts = header.get("asserts_failed")
    if type(asserts) is list:
        clean["asserts_failed"] = [where[:90] for where in asserts[:5] if type(where) is str]
    return clean


def _describe_status(status):
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "signal %d" % number
        reason = {"SIGSEGV": "a segmentation fault", "SIGKILL": "killed, likely over the memory limit",
                  "SIGXCPU": "over the CPU-time limit", "SIGXFSZ": "over the file-size limit"}.get(name, name)
        return "the process died: %s" % reason
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == _RUNTIME_FAILED:
        return "the grader's code in that process failed: this step broke it (a patched builtin or module, " \
               "an exception that cannot be printed, ...)"
    if os.WIFEXITED(status):
        return "the process exited early with status %d (os._exit or a fatal error)" % os.WEXITSTATUS(status)
    return "the process ended unexpectedly"


def main(argv=None):
    parser = argparse.ArgumentParser(description="grading worker (runs student code)")
    parser.add_argument("--helpers", default=None, help="path of the assignment's helpers file (NumPy only)")
    parser.add_argument("--helper-module", action="append", default=[],
                        help="a module name student code imports the helpers under (repeatable)")
    parser.add_argument("--standin", action="append", default=[],
                        help="a module of the course to stand in for with a harmless no-op (repeatable)")
    parser.add_argument("--workdir", default=None, help="private scratch folder (the sandbox's /tmp)")
    parser.add_argument("--own-user", action="store_true",
                        help="run student code as a user id of this worker's own (the worker is root, unsandboxed)")
    parser.add_argument("--kit-copy", action="append", default=[],
                        help="another folder holding the solution or cases, to hide (with --own-user)")
    parser.add_argument("--own-sandbox-user", action="store_true",
                        help="the sandbox's user belongs to this worker alone (its keyrings are cleared "
                             "after each child)")
    parser.add_argument("--hide", action="append", default=[],
                        help="a folder student code must not read at all (with --own-user)")
    parser.add_argument("--disk-mb", type=int, default=64, help="size of the private /tmp (with --child-user)")
    options = parser.parse_args(argv)
    prctl(PR_SET_DUMPABLE, 0)  # same-user processes may not read our memory or descriptors
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as PID 1, no signal from a child can reach us
    if os.getpid() == 1:
        # bubblewrap's --die-with-parent does not survive its switch of user with --userns: without
        # this, a sandbox whose bubblewrap was killed would run on
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    else:
        prctl(PR_SET_CHILD_SUBREAPER, 1)  # orphans of a child come back to us, to be killed
    standins.install(options.helpers, options.helper_module, options.standin)
    child_user, refusal, sweep = None, None, ()
    if options.workdir:  # the sandbox's private /tmp
        scratch = [options.workdir]
    elif options.own_user:
        try:
            scratch, child_user, sweep = isolate_unsandboxed(options.disk_mb, options.kit_copy, options.hide)
        except IsolationFailed as error:
            scratch, refusal = [private_folder()], str(error)
    else:
        scratch = [private_folder()]
    stdin = os.fdopen(os.dup(0), "rb", buffering=0)
    stdout = os.fdopen(os.dup(1), "wb", buffering=1 << 16)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    try:
        worker = Worker(_Reader(stdin), stdout, scratch, child_user, refusal, sweep)
        # a user of a root worker's own (the fallback's, or bubblewrap's): nobody else's keys in it
        worker.clear_keyrings = options.own_sandbox_user
        worker.serve()
    finally:
        if not options.workdir and scratch[0] != "/tmp":
            empty(scratch[0])
            quietly(os.rmdir, scratch[0])


class GraderGone(Exception):
    """The grader's end of the request pipe closed: it died (perhaps by SIGKILL), so stop."""


class _Reader:
    """Reads on the unbuffered request pipe, and a watch on it while a child runs (:meth:`drain`)."""

    def __init__(self, raw):
        self.raw = raw
        self.pending = bytearray()  #: request bytes read early by drain()

    def read(self, size):
        if self.pending:
            chunk = bytes(self.pending[:size])
            del self.pending[:size]
            return chunk
        return self.raw.read(size)

    def fileno(self):
        return self.raw.fileno()

    def drain(self):
        """The pipe is readable: keep what the grader sent ahead (the next request), or raise
        :class:`GraderGone` at its end. The kernel's parent-death signal does not reach a sandbox
        whose bubblewrap lost the right to signal it, so this is how the worker learns."""
        chunk = self.raw.read(1 << 16)
        if not chunk:
            raise GraderGone()
        if len(self.pending) + len(chunk) > wire.MAX_FRAME_BYTES + (1 << 16):
            raise GraderGone()  # (no honest grader sends that much ahead)
        self.pending += chunk

    def take_answers(self, job):
        """Take the grader's answers to ``job``'s asks out of what it sent ahead: ``(header,
        frame)`` pairs, the frame as bytes, in order. Frames of other kinds stay for :meth:`read`;
        answers to other jobs are dropped."""
        answers, kept, start = [], bytearray(), 0
        while True:
            found = wire.frame_at(self.pending, start, max_bytes=None)
            if found is None:
                break
            text, _, end = found
            frame = bytes(self.pending[start:end])
            header = None
            if len(text) < 4096:  # an answer's header is short; a run request may be long
                try:
                    header = wire.parse_header(text)
                except ValueError:
                    header = None
            if isinstance(header, dict) and header.get("op") == "answer":
                if header.get("job") == job:
                    answers.append((header, frame))
            else:
                kept += frame
            start = end
        if answers or start:
            self.pending[:] = kept + self.pending[start:]
        return answers


if __name__ == "__main__":
    sys.exit(main())
