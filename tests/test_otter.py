"""Otter interop: the master notebook follows Otter Assign's format, and otter's own tools grade with it."""

import json
import subprocess
import sys
import zipfile

import nbformat
import pytest

from graders.portable.casefile import load_cases
from graders.spec import HIDDEN_CASES_PATH, PUBLIC_CASES_PATH, load_spec
from tools import bundles, notebooks, release

yaml = pytest.importorskip("yaml", reason="PyYAML comes with otter-grader (pip install -e '.[otter]')")

SPEC = load_spec()
WRONG_FUNCTION = "compute_cost"  # no graded function calls it, so only its own points can be lost


def otter(*args, cwd):
    pytest.importorskip("otter", reason="otter-grader is not installed (pip install -e '.[otter]')")
    completed = subprocess.run([sys.executable, "-m", "otter", *args], cwd=cwd, capture_output=True,
                               text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return completed


def cases_by_function(path):
    found = {}
    for case in load_cases(path)["cases"]:
        found.setdefault(case["function"], []).append(case["id"])
    return found


@pytest.fixture(scope="module")
def master():
    return bundles.build_otter_master()


@pytest.fixture(scope="module")
def assigned(tmp_path_factory):
    """A release's otter/ and solution/ parts, and what `otter assign` made of the master."""
    root = tmp_path_factory.mktemp("otter")
    release.build_release(root / "release", parts=("otter", "solution"))
    otter("assign", "--no-run-tests", bundles.OTTER_MASTER_NAME, str(root / "dist"),
          cwd=root / "release" / "otter")
    (zip_path,) = (root / "dist" / "autograder").glob("*.zip")
    return root, zip_path


def otter_run(root, zip_path, notebook_path):
    out = root / ("run-" + notebook_path.stem)
    out.mkdir()
    otter("run", "-a", str(zip_path), "-o", str(out), "--no-logo", str(notebook_path), cwd=out)
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return {test["name"]: (test["score"], test["max_score"]) for test in results["tests"]
            if test.get("max_score") is not None}


# -- the master notebook ----------------------------------------------------------------------


def test_master_starts_with_the_assignment_config(master):
    first = master["cells"][0]
    assert first["cell_type"] == "raw" and first["source"].startswith("# ASSIGNMENT CONFIG")
    config = yaml.safe_load(first["source"])
    assert config["name"] == notebooks.ASSIGNMENT_NAME
    assert bundles.HIDDEN_CASES_NAME in config["autograder_files"]
    assert bundles.HIDDEN_CASES_NAME not in config["files"]


def test_master_has_one_question_per_function_with_a_test_per_case(master):
    public, hidden = cases_by_function(PUBLIC_CASES_PATH), cases_by_function(HIDDEN_CASES_PATH)
    questions, current, tests = [], None, {}
    for cell in master["cells"]:
        source = cell["source"]
        if cell["cell_type"] == "raw" and source.startswith("# BEGIN QUESTION"):
            current = yaml.safe_load(source)
            questions.append(current)
            tests[current["name"]] = []
        elif cell["cell_type"] == "code" and source.startswith('""" # BEGIN TEST CONFIG'):
            config = yaml.safe_load(source.split('"""')[1].replace("# BEGIN TEST CONFIG", ""))
            tests[current["name"]].append((config["hidden"], source.splitlines()[-1]))
    assert [q["name"] for q in questions] == list(SPEC.functions)
    for question in questions:
        name = question["name"]
        assert question["points"] == SPEC.functions[name].points
        expected = ([(False, case_id) for case_id in public[name]]
                    + [(True, case_id) for case_id in hidden[name]])
        assert [(flag, line.split('"')[1]) for flag, line in tests[name]] == expected


def test_master_solution_cells_carry_otters_markers_and_our_stub_as_prompt(master):
    sources = [cell["source"] for cell in master["cells"] if cell["id"].startswith("fn-")]
    assert len(sources) == len(SPEC.functions)
    for source in sources:
        assert "# BEGIN SOLUTION NO PROMPT" in source and "# END SOLUTION" in source
        assert '""" # BEGIN PROMPT' in source and notebooks.STUB_START in source


def test_master_has_no_self_check_cells(master):
    assert not [cell for cell in master["cells"] if "dnn_check import check" in cell["source"]]


# -- otter's own tools --------------------------------------------------------------------------


def test_otter_assign_makes_a_student_notebook_with_our_stubs_and_no_hidden_tests(assigned):
    root, zip_path = assigned
    student = nbformat.read(root / "dist" / "student" / bundles.OTTER_MASTER_NAME, as_version=4)
    code = "\n".join(cell["source"] for cell in student["cells"] if cell["cell_type"] == "code")
    assert code.count(notebooks.STUB_START) == len(SPEC.functions)
    assert "np.dot(W, A) + b" not in code and "BEGIN SOLUTION" not in code
    assert "/hidden/" not in json.dumps(student["metadata"])
    assert not (root / "dist" / "student" / bundles.HIDDEN_CASES_NAME).exists()
    with zipfile.ZipFile(zip_path) as bundle:
        assert "files/" + bundles.HIDDEN_CASES_NAME in bundle.namelist()


def test_otter_run_gives_the_solution_full_marks(assigned):
    root, zip_path = assigned
    scores = otter_run(root, zip_path, root / "dist" / "autograder" / bundles.OTTER_MASTER_NAME)
    assert scores == {name: (spec.points, spec.points) for name, spec in SPEC.functions.items()}


def test_otter_run_takes_only_the_wrong_functions_points(assigned):
    root, zip_path = assigned
    notebook = nbformat.read(root / "release" / "solution" / release.SOLUTION_NOTEBOOK, as_version=4)
    (cell,) = [c for c in notebook["cells"] if c["id"] == "fn-" + WRONG_FUNCTION.replace("_", "-")]
    assert "cost = -(" in cell["source"]
    cell["source"] = cell["source"].replace("cost = -(", "cost = (")  # the sign is wrong
    wrong = root / ("fails_%s_sign_flipped.ipynb" % WRONG_FUNCTION)
    nbformat.write(notebook, wrong)
    scores = otter_run(root, zip_path, wrong)
    for name, spec in SPEC.functions.items():
        expected = 0 if name == WRONG_FUNCTION else spec.points
        assert scores[name] == (expected, spec.points), name
