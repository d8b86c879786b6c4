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

The child reports each finished step on its own pipe; when it dies or hangs, the worker records
the step it was on (crash or timeout) and forks a new child that re-runs the cells silently and
goes on with the next step, so one bad call costs only that call. A function that crashes or hangs
on ``FUNCTION_STRIKES`` cases is not run on its remaining cases, so it cannot use up the restarts
the other functions need.

Between two children the worker kills everything the last one started and empties the scratch
folders, so nothing (file, process, module) carries over from one submission to the next.
"""

import argparse
import gc
import json
import os
import select
import signal
import sys
import time

from ..portable import wire
from . import standins
from .identity import become_user
from .isolation import (
    PR_SET_CHILD_SUBREAPER,
    PR_SET_DUMPABLE,
    PR_SET_PDEATHSIG,
    IsolationFailed,
    empty,
    isolate_unsandboxed,
    kill_descendants,
    prctl,
    private_folder,
    quietly,
    reap_everything,
)
from .runtime import FUNCTION_STRIKES, SKIPPED_DETAIL, CopyPlan, apply_limits, run_child

MAX_RESTARTS = 24
GRACE_SECONDS = 1.0
MAX_CHILD_FRAME_BYTES = 64 * 1024 * 1024  #: one step's report (honest ones are a few kB)
MAX_CHILD_BYTES = 128 * 1024 * 1024  #: everything one child may send
MAX_CHILD_FRAMES = 20_000  #: reports one child may send (an honest one sends one per cell and call)
MAX_DETAIL_CHARS = 1000
MSG_MALFORMED = "it returned something that could not be sent back as plain data"
MSG_REPORT_ENDED = "its report to the grader ended before this step did (it wrote to the grader's channel?)"
_RUNTIME_FAILED = 70  #: exit status of a child whose runtime (not student code) raised


class Worker:
    def __init__(self, stdin, stdout, scratch, child_user=None, refusal=None):
        self.stdin = stdin
        self.stdout = stdout
        self.calls = []
        self.plans = []  #: one CopyPlan per case
        self.limits = {}
        self.scratch = list(scratch)  #: folders emptied after every child; the first holds the workdir
        self.child_user = child_user
        self.in_pid_namespace = os.getpid() == 1
        self.refusal = refusal  #: why no student code may run here (answered to every request), or None

    def serve(self):
        while True:
            frame = wire.read_frame(self.stdin)
            if frame is None:
                return
            header, blob = frame
            op = header.get("op")
            if self.refusal is not None and op in ("setup", "run"):
                self._send({"op": "error", "detail": self.refusal})
            elif op == "setup":
                self.calls = header["calls"]
                self.limits = header.get("limits", {})
                self.plans = [CopyPlan(args) for args in wire.decode_values(header, blob)["args"]]
                # objects that exist now are never collected: the children's garbage collector
                # then leaves their pages alone instead of copying them
                gc.collect()
                gc.freeze()


                self._send({"op": "ready", "pid": os.getpid()})
            elif op == "run":
                self._send_raw(self.run(header))
            elif op == "ping":
                self._send({"op": "pong"})
            else:
                self._send({"op": "error", "detail": "unknown op %r" % (op,)})

    def _send(self, header):
        self._send_raw(wire.encode_frame(header))

    def _send_raw(self, data):
        self.stdout.write(data)
        self.stdout.flush()

    # -- one submission -------------------------------------------------------------------------

    def run(self, request):
        limits = dict(self.limits)
        limits.update(request.get("limits") or {})
        cells = request.get("cells", [])
        positions = request.get("calls")
        calls = self.calls if positions is None else [self.calls[p] for p in positions]
        plans = self.plans if positions is None else [self.plans[p] for p in positions]
        ids = list(range(len(self.calls))) if positions is None else list(positions)
        reply = {"job": request.get("job"), "cells": [], "calls": [], "restarts": 0, "notes": []}
        blobs, offset, last_blob, last_frame = [], 0, None, None
        deadline = time.monotonic() + float(limits.get("notebook_seconds", 60))
        skip_cells, skip_calls, strikes = set(), set(), {}

        def next_unskipped(position):
            while position < len(calls) and position in skip_calls:
                position += 1
            return position

        next_cell, next_call = 0, next_unskipped(0)
        each_step = False  # the first child batches its reports; any child after it reports each step
        while True:
            child_limits = dict(limits, skip_cells=sorted(skip_cells), skip_calls=sorted(skip_calls),
                                strikes=dict(strikes), report_each_step=each_step)
            outcome = self._run_child(cells, calls, plans, next_cell, next_call, child_limits, deadline)
            for header, blob in outcome["events"]:
                # steps are reported strictly in order: cells first, then calls; a frame for any
                # other step was forged by student code and is dropped
                if not _well_formed(header, len(cells), len(calls)):
                    continue
                if header.get("type") == "cell":
                    if header["index"] != next_cell:
                        continue
                    reply["cells"].append(_clean_cell(header))
                    next_cell = header["index"] + 1
                elif header.get("type") == "call":
                    position = header.get("position")
                    if position != next_call or next_cell < len(cells):
                        continue
                    if header.get("status") == "timeout":
                        name = calls[position].get("function")
                        strikes[name] = strikes.get(name, 0) + 1
                    entry = _clean_call(header)
                    entry["id"] = ids[position]
                    if blob:
                        if len(blob) > MAX_CHILD_FRAME_BYTES:
                            entry.update(status="crashed", detail=MSG_MALFORMED)
                        else:
                            if blob is not last_blob:  # calls reported together share one frame
                                blobs.append(blob)
                                last_blob, last_frame = blob, [offset, len(blob)]
                                offset += len(blob)
                            entry["frame"] = last_frame
                            entry["slot"] = position
                    reply["calls"].append(entry)
                    next_call = next_unskipped(position + 1)
            if outcome["finished"] and next_cell >= len(cells) and next_call >= len(calls):
                break
            if not each_step:
                # a child that batched its reports died, hung or forged an end: which step did it
                # cannot be known, so run the rest again with a child that reports every step
                each_step = True
                reply["restarts"] += 1
                continue
            if outcome["finished"]:  # a forged "done": blame the step that was running
                outcome.update(why="crashed", detail=MSG_REPORT_ENDED)
            # the child died or hung on the step after the last one it reported
            kind = outcome["why"]
            if next_cell < len(cells):
                reply["cells"].append({"index": next_cell, "status": kind, "detail": outcome["detail"]})
                skip_cells.add(next_cell)
                next_cell += 1
            elif next_call < len(calls):
                reply["calls"].append({"id": ids[next_call], "status": kind, "detail": outcome["detail"],
                                       "seconds": limits.get("call_seconds", 5)})
                name = calls[next_call].get("function")
                strikes[name] = strikes.get(name, 0) + 1
                if strikes[name] >= FUNCTION_STRIKES:
                    for later in range(next_call + 1, len(calls)):
                        if calls[later].get("function") == name and later not in skip_calls:
                            skip_calls.add(later)
                            reply["calls"].append({"id": ids[later], "status": "not_run",
                                                   "detail": SKIPPED_DETAIL % strikes[name]})
                next_call = next_unskipped(next_call + 1)
            reply["restarts"] += 1
            if time.monotonic() >= deadline:
                reply["notes"].append("the notebook ran past its %g s limit" % limits.get("notebook_seconds", 60))
                break
            if reply["restarts"] > MAX_RESTARTS:
                reply["notes"].append("stopped after %d crashes or timeouts" % MAX_RESTARTS)
                break
            if next_call >= len(calls) and next_cell >= len(cells):
                break
        text = json.dumps(reply, separators=(",", ":"), check_circular=False).encode("utf-8")
        blob = b"".join(blobs)
        return wire._HEAD.pack(len(text), len(blob)) + text + blob

    def _run_child(self, cells, calls, plans, start_cell, start_call, limits, deadline):
        read_fd, write_fd = os.pipe()
        workdir = os.path.join(self.scratch[0], "submission")
        os.makedirs(workdir, exist_ok=True)
        if self.child_user is not None:
            os.chown(workdir, self.child_user, self.child_user)
        os.chmod(workdir, 0o700)
        pid = os.fork()
        if pid == 0:  # the child: never returns
            try:
                os.close(read_fd)
                _become_child(workdir, write_fd)
                if self.child_user is not None:
                    become_user(self.child_user)
                apply_limits(limits)
                run_child(write_fd, cells, calls, plans, start_cell, start_call, True, limits)
            finally:
                os._exit(_RUNTIME_FAILED)
        os.close(write_fd)
        events, finished, why, detail = [], False, "crashed", ""
        buffer = bytearray()
        received = frames = 0
        skipped = set(limits.get("skip_cells", ()))
        last_cell = max((i for i in range(start_cell, len(cells)) if i not in skipped), default=-1)
        reached = {"cell": start_cell - 1, "call": start_call - 1}
        # cells re-run silently after a restart get their own allowance, until the child says
        # "resumed"; then each step has its limit from the end of the step before
        silent = sum(1 for i in range(start_cell) if i not in skipped)
        allowance = silent * float(limits.get("cell_seconds", 10))
        step_started = time.monotonic()
        try:
            while True:
                in_cells = reached["cell"] < last_cell
                step_limit = float(limits.get("cell_seconds", 10) if in_cells else limits.get("call_seconds", 5))
                wait = min(step_started + allowance + step_limit + GRACE_SECONDS, deadline) - time.monotonic()
                ready = select.select([read_fd], [], [], max(wait, 0))[0] if wait > 0 else []
                if not ready:
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
            status = self._reap(pid)
            self._clean_up()
        if not finished and why == "crashed" and not detail:
            detail = _describe_status(status)
        return {"events": events, "finished": finished, "why": why, "detail": detail}

    def _reap(self, pid):
        """Kill the child and everything it started; return the child's wait status."""
        quietly(os.kill, pid, signal.SIGKILL)
        quietly(os.killpg, pid, signal.SIGKILL)
        if self.in_pid_namespace:
            # PID 1 of the sandbox: every other process in it descends from this child
            quietly(os.kill, -1, signal.SIGKILL)
        status = os.waitpid(pid, 0)[1]
        if self.in_pid_namespace:
            reap_everything()
        else:
            kill_descendants()
        return status

    def _clean_up(self):
        for folder in self.scratch:
            empty(folder)


def _become_child(workdir, event_fd):
    """Detach the child from the worker's pipes and put it in its own process group."""
    os.setpgid(0, 0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, event_fd)
    os.closerange(event_fd + 1, 1 << 16)
    os.chdir(workdir)
    os.environ["TMPDIR"] = workdir
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _split_frame(buffer, start):
    """The frame at ``start`` of ``buffer``: ``(header, blob, end)``, or None while incomplete."""
    head = wire._HEAD.size
    if len(buffer) - start < head:
        return None
    text_len, blob_len = wire._HEAD.unpack_from(buffer, start)
    if text_len + blob_len > MAX_CHILD_FRAME_BYTES:
        raise ValueError("frame too large")
    end = start + head + text_len + blob_len
    if len(buffer) < end:
        return None
    header = json.loads(bytes(buffer[start + head:start + head + text_len]).decode("utf-8"))
    if type(header) is not dict:
        raise ValueError("frame header is not an object")
    return header, bytes(buffer[start + head + text_len:end]), end


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


def _clean_fields(header, keep):
    """Copy the ``keep`` fields of an untrusted header: strings cut short, numbers as numbers."""
    clean = {}
    for key in keep:
        value = header.get(key)
        if type(value) is str:
            clean[key] = value[:MAX_DETAIL_CHARS]
        elif type(value) in (int, float, bool) and key != "status":
            clean[key] = value
    return clean


def _clean_cell(header):
    clean = _clean_fields(header, ("status", "detail", "seconds", "output_capped", "output_tail"))
    clean["index"] = header["index"]
    return clean


def _clean_call(header):
    return _clean_fields(header, ("status", "detail", "seconds"))


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
    parser.add_argument("--dnn-utils", required=True, help="path of the dnn_utils helpers file")
    parser.add_argument("--workdir", default=None, help="private scratch folder (the sandbox's /tmp)")
    parser.add_argument("--own-user", action="store_true",
                        help="run student code as a user id of this worker's own (the worker is root, unsandboxed)")
    parser.add_argument("--kit-copy", action="append", default=[],
                        help="another folder holding the solution or cases, to hide (with --own-user)")
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
    standins.install(options.dnn_utils)
    child_user, refusal = None, None
    if options.workdir:  # the sandbox's private /tmp
        scratch = [options.workdir]
    elif options.own_user:
        try:
            scratch, child_user = isolate_unsandboxed(options.disk_mb, options.kit_copy)
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
        Worker(_Reader(stdin), stdout, scratch, child_user, refusal).serve()
    finally:
        if not options.workdir and scratch[0] != "/tmp":
            empty(scratch[0])
            quietly(os.rmdir, scratch[0])


class _Reader:
    """Exact reads on an unbuffered pipe."""

    def __init__(self, raw):
        self.raw = raw

    def read(self, size):
        return self.raw.read(size)


if __name__ == "__main__":
    sys.exit(main())
