"""The Gradescope zip in a Docker-like container (root, no namespaces, Docker's capabilities).

There neither bubblewrap nor the worker's own mount namespace can start. The kit must still grade
honest notebooks, must never let student code read the kit, the solution or the hidden cases
(``/autograder/source``), must never run it as root, and ``run_autograder`` must never hand
Gradescope a ``results.json`` that the grader did not write. See :mod:`tests.security.container`.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from graders.assignment import current
from graders.kit import bundles
from graders.kit.nbbuild import edited_source, import_cell, notebook_bytes, solution_cells
from graders.worker.isolation import _blocked_ancestor
from tests.security.container import supported
from tests.test_gradescope_bundle import autograder_tree

REPO_ROOT = Path(__file__).resolve().parents[2]
FORGED = "forged-by-the-student"
IMPORT_CELL = import_cell()  # the import cell of the pack under test

pytestmark = pytest.mark.skipif(supported() is not None, reason="no Docker-like container here: %s" % supported())

#: every way a notebook could reach the solution in the container; what it finds, it runs
THEFT_CELL = '''
import glob, importlib, os, sys
ROOT = %r
stolen, tried = None, []
for name in ("reference.dnn", "reference"):
    try:
        module = importlib.import_module(name)
        stolen = open(module.__file__).read()
        break
    except Exception as error:
        tried.append("import %%s: %%s" %% (name, type(error).__name__))
patterns = [ROOT + "/source/kit/reference/dnn.py", ROOT + "/source/**/dnn.py", %r]
patterns += [os.path.join(entry, "reference", "dnn.py") for entry in sys.path if entry]
for pattern in patterns:
    for path in glob.glob(pattern, recursive=True):
        try:
            stolen = stolen or open(path).read()
        except OSError as error:
            tried.append("%%s: %%s" %% (path, error.strerror))
cases = []
for path in glob.glob(ROOT + "/source/**/*.json", recursive=True):
    try:
        cases.append(len(open(path).read()))
    except OSError:
        pass
try:
    listing = os.listdir(ROOT + "/source")
except OSError:
    listing = []
if stolen:
    exec(compile(stolen, "stolen", "exec"), globals())
said = "theft: %%s; cases read: %%s; source listed: %%s; tried: %%s" %% (bool(stolen), cases, listing, tried)
raise RuntimeError(said)
'''

FORGERY_CELL = '''
import json, os, signal
ROOT = %r
for path in (ROOT + "/results/results.json", ROOT + "/results/forged.json"):
    try:
        with open(path, "w") as handle:
            json.dump({"score": 100.0, "output": %r, "tests": []}, handle)
    except OSError:
        pass
# stop the grader (its parent, and every process running the kit's command line); not kill(-1),
# which as root would stop this whole machine, should the kit ever run student code as root again
targets = [os.getppid()]
for pid in os.listdir("/proc"):
    try:
        with open("/proc/%%s/cmdline" %% pid, "rb") as handle:
            command = handle.read()
        if b"graders.cli" in command or b"graders.worker" in command:
            targets.append(int(pid))
    except (OSError, ValueError):
        pass
for target in targets:
    try:
        os.kill(target, signal.SIGKILL)
    except OSError:
        pass
'''


@pytest.fixture(scope="module")
def archive():
    return bundles.build_gradescope_zip()


@pytest.fixture
def world_readable_base():
    """A base folder others may enter, as ``/`` is in a container (pytest's own is private)."""
    base = Path(tempfile.mkdtemp(prefix="dnngrade-container-"))
    os.chmod(base, 0o755)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def private_python_folders() -> list[str]:
    """Folders other users cannot enter that hold this Python (as /root holds a pyenv install)."""
    paths = [sys.prefix, sys.base_prefix, os.path.realpath(sys.executable)] + [p for p in sys.path if p]
    return sorted({_blocked_ancestor(path) for path in paths} - {None})


def everything_said(results) -> str:
    """The whole text of a results.json: its output and every test's."""
    return "\n".join([results.get("output", "")] + [test.get("output", "") for test in results.get("tests", [])])


def grade_in_container(base, archive, cells, open_python=True):
    notebook = base / "submission.ipynb"
    notebook.write_bytes(notebook_bytes(cells))
    root = autograder_tree(base, archive, notebook)
    os.chmod(base / "autograder", 0o755)
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "DNNGRADE_HIDE")}
    env.update(AUTOGRADER_ROOT=str(root), DNNGRADE_PYTHON=sys.executable)
    wrapper = [sys.executable, "-m", "tests.security.container", "--cover", str(REPO_ROOT)]
    for folder in private_python_folders() if open_python else []:
        wrapper += ["--open-folder", folder]
    completed = subprocess.run(wrapper + ["--", str(root / "source" / "run_autograder")], env=env,
                               cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-2000:]
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    return results, root, completed


def test_the_container_grades_an_honest_notebook_without_a_sandbox(world_readable_base, archive):
    results, _, _ = grade_in_container(world_readable_base, archive, solution_cells())
    assert results["score"] == pytest.approx(100.0), results.get("output")
    assert "strong sandbox off" in everything_said(results)


def test_the_container_grades_callers_again_with_a_correct_helper(world_readable_base, archive):
    """The stand-ins' channel works here too: one wrong db costs only linear_backward's db share."""
    spec = current().spec
    cells = solution_cells({"linear_backward": edited_source("linear_backward", "axis=1, keepdims=True", "axis=1")})
    results, _, _ = grade_in_container(world_readable_base, archive, cells)
    lost = spec.functions["linear_backward"].points * spec.functions["linear_backward"].items["db"]
    assert results["score"] == pytest.approx(100.0 - lost), results.get("output")
    scores = {test["name"]: test["score"] for test in results["tests"]}
    assert scores["L_model_backward"] == spec.functions["L_model_backward"].points


def test_student_code_cannot_reach_the_solution_or_the_cases(world_readable_base, archive):
    base = world_readable_base
    root = base / "autograder"
    cells = [IMPORT_CELL, THEFT_CELL % (str(root), str(REPO_ROOT) + "/reference/dnn.py")]
    results, root, _ = grade_in_container(base, archive, cells)
    said = everything_said(results)
    assert results["score"] == 0, "student code ran the stolen solution: %s" % said[:2000]
    assert "could not finish" not in said and "theft: False; cases read: []; source listed: []" in said, said[-3000:]
    # the grader can still read what it hid, and the zip's copy is whole
    assert (root / "source" / "kit" / "reference" / "dnn.py").read_text(encoding="utf-8")


def test_student_code_cannot_write_the_results_or_stop_the_grader(world_readable_base, archive):
    root = world_readable_base / "autograder"
    results, root, _ = grade_in_container(world_readable_base, archive,
                                          [IMPORT_CELL, FORGERY_CELL % (str(root), FORGED)])
    assert FORGED not in json.dumps(results) and results["score"] == 0, results
    assert not (root / "results" / "forged.json").exists()
    assert results["tests"], "the grader's own results, one test per function"


@pytest.mark.skipif(not private_python_folders(), reason="this Python is readable by every user")
def test_python_only_root_can_read_is_refused_not_run_as_root(world_readable_base, archive):
    root = world_readable_base / "autograder"
    results, root, _ = grade_in_container(world_readable_base, archive,
                                          solution_cells() + [FORGERY_CELL % (str(root), FORGED)],
                                          open_python=False)
    assert FORGED not in json.dumps(results)
    assert results["score"] == 0
    said = everything_said(results)
    assert "would have to run as root" in said and "Install Python where every user" in said, said[-3000:]


GRADE_TWO = """
import json, sys
from graders.grade import Grader

with Grader(sandbox="process") as grader:
    results = [grader.grade_path(path) for path in sys.argv[1:]]
print(json.dumps([[event.message for event in result.events] for result in results]))
"""


def test_nothing_one_notebook_leaves_reaches_the_next_in_the_container(world_readable_base, archive):
    """Two notebooks on one warm worker in the container: the dead drops of tests/security/
    test_dead_drops.py (IPC objects, keyring, files in shared folders) do not reach the second.
    Docker's root may not remove other users' IPC objects: the worker does it as their creator."""
    from tests.security.test_dead_drops import DROPPER, FINDER, FOLDERS

    token = secrets.token_hex(8)
    key = 0x5D000000 + int(token[:6], 16)

    def cell(template):
        return template.replace("@KEY@", str(key)).replace("@TOKEN@", token).replace("@FOLDERS@", repr(FOLDERS))

    base = world_readable_base
    root = autograder_tree(base, archive)
    paths = []
    for name, template in (("dropper", DROPPER), ("finder", FINDER)):
        paths.append(base / ("%s.ipynb" % name))
        paths[-1].write_bytes(notebook_bytes(solution_cells() + [cell(template)]))
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "DNNGRADE_HIDE")}
    env.update(PYTHONPATH=str(root / "source" / "kit"), DNNGRADE_HIDE=str(root / "source"))
    wrapper = [sys.executable, "-m", "tests.security.container", "--cover", str(REPO_ROOT)]
    for folder in private_python_folders():
        wrapper += ["--open-folder", folder]
    completed = subprocess.run(wrapper + ["--", sys.executable, "-c", GRADE_TWO] + [str(p) for p in paths], env=env,
                               cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-2000:]
    dropped, found = json.loads(completed.stdout.strip().splitlines()[-1])
    assert any("made=shm,msg,sem" in message for message in dropped), dropped  # the drops were made
    assert any("REPORT found=nothing" in message for message in found), found
