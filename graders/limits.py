"""Limits on student code: the one place that states them and their defaults."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

from graders.notebook import MAX_NOTEBOOK_BYTES


@dataclass
class Limits:
    """Limits on student code; each can be set from the command line of ``grade`` and ``batch``."""

    cell_seconds: float = 10.0  #: wall time per notebook cell
    call_seconds: float = 5.0  #: wall time per call of a graded function on one case
    notebook_seconds: float = 60.0  #: wall time for the whole notebook
    memory_mb: int = 2048  #: address space of each process running student code
    cpu_seconds: int = 120  #: CPU time of the process running one notebook
    file_mb: int = 16  #: largest file student code may write
    disk_mb: int = 64  #: size of the sandbox's private /tmp (all files together)
    open_files: int = 64  #: open file descriptors
    processes: int = 4  #: processes and threads student code may run at once (honest code needs 1)
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
