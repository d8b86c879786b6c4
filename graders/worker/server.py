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
goes on with the next step, so one bad call costs only that call. A function that crashes or hangs
on ``FUNCTION_STRIKES`` cases is not run on its remaining cases, so it cannot use up the restarts
the other functions need.

Between two children the worker kills everything the last one started and empties the scratch
folders, so nothing (file, process, module) carries over from one submission to the next.
"""

import argparse
import json
import os
import select
import signal
import stat
import sys
import tempfile
import time

from ..portable import wire
from . import standins
from .runtime import FUNCTION_STRIKES, SKIPPED_DETAIL, apply_limits, become_user, run_child, worker_uid

MAX_RESTARTS = 24
GRACE_SECONDS = 1.0
MAX_CHILD_FRAME_BYTES = 64 * 1024 * 1024  #: one step's report (honest ones are a few kB)
MAX_CHILD_BYTES = 128 * 1024 * 1024  #: everything one child may send
MAX_DETAIL_CHARS = 1000
MSG_MALFORMED = "it returned something that could not be sent back as plain data"
MSG_REPORT_ENDED = "its report to the grader ended before this step did (it wrote to the grader's channel?)"
_PR_SET_DUMPABLE = 4
_PR_SET_CHILD_SUBREAPER = 36


def _libc():
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _prctl(option, value):
    try:
        _libc().prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


class Worker:
    def __init__(self, stdin, stdout, scratch, child_user=None):
        self.stdin = stdin
        self.stdout = stdout
        self.calls = []
        self.call_args = []
        self.limits = {}
        self.scratch = list(scratch)  #: folders emptied after every child; the first holds the workdir
        self.child_user = child_user
        self.in_pid_namespace = os.getpid() == 1

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
        skip_cells, skip_calls, strikes = set(), set(), {}

        def next_unskipped(position):
            while position < len(calls) and position in skip_calls:
                position += 1
            return position

        next_cell, next_call = 0, next_unskipped(0)
        while True:
            child_limits = dict(limits, skip_cells=sorted(skip_cells), skip_calls=sorted(skip_calls),
                                strikes=dict(strikes))
            outcome = self._run_child(cells, calls, args, next_cell, next_call, child_limits, deadline)
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
                    try:
                        _check_values(header, blob)
                        shifted_values = {
                            ("v%d" if name == "value" else "a%d") % ids[position]: _shift(node, len(arrays))
                            for name, node in dict(header.get("values") or {}).items()
                            if name in ("value", "args_after")
                        }
                    except (RecursionError, TypeError, ValueError, KeyError, IndexError, OverflowError):
                        entry.update(status="crashed", detail=MSG_MALFORMED)
                        shifted_values = {}
                    if shifted_values:
                        values.update(shifted_values)
                        for entry_array in header.get("arrays", []):
                            shifted = list(entry_array)
                            shifted[2] = entry_array[2] + offset
                            arrays.append(shifted)
                        blobs.append(blob)
                        offset += len(blob)
                    reply["calls"].append(entry)
                    next_call = next_unskipped(position + 1)
            if outcome["finished"] and next_cell >= len(cells) and next_call >= len(calls):
                break
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
        reply["values"] = values
        reply["arrays"] = arrays
        text = json.dumps(reply, separators=(",", ":")).encode("utf-8")
        blob = b"".join(blobs)
        return wire._HEAD.pack(len(text), len(blob)) + text + blob

    def _run_child(self, cells, calls, args, start_cell, start_call, limits, deadline):
        read_fd, write_fd = os.pipe()
        workdir = os.path.join(self.scratch[0], "submission")
        os.makedirs(workdir, exist_ok=True)
        if self.child_user is not None:
            os.chown(workdir, self.child_user, self.child_user)
        pid = os.fork()
        if pid == 0:  # the child: never returns
            try:
                os.close(read_fd)
                _become_child(workdir, write_fd)
                if self.child_user is not None:
                    become_user(self.child_user)
                apply_limits(limits)
                run_child(write_fd, cells, calls, args, start_cell, start_call, True, limits)
            finally:
                os._exit(70)
        os.close(write_fd)
        events, finished, why, detail = [], False, "crashed", ""
        buffer = bytearray()
        received = 0
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
                received += len(chunk)
                if received > MAX_CHILD_BYTES:
                    raise ValueError("more than %d MB of reports" % (MAX_CHILD_BYTES >> 20))
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
                    if header.get("type") in ("cell", "call"):
                        events.append((header, blob))
                    step_started = time.monotonic()
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
        _quietly(os.kill, pid, signal.SIGKILL)
        _quietly(os.killpg, pid, signal.SIGKILL)
        if self.in_pid_namespace:
            # PID 1 of the sandbox: every other process in it descends from this child
            _quietly(os.kill, -1, signal.SIGKILL)
        status = os.waitpid(pid, 0)[1]
        if self.in_pid_namespace:
            _reap_everything()
        else:
            _kill_descendants()
        return status

    def _clean_up(self):
        for folder in self.scratch:
            _empty(folder)


def _quietly(function, *args):
    try:
        function(*args)
    except OSError:
        pass


def _reap_everything():
    """As PID 1: kill and reap until no process but this one is left in the namespace."""
    while True:
        _quietly(os.kill, -1, signal.SIGKILL)
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return
        except InterruptedError:
            continue


def _children():
    """Our direct children (orphans of a child re-parent to us: we are a subreaper)."""
    me = os.getpid()
    try:
        with open("/proc/%d/task/%d/children" % (me, me)) as handle:
            return [int(pid) for pid in handle.read().split()]
    except OSError:
        pass
    found = []
    try:
        names = os.listdir("/proc")
    except OSError:  # macOS: the process group kill is all there is
        return []
    for name in names:
        if name.isdigit():
            try:
                with open("/proc/%s/stat" % name, "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
                if int(fields[1]) == me:
                    found.append(int(name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def _kill_descendants():
    """Outside a PID namespace: kill every remaining descendant, including setsid daemons."""
    for _ in range(1000):
        children = _children()
        if not children:
            break
        for pid in children:
            _quietly(os.kill, pid, signal.SIGKILL)
        for pid in children:
            _quietly(os.waitpid, pid, 0)
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG) == (0, 0):
                break
        except ChildProcessError:
            break


def _empty(folder):
    """Delete everything inside ``folder``, whatever permissions the child left on it."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return
    except PermissionError:
        _quietly(os.chmod, folder, 0o700)
        names = os.listdir(folder)
    for name in names:
        path = os.path.join(folder, name)
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            continue
        if stat.S_ISDIR(mode):
            _quietly(os.chmod, path, 0o700)
            _empty(path)
            _quietly(os.rmdir, path)
        else:
            _quietly(os.unlink, path)


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


def _split_frame(buffer):
    head = wire._HEAD.size
    if len(buffer) < head:
        return None
    text_len, blob_len = wire._HEAD.unpack_from(buffer)
    if text_len + blob_len > MAX_CHILD_FRAME_BYTES:
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


def _check_values(header, blob):
    """Decode a call's values as the grader will, so that one malformed value (forged, or a type
    the encoder cannot carry) costs only its own case, never the whole reply; raises if malformed."""
    values = header.get("values") or {}
    if type(values) is not dict:
        raise ValueError("values is not an object")
    wire.decode_values({"values": values, "arrays": header.get("arrays", [])}, blob)


def _shift(node, base):
    if type(node) is dict:
        if "nd" in node and type(node["nd"]) is int:
            return {"nd": node["nd"] + base}
        return {key: _shift(value, base) for key, value in node.items()}
    if type(node) is list:
        return [_shift(item, base) for item in node]
    return node


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
    if os.WIFEXITED(status):
        return "the process exited early with status %d (os._exit or a fatal error)" % os.WEXITSTATUS(status)
    return "the process ended unexpectedly"


# -- private mounts for the process fallback when the grader is root --------------------------------

_CLONE_NEWNS = 0x00020000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18


def _mount(libc, source, target, fstype, flags, data=None):
    encode = (lambda text: text.encode() if text is not None else None)
    if libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)) != 0:
        import ctypes

        raise OSError(ctypes.get_errno(), "mount %s" % target)


def _blocked_ancestor(path):
    """The outermost folder above ``path`` that other users cannot traverse, or None."""
    parts = os.path.realpath(path).split(os.sep)[1:]
    for depth in range(1, len(parts)):
        ancestor = os.sep + os.sep.join(parts[:depth])
        try:
            if not os.stat(ancestor).st_mode & stat.S_IXOTH:
                return ancestor
        except OSError:
            return None
    return None


def private_mounts(kit_root, disk_mb, needed):
    """In a mount namespace of the worker's own: a private size-capped /tmp, the kit's solution
    and cases hidden, and the folders in ``needed`` (the Python install) reachable by the
    unprivileged child even when they sit under a private folder such as /root."""
    libc = _libc()
    if libc.unshare(_CLONE_NEWNS) != 0:
        raise OSError("unshare")
    _mount(libc, None, "/", None, _MS_REC | _MS_PRIVATE)
    blocked = {}
    for path in needed:
        ancestor = _blocked_ancestor(path)
        if ancestor and os.path.isdir(path):
            blocked.setdefault(ancestor, []).append(os.path.realpath(path))
    for ancestor, paths in blocked.items():
        fds = [(os.open(p, os.O_PATH | os.O_DIRECTORY), p) for p in sorted(set(paths))]
        _mount(libc, "tmpfs", ancestor, "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=0755,size=1m")
        for fd, path in fds:
            os.makedirs(path, exist_ok=True)
            _mount(libc, "/proc/self/fd/%d" % fd, path, None, _MS_BIND | _MS_REC)
            _mount(libc, None, path, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY)
            os.close(fd)
    for name in ("reference", "assignments", "tools"):
        secret = os.path.join(kit_root, name)
        if os.path.isdir(secret):
            _mount(libc, "tmpfs", secret, "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_RDONLY, "mode=0000,size=4k")
    size = "mode=1777,size=%dm" % max(int(disk_mb), 1)
    _mount(libc, "tmpfs", "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, size)
    for shared in ("/var/tmp", "/dev/shm"):
        if os.path.isdir(shared):
            _mount(libc, "tmpfs", shared, "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_RDONLY, "mode=0755,size=4k")


def _scratch_folders(options):
    """The folders emptied after each child; the first one holds the child's working folder."""
    if options.workdir:  # the sandbox's private /tmp
        return [options.workdir]
    if options.child_user is not None:
        try:
            kit_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
            needed = [p for p in sys.path if p and os.path.isdir(p) and os.path.realpath(p) != kit_root]
            needed += [sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable))]
            private_mounts(kit_root, options.disk_mb, needed)
            return ["/tmp"]
        except (OSError, AttributeError):
            pass  # not allowed here (for example inside an unprivileged container): a private folder
    private = tempfile.mkdtemp(prefix="dnngrade-")
    os.chmod(private, 0o711)
    return [private]


def main(argv=None):
    parser = argparse.ArgumentParser(description="grading worker (runs student code)")
    parser.add_argument("--dnn-utils", required=True, help="path of the dnn_utils helpers file")
    parser.add_argument("--workdir", default=None, help="private scratch folder (the sandbox's /tmp)")
    parser.add_argument("--own-user", action="store_true",
                        help="run student code as a user id of this worker's own (the worker is root, unsandboxed)")
    parser.add_argument("--disk-mb", type=int, default=64, help="size of the private /tmp (with --child-user)")
    options = parser.parse_args(argv)
    options.child_user = worker_uid(os.getpid()) if options.own_user else None
    _prctl(_PR_SET_DUMPABLE, 0)  # same-user processes may not read our memory or descriptors
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as PID 1, no signal from a child can reach us
    if os.getpid() != 1:
        _prctl(_PR_SET_CHILD_SUBREAPER, 1)  # orphans of a child come back to us, to be killed
    standins.install(options.dnn_utils)
    scratch = _scratch_folders(options)
    stdin = os.fdopen(os.dup(0), "rb", buffering=0)
    stdout = os.fdopen(os.dup(1), "wb", buffering=1 << 16)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    try:
        Worker(_Reader(stdin), stdout, scratch, options.child_user).serve()
    finally:
        if not options.workdir and scratch[0] != "/tmp":
            _empty(scratch[0])
            _quietly(os.rmdir, scratch[0])


class _Reader:
    """Exact reads on an unbuffered pipe."""

    def __init__(self, raw):
        self.raw = raw

    def read(self, size):
        return self.raw.read(size)


if __name__ == "__main__":
    sys.exit(main())
