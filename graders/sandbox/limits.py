"""Limits on student code, as the grader sets them (their defaults live in graders.worker.defaults)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

from graders.notebook import MAX_NOTEBOOK_BYTES
from graders.worker.defaults import DEFAULTS


@dataclass
class Limits:
    """Limits on student code; each can be set from the command line of ``grade`` and ``batch``."""

    cell_seconds: float = DEFAULTS["cell_seconds"]  #: wall time per notebook cell
    call_seconds: float = DEFAULTS["call_seconds"]  #: wall time per call of a graded function on one case
    notebook_seconds: float = DEFAULTS["notebook_seconds"]  #: wall time for the whole notebook
    memory_mb: int = DEFAULTS["memory_mb"]  #: address space of each process running student code
    cpu_seconds: int = DEFAULTS["cpu_seconds"]  #: CPU time of the process running one notebook
    file_mb: int = DEFAULTS["file_mb"]  #: largest file student code may write
    disk_mb: int = DEFAULTS["disk_mb"]  #: size of the sandbox's private /tmp (all files together)
    open_files: int = DEFAULTS["open_files"]  #: open file descriptors
    processes: int = DEFAULTS["processes"]  #: processes and threads student code may run at once (honest code needs 1)
    max_notebook_bytes: int = MAX_NOTEBOOK_BYTES  #: larger files are not run

    def worker_limits(self) -> dict:
        """The limits the worker enforces (everything but the file-size cap checked before running)."""
        data = asdict(self)
        data.pop("max_notebook_bytes")
        return data


DEFAULT_LIMITS = Limits().worker_limits()


def available_cores() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def default_workers() -> int:
    """One pool process per core, and one more: a notebook that waits (a sleep, a slow read) then
    leaves no core idle. An extra process costs about 100 MiB."""
    return available_cores() + 1
