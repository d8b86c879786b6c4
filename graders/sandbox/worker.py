"""The grader's handle on one worker process: start it, send the case inputs once, run
submissions, and read back plain data. Expected values never leave this process."""

from __future__ import annotations

import os
import secrets
import select
import subprocess
import time
from typing import Callable

from graders.cases import Case
from graders.portable import wire
from graders.sandbox.launch import WORKER_PIPES, Launch, confirm_launch, first_launch, take_early, worker_launch
from graders.sandbox.limits import DEFAULT_LIMITS

GUESS_SECONDS = 30  #: how long a worker started with a guessed launch may take to be ready


class WorkerDied(Exception):
    """The worker process ended or broke the protocol; the submission gets a could-not-grade result."""


class WorkerProcess:
    """A warm worker with every case's inputs loaded; :meth:`run` grades one submission's cells."""

    launch: Launch  #: how it was started (set once it is)

    def __init__(self, cases: list[Case], limits: dict, sandbox: str = "auto", helpers=None):
        self.cases = cases
        self.helpers = helpers  #: the pack's helpers for student code (graders.assignment.WorkerHelpers)
        self.limits = dict(DEFAULT_LIMITS, **limits)
        self.sandbox = sandbox
        self.proc: subprocess.Popen | None = None
        self._in_flight: set[str] = set()  #: tokens sent and not yet received
        self._early: dict[str, tuple[dict, bytes]] = {}  #: replies read before their turn
        self._answerers: dict[str, Callable[[str, int | None, bytes], tuple[bool, object]]] = {}  #: see :meth:`run`
        self._unread = bytearray()  #: worker output read while a request was being written (see _write)
        self._start()

    def _start(self) -> None:
        """Start the worker: the one :func:`graders.sandbox.launch.start_early` started, else the launch
        that works here. A guessed launch that fails is left for the one the probe chooses."""
        disk_mb = int(self.limits["disk_mb"])
        early = take_early(self.sandbox, disk_mb, self.helpers)
        launch, known = (early[0], early[1]) if early else first_launch(self.sandbox, disk_mb)
        if launch is not None:
            try:
                self._boot(launch, early[2] if early else None, timeout=60 if known else GUESS_SECONDS)
                confirm_launch(launch, disk_mb)
                return
            except WorkerDied:
                self.close()
                if known:
                    raise
        try:
            self._boot(worker_launch(self.sandbox, disk_mb), None, timeout=60)
        except WorkerDied:
            self.close()
            raise

    def _boot(self, launch: Launch, proc: subprocess.Popen | None, timeout: float) -> None:
        """Send the case inputs to a worker (started now unless ``proc``) and wait until it is ready."""
        self.launch = launch
        self._unread = bytearray()
        try:
            self.proc = proc or launch.with_helpers(self.helpers).spawn(**WORKER_PIPES)
        except OSError as error:
            raise WorkerDied("the worker could not be started (%s)" % error) from None
        calls: list[dict[str, object]] = [{"function": case.function, "seed": case.seed} for case in self.cases]
        inputs: dict = {"args": [case.args for case in self.cases]}
        if any(case.then for case in self.cases):
            # chain cases: the next functions that take a call's result on, and their other inputs
            for call, case in zip(calls, self.cases):
                if case.then:
                    call["then"] = list(case.then)
                    call["then_unless_keys"] = list(case.then_unless_keys or ())
            inputs["then_args"] = [case.then_args for case in self.cases]
        header = {"op": "setup", "calls": calls, "limits": self.limits}
        self._write(wire.encode_frame(header, inputs))
        reply = self._read(timeout=timeout)
        if reply[0].get("op") == "error":
            raise WorkerDied("the worker refused to start: %s" % str(reply[0].get("detail"))[:300])
        if reply[0].get("op") != "ready":
            raise WorkerDied("the worker did not start: %r" % (reply[0],))

    def run(self, cells: list[str], positions: list[int] | None = None, limits: dict | None = None,
            answer: Callable[[str, int | None, bytes], tuple[bool, object]] | None = None) -> tuple[dict, bytes]:
        """Run one submission; return the reply header and its frames of values (see :meth:`receive`).

        ``answer(helper, case, frame)`` answers the calls of the run's stand-ins
        (``limits["stand_ins"]``): ``case`` is the id of the case the child says it is running (or
        None), ``frame`` holds the call's arguments as the child sent them (both untrusted), and it
        returns ``(True, value)`` or ``(False, why)``; see :mod:`graders.rerun`.
        """
        token = self.send(cells, positions, limits)
        if answer is not None:
            self._answerers[token] = answer
        try:
            return self.receive(token, limits)
        finally:
            self._answerers.pop(token, None)

    def send(self, cells: list[str], positions: list[int] | None = None, limits: dict | None = None) -> str:
        """Queue one submission on the worker and return its job token (see :meth:`receive`).

        The worker runs submissions in the order sent, so a caller may send the next one before
        receiving the last: the worker then starts it while the caller judges the previous reply.
        """
        token = secrets.token_hex(8)
        limits = dict(limits or {})
        labels = getattr(cells, "labels", None)  # a notebook's cells are named in its feedback as they are in Jupyter
        if labels is not None:
            limits["cell_labels"] = list(labels)
        request = {"op": "run", "job": token, "cells": list(cells), "calls": positions, "limits": limits}
        self._write(wire.encode_frame(request))
        self._in_flight.add(token)
        return token

    def receive(self, token: str, limits: dict | None = None) -> tuple[dict, bytes]:
        """The reply to the submission sent as ``token``: header and the frames of the calls'
        values, still encoded (read them with :class:`graders.frames.Frames` and :func:`call_values`)."""
        if token in self._early:
            self._in_flight.discard(token)
            return self._early.pop(token)
        budget = float((limits or {}).get("notebook_seconds") or self.limits["notebook_seconds"])
        while True:
            header, blob = self._read(timeout=budget + 30)
            job = header.get("job")
            if header.get("op") == "ask":
                self._answer(header, blob)
                continue
            if job == token:
                self._in_flight.discard(token)
                return header, blob
            if not isinstance(job, str) or job not in self._in_flight or job in self._early:
                raise WorkerDied("the worker's reply belongs to another job")
            # a job sent after this one was answered first (this one was sent again, to this
            # worker, after the worker it first went to retired): keep that reply for its turn
            self._early[job] = (header, blob)

    def _answer(self, header: dict, blob: bytes) -> None:
        """Answer one stand-in call of a run (see :meth:`run`); a run with no answerer is told so."""
        answerer = self._answerers.get(header.get("job"))  # type: ignore[arg-type]
        helper, case = header.get("helper"), header.get("call")
        ok: bool
        value: object
        if answerer is None or type(helper) is not str:
            ok, value = False, "no stand-in answers in this run"
        else:
            ok, value = answerer(helper, case if type(case) is int else None, blob)
        head = {"op": "answer", "job": header.get("job"), "ask": header.get("ask"), "ok": bool(ok)}
        if ok:
            self._write(wire.encode_frame(head, payload=wire.encode_frame({}, {"value": value})))
        else:
            self._write(wire.encode_frame(dict(head, message=str(value)[:500])))

    def _write(self, data: bytes) -> None:
        """Write ``data`` to the worker without waiting on a full pipe while the worker waits on us:
        whatever the worker writes meanwhile (a reply to a job sent earlier, an ask) is read into
        ``_unread``, where :meth:`_read` finds it first. (A run request with sealed answers is
        larger than a pipe holds, and the worker may be writing a large reply at that moment.)"""
        stdin = self._pipe("stdin")
        out = self._pipe("stdout").fileno()
        deadline = time.monotonic() + float(self.limits["notebook_seconds"]) + 30
        try:
            fd = stdin.fileno()  # (written only here, by os.write: its buffer is always empty)
            view = memoryview(data)
            os.set_blocking(fd, False)
            try:
                while view:
                    try:
                        written = os.write(fd, view)
                    except BlockingIOError:
                        written = 0  # the pipe is full: wait until the worker reads, reading what it writes
                    if written:
                        view = view[written:]
                        continue
                    wait = deadline - time.monotonic()
                    readable, writable, _ = select.select([out], [fd], [], max(wait, 0))
                    if not readable and not writable:
                        raise WorkerDied("the worker stopped reading its requests")
                    if readable:
                        chunk = os.read(out, 1 << 20)
                        if not chunk:
                            raise WorkerDied("the worker ended unexpectedly")
                        if len(self._unread) + len(chunk) > wire.MAX_FRAME_BYTES + (1 << 20):
                            raise WorkerDied("the worker sent too much while a request was being written")
                        self._unread += chunk
            finally:
                os.set_blocking(fd, True)
        except (BrokenPipeError, OSError) as error:
            raise WorkerDied("the worker is gone (%s)" % error) from None

    def _read(self, timeout: float) -> tuple[dict, bytes]:
        deadline = time.monotonic() + timeout
        fd = self._pipe("stdout").fileno()
        head = self._read_exact(fd, wire.HEAD_SIZE, deadline)
        try:
            text_len, blob_len = wire.frame_lengths(head)
        except ValueError:
            raise WorkerDied("the worker sent an oversized reply") from None
        try:
            header = wire.parse_header(self._read_exact(fd, text_len, deadline))
        except (ValueError, RecursionError) as error:
            raise WorkerDied("the worker sent a malformed reply (%s)" % type(error).__name__) from None
        blob = self._read_exact(fd, blob_len, deadline) if blob_len else b""
        return header, blob

    def _read_exact(self, fd: int, size: int, deadline: float) -> bytes:
        chunks, remaining = [], size
        if self._unread:
            taken = bytes(self._unread[:remaining])
            del self._unread[:len(taken)]
            chunks.append(taken)
            remaining -= len(taken)
        while remaining:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise WorkerDied("the worker did not answer in time")
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                raise WorkerDied("the worker ended unexpectedly")
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        """Stop the worker and everything it started."""
        proc = self.proc
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        if proc.poll() is None:
            # bubblewrap's child (the worker, PID 1 of the sandbox) may not die with bubblewrap when
            # it runs as another user: kill it first, which ends everything in its PID namespace
            for pid in descendants(proc.pid):
                try:
                    os.kill(pid, 9)
                except OSError:
                    pass
            try:
                os.killpg(proc.pid, 9)
            except (ProcessLookupError, PermissionError):
                proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        self.proc = None

    def _pipe(self, name: str):
        """The worker's stdin or stdout; WorkerDied once it is closed."""
        pipe = getattr(self.proc, name, None) if self.proc is not None else None
        if pipe is None:
            raise WorkerDied("the worker is closed")
        return pipe


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, children first (empty where /proc cannot tell)."""
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        try:
            tasks = os.listdir("/proc/%d/task" % parent)
        except OSError:
            continue
        for task in tasks:
            try:
                with open("/proc/%d/task/%s/children" % (parent, task)) as handle:
                    children = [int(child) for child in handle.read().split()]
            except (OSError, ValueError):
                continue
            found.extend(children)
            queue.extend(children)
    return found
