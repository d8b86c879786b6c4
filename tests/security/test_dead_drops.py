"""Nothing a notebook leaves behind reaches the next one: System V IPC objects and files in the
machine's shared folders (dead drops), in every mode.

A dropper notebook creates a shared memory segment (64 MB, held outside the child's memory cap
while it exists), a message queue with a message, a semaphore set and a key in its user keyring,
under names made from a secret token, and writes a file named after the token in every
world-writable folder it can. A
finder notebook, graded next on the same warm worker, looks for all of them. After both, no object
with those keys is left on this machine either.
"""

from __future__ import annotations

import os
import secrets

import pytest

from graders.kit.nbbuild import notebook_bytes, solution_cells
from tests.security.support import reports, strong

FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock", "/dev/mqueue")

COMMON = '''
import ctypes, os, platform
libc = ctypes.CDLL(None, use_errno=True)
ADD_KEY, KEYCTL = {"x86_64": (248, 250), "aarch64": (217, 219)}.get(platform.machine(), (None, None))
USER_KEYRING, KEYCTL_SEARCH = -4, 10
KEY = @KEY@
TOKEN = "@TOKEN@"
FOLDERS = @FOLDERS@
IPC_CREAT = 0o1000
'''

DROPPER = COMMON + '''
made = []
shm = libc.shmget(KEY, 64 << 20, IPC_CREAT | 0o666)
if shm >= 0:
    libc.shmat.restype = ctypes.c_void_p
    address = libc.shmat(shm, None, 0)
    if address not in (None, ctypes.c_void_p(-1).value):
        ctypes.memset(address, 1, 64 << 20)
        ctypes.memmove(address, TOKEN.encode(), len(TOKEN))
        made.append("shm")
queue = libc.msgget(KEY + 1, IPC_CREAT | 0o666)
if queue >= 0:
    message = ctypes.create_string_buffer(8 + 32)
    ctypes.memmove(ctypes.addressof(message), (1).to_bytes(8, "little") + TOKEN.encode()[:32], 40)
    if libc.msgsnd(queue, message, 32, 0) == 0:
        made.append("msg")
if libc.semget(KEY + 2, 1, IPC_CREAT | 0o666) >= 0:
    made.append("sem")
if ADD_KEY and libc.syscall(ADD_KEY, b"user", ("drop-" + TOKEN).encode(), TOKEN.encode(), len(TOKEN),
                            USER_KEYRING) >= 0:
    made.append("key")
for folder in FOLDERS:
    try:
        with open(os.path.join(folder, "drop-" + TOKEN), "w") as handle:
            handle.write(TOKEN)
        made.append(folder)
    except OSError:
        pass
raise RuntimeError("REPORT made=%s" % ",".join(made))
'''

FINDER = COMMON + '''
found = []
if libc.shmget(KEY, 0, 0) >= 0:
    found.append("shm")
if libc.msgget(KEY + 1, 0) >= 0:
    found.append("msg")
if libc.semget(KEY + 2, 0, 0) >= 0:
    found.append("sem")
if KEYCTL and libc.syscall(KEYCTL, KEYCTL_SEARCH, USER_KEYRING, b"user", ("drop-" + TOKEN).encode(), 0) >= 0:
    found.append("key")
for folder in FOLDERS:
    if os.path.exists(os.path.join(folder, "drop-" + TOKEN)):
        found.append(folder)
raise RuntimeError("REPORT found=%s" % (",".join(found) or "nothing"))
'''


def host_ipc_keys() -> set[int]:
    keys = set()
    for kind in ("shm", "msg", "sem"):
        try:
            with open("/proc/sysvipc/%s" % kind) as table:
                for line in table.read().splitlines()[1:]:
                    keys.add(int(line.split()[0]))
        except OSError:
            pass
    return keys


def test_nothing_a_notebook_leaves_reaches_the_next_one(grader, mode):
    if not strong(mode):
        pytest.skip("a non-root fallback shares /tmp and the user's keyring with the machine")
    token = secrets.token_hex(8)
    key = 0x5D000000 + int(token[:6], 16)
    def cell(template):
        return template.replace("@KEY@", str(key)).replace("@TOKEN@", token).replace("@FOLDERS@", repr(FOLDERS))

    dropped = reports(grader.grade_bytes(notebook_bytes(solution_cells() + [cell(DROPPER)]), "dropper.ipynb"))
    made = dropped.get("made", "").split(",")
    assert "shm" in made and "msg" in made and "sem" in made, dropped  # the drops themselves worked
    result = grader.grade_bytes(notebook_bytes(solution_cells() + [cell(FINDER)]), "finder.ipynb")
    assert result.score == pytest.approx(100.0)
    found = set(reports(result).get("found", "?").split(",")) - {"nothing"}
    # a grader that is not root maps the sandbox's user to its own: that user's keyring is its own
    allowed = set() if os.geteuid() == 0 else {"key"}
    assert found <= allowed, (mode, made, reports(result))
    assert not {key, key + 1, key + 2} & host_ipc_keys(), "IPC objects outlived their notebook on this machine"
