"""The rules of one notebook's run, in one place.

The worker forks children to run a notebook's cells, then its calls. This module alone decides:

- which report of a child is believed: steps come strictly in order, cells first, then calls; a
  report of any other step was forged by student code and is dropped (:meth:`Supervisor.accept`);
- what happens when a child ends before the last step (:meth:`Supervisor.after_child`): a child
  that batched its reports is run again reporting every step, since which step stopped it cannot
  be known; a child that reported every step is blamed for the step after its last report (that
  cell or call is recorded as crashed or timed out and skipped), and a new child goes on;
- the *strike* rule (:class:`Strikes`): a function that hangs or crashes on ``FUNCTION_STRIKES``
  cases is not called on its remaining ones, so it cannot use up the restarts the others need.
  The child applies the same rule to the timeouts it sees itself;
- when the worker gives up on a notebook: past its time limit, or after ``MAX_RESTARTS`` restarts.

Only plain data goes in and out; forking, pipes and frames are the server's. Imports only the
standard library.
"""

import time

FUNCTION_STRIKES = 2  #: a function that hangs or crashes on this many cases is not run on the others
SKIPPED_DETAIL = "it hung or crashed on %d earlier cases, so its remaining cases were skipped"
MAX_RESTARTS = 24  #: children forked again for one notebook before the worker gives up on it
MSG_PAST_LIMIT = "the notebook ran past its %g s limit"
MSG_TOO_MANY_RESTARTS = "stopped after %d crashes or timeouts"
MSG_REPORT_ENDED = "its report to the grader ended before this step did (it wrote to the grader's channel?)"

#: what :meth:`Supervisor.after_child` tells the server to do
FINISHED, AGAIN, STOP, ZYGOTE_GONE = "finished", "again", "stop", "zygote_gone"


class Strikes:
    """How many cases each function hung or crashed on, and whether it is out."""

    def __init__(self, counts=None):
        self.counts = {str(name): int(count) for name, count in dict(counts or {}).items()}

    def add(self, name):
        self.counts[name] = self.counts.get(name, 0) + 1

    def out(self, name):
        """Is ``name`` no longer called (it hung or crashed on ``FUNCTION_STRIKES`` cases)?"""
        return self.counts.get(name, 0) >= FUNCTION_STRIKES

    def skipped(self, name):
        """The detail of a call of ``name`` that is not run."""
        return SKIPPED_DETAIL % self.counts.get(name, 0)


class Supervisor:
    """One notebook's run: ``cells`` (their count), ``calls`` (each a dict with ``"function"``),
    ``ids`` (each call's id in the reply), ``call_seconds`` (what a call that hung is said to have
    taken) and ``notebook_seconds`` (the limit, counted from now).

    The server asks :meth:`child_limits` before forking each child, feeds it every report with
    :meth:`accept`, and :meth:`after_child` when the child ended; the entries to put in the reply
    come back from those two."""

    def __init__(self, cells, calls, ids, call_seconds, notebook_seconds):
        self.cells, self.calls, self.ids = cells, calls, ids
        self.call_seconds, self.notebook_seconds = call_seconds, notebook_seconds
        self.deadline = time.monotonic() + notebook_seconds
        self.skip_cells, self.skip_calls = set(), set()
        self.strikes = Strikes()
        self.next_cell, self.next_call = 0, self._unskipped(0)
        self.each_step = False  #: the first child batches its reports; any child after it reports each step
        self.restarts = 0
        self.notes = []

    def _unskipped(self, position):
        while position < len(self.calls) and position in self.skip_calls:
            position += 1
        return position

    def _function(self, position):
        return self.calls[position].get("function")

    @property
    def done(self):
        return self.next_cell >= self.cells and self.next_call >= len(self.calls)

    def child_limits(self):
        """What the next child is told beyond the notebook's limits: what to skip and report."""
        return {"skip_cells": sorted(self.skip_cells), "skip_calls": sorted(self.skip_calls),
                "strikes": dict(self.strikes.counts), "report_each_step": self.each_step}

    def accept(self, header):
        """Is the (well-formed) report ``header`` the next step's? If so the run moves past it."""
        if header.get("type") == "cell":
            if header["index"] != self.next_cell:
                return False
            self.next_cell = header["index"] + 1
            return True
        if header.get("type") == "call":
            position = header.get("position")
            if position != self.next_call or self.next_cell < self.cells:
                return False
            if header.get("status") == "timeout":
                self.strikes.add(self._function(position))
            self.next_call = self._unskipped(position + 1)
            return True
        return False

    def after_child(self, finished, why, detail, zygote_alive):
        """The child ended (``finished``: it said so; else ``why`` it stopped: "crashed" or
        "timeout", with ``detail``). Returns ``(action, cell_entries, call_entries)``: the action
        (``FINISHED``, ``AGAIN``: fork another child, ``STOP``: give up, see :attr:`notes`, or
        ``ZYGOTE_GONE``) and the entries for the steps it is blamed for and the calls skipped."""
        if not zygote_alive:
            # a step stopped the zygote: which one cannot be told for sure (the child may run on
            # for a while), so no result of this notebook may be kept
            return ZYGOTE_GONE, [], []
        if finished and self.done:
            return FINISHED, [], []
        if not self.each_step:
            # a child that batched its reports died, hung or forged an end: which step did it
            # cannot be known, so the rest runs again with a child that reports every step
            self.each_step = True
            self.restarts += 1
            return AGAIN, [], []
        if finished:  # a forged "done": the step that was running is blamed
            why, detail = "crashed", MSG_REPORT_ENDED
        cells, calls = [], []
        if self.next_cell < self.cells:
            cells.append({"index": self.next_cell, "status": why, "detail": detail})
            self.skip_cells.add(self.next_cell)
            self.next_cell += 1
        elif self.next_call < len(self.calls):
            name = self._function(self.next_call)
            calls.append({"id": self.ids[self.next_call], "status": why, "detail": detail,
                          "seconds": self.call_seconds})
            self.strikes.add(name)
            if self.strikes.out(name):
                for later in range(self.next_call + 1, len(self.calls)):
                    if self._function(later) == name and later not in self.skip_calls:
                        self.skip_calls.add(later)
                        calls.append({"id": self.ids[later], "status": "not_run", "detail": self.strikes.skipped(name)})
            self.next_call = self._unskipped(self.next_call + 1)
        self.restarts += 1
        if self.over_time():
            self.notes.append(MSG_PAST_LIMIT % self.notebook_seconds)
            return STOP, cells, calls
        if self.restarts > MAX_RESTARTS:
            self.notes.append(MSG_TOO_MANY_RESTARTS % MAX_RESTARTS)
            return STOP, cells, calls
        return (FINISHED if self.done else AGAIN), cells, calls

    def over_time(self):
        return time.monotonic() >= self.deadline


