"""Who student code runs as, when the worker runs as root: a user id of its own per worker.

Standard library only: the grader imports it to set up sandboxes without loading NumPy.
"""

import os

UID_BASE = 0x50000000  #: user ids of student code (no account uses them): one per worker


def worker_uid(pid, serial=0):
    """A user id of its own for the worker ``pid`` (unique among live processes), so that student
    code of one worker can never signal, trace or share limits with another worker's."""
    return UID_BASE + ((pid & 0x3FFFFF) << 6 | (serial & 0x3F))


def become_user(uid):
    """Switch this child for good to the unprivileged ``uid`` (the worker runs as root)."""
    os.setgroups([])
    if hasattr(os, "setresuid"):
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    else:  # macOS
        os.setgid(uid)
        os.setuid(uid)
