"""The kit works the same wherever its virtual environment lives, /tmp included.

A virtual environment under /tmp sits where the sandbox (and the root fallback) put the private
/tmp of student code. Student code must still import what that environment holds, in every
mode, and the clean-up after each notebook must leave it alone (not walk it: that cost 0.25 s a
notebook). The environment here shares this Python's packages (``--system-site-packages``) and
adds a module of its own, which a notebook imports.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent('''
    import sys
    from graders.grade import Grader
    from graders.kit.nbbuild import notebook_bytes, solution_cells
    cell = ("import numpy.testing, numpy.fft, numpy.ma, venv_only_module\\n"
            "raise RuntimeError('REPORT imported=' + venv_only_module.WHERE)")
    with Grader(sandbox=sys.argv[1]) as grader:
        for _ in range(2):
            result = grader.grade_bytes(notebook_bytes(solution_cells() + [cell]), "venv.ipynb")
            print(result.score, [e.message for e in result.events if "REPORT" in e.message or "Error" in e.message])
''')


@pytest.fixture(scope="module")
def tmp_venv():
    folder = Path(tempfile.mkdtemp(prefix="dnngrade-venv-", dir="/tmp"))
    os.chmod(folder, 0o755)
    try:
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(folder / "venv")],
                       check=True, timeout=120)
        python = folder / "venv" / "bin" / "python"
        site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              check=True, capture_output=True, text=True).stdout.strip()
        Path(site, "venv_only_module.py").write_text("WHERE = 'the-venv'\n", encoding="utf-8")
        yield python
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("mode", ["bwrap", "process"])
def test_student_code_imports_from_a_venv_under_tmp(tmp_venv, mode, bwrap_works):
    if mode == "bwrap" and not bwrap_works:
        pytest.skip("bubblewrap is not available here")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    completed = subprocess.run([str(tmp_venv), "-c", SCRIPT, mode], capture_output=True, text=True, cwd=REPO,
                               env=env, timeout=300)
    assert completed.returncode == 0, completed.stderr[-2000:]
    lines = completed.stdout.strip().splitlines()
    assert len(lines) == 2, completed.stdout
    for line in lines:  # the second notebook too: the clean-up after the first left the venv whole
        assert line.startswith("100.0 ") and "REPORT imported=the-venv" in line, line
