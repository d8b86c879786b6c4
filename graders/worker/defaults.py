"""The default limits on student code, stated once.

:class:`graders.sandbox.limits.Limits` takes its defaults from here, and the worker (which imports nothing
outside ``graders/worker`` and ``graders/portable``) falls back on them for any limit a run leaves
out, so a run sent without limits is held to the defaults, never to none.
"""

DEFAULTS: dict = {
    "cell_seconds": 10.0,  # wall time per notebook cell
    "call_seconds": 5.0,  # wall time per call of a graded function on one case
    "notebook_seconds": 60.0,  # wall time for the whole notebook
    "memory_mb": 2048,  # address space of each process running student code
    "cpu_seconds": 120,  # CPU time of the process running one notebook
    "file_mb": 16,  # largest file student code may write
    "disk_mb": 64,  # size of the sandbox's private /tmp (all files together)
    "open_files": 64,  # open file descriptors
    "processes": 4,  # processes and threads student code may run at once (honest code needs 1)
}


def limit(limits, name):
    """The run's limit ``name``, or its default when the run does not give a usable one (a number
    above 0)."""
    value = limits.get(name) if isinstance(limits, dict) else None
    default = DEFAULTS[name]
    if type(value) not in (int, float) or not value > 0:
        return default
    return type(default)(value)
