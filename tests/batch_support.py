"""Helpers shared by the batch, Dask and interruption tests: small batches built from the samples."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from graders.assignment import current
from graders.batch.gradebook import GradingContext
from graders.grade import Limits
from graders.result import CaseResult, FunctionResult, GradeResult
from tools.samples import EXPECTED, ROSTER, SAMPLES_DIR, SUBMISSIONS, graded_samples

REPO = Path(__file__).resolve().parent.parent
SAMPLE_SUBMISSIONS = SAMPLES_DIR / SUBMISSIONS
SAMPLE_ROSTER = SAMPLES_DIR / ROSTER
SAMPLE_EXPECTED = SAMPLES_DIR / EXPECTED
#: short time limits: the infinite-loop sample then costs seconds, not half a minute; grades are the same
FAST = Limits(cell_seconds=5, call_seconds=1, notebook_seconds=30)
FAST_OPTIONS = ["--cell-timeout", "5", "--call-timeout", "1", "--notebook-timeout", "30"]
SLOW_SAMPLES = {"infinite_loop_in_update_parameters"}
CONTEXT = GradingContext("0.1.0", "c" * 64)


def graded(name: str, lose: dict) -> GradeResult:
    """A made-up graded result losing ``lose[function]`` points, with one failing case per such function."""
    spec = current().spec
    functions = []
    for fname, fspec in spec.functions.items():
        lost = lose.get(fname, 0.0)
        case = CaseResult(fname + "/public/1", "public", "example", "values" if lost else "passed", not lost,
                          0.2 if lost else 1.0, ("%s: the values are wrong." % fname) if lost else "passed")
        functions.append(FunctionResult(fname, fspec.points - lost, fspec.points, [case]))
    return GradeResult(submission=name, score=sum(f.score for f in functions), max_score=spec.total_points,
                       functions=functions, execution_time=0.1, sandbox="bwrap")


def quick_samples() -> list:
    """The samples that grade in well under a second (all but the infinite loop)."""
    return [s for s in graded_samples() if s.student_id not in SLOW_SAMPLES]


def copy_samples(dest: Path, samples=None) -> Path:
    """Copy sample submissions (default: the quick ones) into ``dest``, keeping their layout."""
    for sample in samples if samples is not None else quick_samples():
        target = dest / sample.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SAMPLE_SUBMISSIONS / sample.path, target)
    return dest


def sleepy_batch(dest: Path, count: int, seconds: float) -> Path:
    """``count`` readable notebooks (cycling through the quick samples), each with a cell that sleeps.

    Sleeping slows the batch down without changing any grade, so a test can stop it part-way.
    """
    readable = [s for s in quick_samples()
                if s.status == "graded" and "/" not in s.path and s.student_id != "correct_nbformat3"]
    dest.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        sample = readable[index % len(readable)]
        notebook = json.loads((SAMPLE_SUBMISSIONS / sample.path).read_bytes())
        cell = {"cell_type": "code", "execution_count": None, "id": "sleep", "metadata": {}, "outputs": [],
                "source": ["import time\n", "time.sleep(%g)\n" % seconds]}
        notebook["cells"].insert(1, cell)
        name = "student%03d_%s.ipynb" % (index, sample.student_id)
        (dest / name).write_text(json.dumps(notebook, sort_keys=True, indent=1), encoding="utf-8")
    return dest


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def cli_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def dnngrade(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """Run ``dnngrade ARGS`` in a fresh Python process."""
    return subprocess.run([sys.executable, "-m", "graders.cli", *args], cwd=REPO, env=cli_env(),
                          capture_output=True, text=True, timeout=300, **kwargs)
