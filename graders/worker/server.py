"""The warm worker: load NumPy and the cases' inputs once, then fork a child per submission.

Protocol (frames from :mod:`graders.portable.wire`, on stdin/stdout):

- grader -> worker ``{"op": "setup", "calls": [{"function", "seed"}, ...], "limits": {...}}`` with
  the inputs of every call as values ``{"args": [[arg, ...], ...]}``; once per worker.
- grader -> worker ``{"op": "run", "job": token, "cells": [source, ...], "calls": [positions] | null,
  "limits": {...}}``; one per submission.
- worker -> grader one reply per run: ``{"job": token, "cells": [...], "calls": [...],
  "restarts": n, "notes": [...]}`` whose values ``v<position>`` and ``a<position>`` are the
  returned value and the arguments after each call.

The child reports each finished step on its own pipe; when it dies or hangs, the worker records
the step it was on (crash or timeout) and forks a new child that re-runs the cells silently and
goes on with the next step, so one bad call costs only that call.
"""

import argparse
import json
import os
import select
import signal
import sys
import time

from ..portable import wire
from . import standins
from .runtime import apply_limits, run_child

MAX_RESTARTS = 4
GRACE_SECONDS = 1.0
_PR_SET_DUMPABLE = 4


def _set_not_dumpable():
    """Forbid same-user processes (the children) to read our memory or file descriptors."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


class Worker:
    def __init__(self, stdin, stdout, workdir_root):
        self.stdin = stdin
        self.stdout = stdout
        self.calls = []
        self.call_args = []
        self.limits = {}
        self.workdir_root = workdir_root
        self.in_pid_namespace = os.getpid() <= 3

    def serve(self):
        while True:
            frame = wire.read_frame(self.stdin)
            if frame is None:
                return
            header, blob = frame
            op = header.get("op")
            if op == "setup":
                self.calls = header["calls"]
                self.limits = header.get("limits", {})
                self.call_args = wire.decode_values(header, blob)["args"]
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
        args = self.call_args if positions is None else [self.call_args[p] for p in positions]
        ids = list(range(len(self.calls))) if positions is None else list(positions)
        reply = {"job": request.get("job"), "cells": [], "calls": [], "restarts": 0, "notes": []}
        arrays, blobs, values, offset = [], [], {}, 0
        deadline = time.monotonic() + float(limits.get("notebook_seconds", 60))
        next_cell, next_call, skip = 0, 0, set()
        while True:
            child_limits = dict(limits, skip_cells=sorted(skip))
            outcome = self._run_child(cells, calls, args, next_cell, next_call, child_limits, deadline)
            for header, blob in outcome["events"]:
                if not _well_formed(header, len(cells), len(calls)):
                    continue
                if header.get("type") == "cell":
                    reply["cells"].append(_clean_cell(header))
                    next_cell = header["index"] + 1
                elif header.get("type") == "call":
                    position = header.get("position")
                    if position != next_call:
                        continue
                    entry = _clean_call(header)
                    entry["id"] = ids[position]
                    try:
                        shifted_values = {
                            ("v%d" if name == "value" else "a%d") % ids[position]: _shift(node, len(arrays))
                            for name, node in dict(header.get("values") or {}).items()
                            if name in ("value", "args_after")
                        }
                    except (RecursionError, TypeError, ValueError):
                        entry.update(status="crashed", detail="sent malformed data")
                        shifted_values = {}
                    values.update(shifted_values)
                    for entry_array in header.get("arrays", []):
                        shifted = list(entry_array)
                        shifted[2] = entry_array[2] + offset
                        arrays.append(shifted)
                    blobs.append(blob)
                    offset += len(blob)
                    reply["calls"].append(entry)
                    next_call = position + 1
            if outcome["finished"]:
                break
            # the child died or hung on the step after the last one it reported
            kind = outcome["why"]
            if next_cell < len(cells):
                reply["cells"].append({"index": next_cell, "status": kind, "detail": outcome["detail"]})
                skip.add(next_cell)
                next_cell += 1
            elif next_call < len(calls):
                reply["calls"].append({"id": ids[next_call], "status": kind, "detail": outcome["detail"],
                                       "seconds": limits.get("call_seconds", 5)})
                next_call += 1
            reply["restarts"] += 1
            if time.monotonic() >= deadline:
                reply["notes"].append("the notebook ran past its %g s limit" % limits.get("notebook_seconds", 60))
                break
            if reply["restarts"] > MAX_RESTARTS:
                reply["notes"].append("stopped after %d crashes or timeouts" % MAX_RESTARTS)
                break
            if next_call >= len(calls) and next_cell >= len(cells):
                break
        reply["values"] = values
        reply["arrays"] = arrays
        text = json.dumps(reply, separators=(",", ":")).encode("utf-8")
        blob = b"".join(blobs)
        return wire._HEAD.pack(len(text), len(blob)) + text + blob

    def _run_child(self, cells, calls, args, start_cell, start_call, limits, deadline):
        read_fd, write_fd = os.pipe()
        workdir = os.path.join(self.workdir_root, "submission")
        os.makedirs(workdir, exist_ok=True)
        pid = os.fork()
        if pid == 0:  # the child: never returns
            try:
                os.close(read_fd)
                _become_child(workdir, write_fd)
                apply_limits(limits)
                run_child(write_fd, cells, calls, args, start_cell, start_call, True, limits)
            finally:
                os._exit(70)
        os.close(write_fd)
        events, finished, why, detail = [], False, "crashed", ""
        buffer = bytearray()
        step_seconds = float(limits.get("cell_seconds", 10))
        step_started = time.monotonic()
        cells_left = len(cells) - start_cell
        # cells re-run silently after a restart count against the first step's allowance
        silent = sum(1 for i in range(start_cell) if i not in set(limits.get("skip_cells", ())))
        step_started += silent * float(limits.get("cell_seconds", 10))
        try:
            while True:
                in_cells = cells_left > 0
                step_limit = float(limits.get("cell_seconds" if in_cells else "call_seconds", step_seconds))
                wait = min(step_started + step_limit + GRACE_SECONDS, deadline) - time.monotonic()
                ready = select.select([read_fd], [], [], max(wait, 0))[0] if wait > 0 else []
                if not ready:
                    why, detail = "timeout", "stopped after %g s (hard limit)" % step_limit
                    break
                chunk = os.read(read_fd, 1 << 20)
                if not chunk:
                    break
                buffer += chunk
                while True:
                    parsed = _split_frame(buffer)
                    if parsed is None:
                        break
                    header, blob, rest = parsed
                    buffer = bytearray(rest)
                    if header.get("type") == "done":
                        finished = True
                        break
                    if header.get("type") == "cell":
                        cells_left -= 1
                    events.append((header, blob))
                    step_started = time.monotonic()
                if finished:
                    break
        except (ValueError, RecursionError, UnicodeDecodeError) as error:
            why, detail = "crashed", "sent malformed data (%s)" % type(error).__name__
        finally:
            os.close(read_fd)
            status = self._reap(pid)
            self._clean_up(workdir)
        if not finished and why == "crashed" and not detail:
            detail = _describe_status(status)
        return {"events": events, "finished": finished, "why": why, "detail": detail}

    def _reap(self, pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.in_pid_namespace:
            try:
                os.kill(-1, signal.SIGKILL)  # everything else in the sandbox's PID namespace
            except (ProcessLookupError, PermissionError):
                pass
        _, status = os.waitpid(pid, 0)
        while True:  # reap any orphans re-parented to us
            try:
                if os.waitpid(-1, os.WNOHANG) == (0, 0):
                    break
            except ChildProcessError:
                break
        return status

    def _clean_up(self, workdir):
        for root, dirs, files in os.walk(workdir, topdown=False):
            for name in files:
                _quietly(os.unlink, os.path.join(root, name))
            for name in dirs:
                path = os.path.join(root, name)
                _quietly(os.unlink if os.path.islink(path) else os.rmdir, path)


def _quietly(function, *args):
    try:
        function(*args)
    except OSError:
        pass


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


def _split_frame(buffer):
    head = wire._HEAD.size
    if len(buffer) < head:
        return None
    text_len, blob_len = wire._HEAD.unpack_from(buffer)
    if text_len + blob_len > wire.MAX_FRAME_BYTES:
        raise ValueError("frame too large")
    end = head + text_len + blob_len
    if len(buffer) < end:
        return None
    header = json.loads(bytes(buffer[head:head + text_len]).decode("utf-8"))
    if type(header) is not dict:
        raise ValueError("frame header is not an object")
    return header, bytes(buffer[head + text_len:end]), buffer[end:]


def _well_formed(header, cell_count, call_count):
    """Child frames are untrusted: keep only events whose fields have the expected types."""
    kind = header.get("type")
    if kind == "cell":
        index = header.get("index")
        return type(index) is int and 0 <= index < cell_count and type(header.get("status")) is str
    if kind == "call":
        position = header.get("position")
        arrays = header.get("arrays", [])
        return (type(position) is int and 0 <= position < call_count and type(header.get("status")) is str
                and type(arrays) is list and all(type(a) is list and len(a) >= 4 and type(a[2]) is int
                                                 for a in arrays))
    return False


def _shift(node, base):
    if type(node) is dict:
        if "nd" in node and type(node["nd"]) is int:
            return {"nd": node["nd"] + base}
        return {key: _shift(value, base) for key, value in node.items()}
    if type(node) is list:
        return [_shift(item, base) for item in node]
    return node


def _clean_cell(header):
    keep = ("index", "status", "detail", "seconds", "output_capped", "output_tail")
    return {key: header[key] for key in keep if key in header}


def _clean_call(header):
    keep = ("status", "detail", "seconds")
    return {key: header[key] for key in keep if key in header}


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
    if os.WIFEXITED(status):
        return "the process exited early with status %d (os._exit or a fatal error)" % os.WEXITSTATUS(status)
    return "the process ended unexpectedly"


def main(argv=None):
    parser = argparse.ArgumentParser(description="grading worker (runs student code)")
    parser.add_argument("--dnn-utils", required=True, help="path of the dnn_utils helpers file")
    parser.add_argument("--workdir", default=None, help="scratch folder for submissions")
    options = parser.parse_args(argv)
    _set_not_dumpable()
    standins.install(options.dnn_utils)
    workdir = options.workdir or os.environ.get("TMPDIR") or "/tmp"
    stdin = os.fdopen(os.dup(0), "rb", buffering=0)
    stdout = os.fdopen(os.dup(1), "wb", buffering=1 << 16)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    Worker(_Reader(stdin), stdout, workdir).serve()


class _Reader:
    """Exact reads on an unbuffered pipe."""

    def __init__(self, raw):
        self.raw = raw

    def read(self, size):
        return self.raw.read(size)


if __name__ == "__main__":
    sys.exit(main())
