"""Otter interop: the master notebook follows Otter Assign's format, and otter's own tools grade with it."""

import json
import subprocess
import sys
import zipfile

import nbformat
import pytest

from assignments.dnn_step_by_step.mistakes import variant
from graders.assignment import current
from graders.grade import Grader
from graders.kit import bundles, notebooks, release
from graders.portable.casefile import load_cases
from graders.portable.checks import CREDIT_STEPS, step_shares
from graders.scoring import case_credit
from tests.packs import HIDDEN_CASES_PATH, PUBLIC_CASES_PATH

yaml = pytest.importorskip("yaml", reason="PyYAML comes with otter-grader (pip install -e '.[otter]')")

SPEC = current().spec
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
    release.build_release(root / "release", parts=("otter", "solution", "student"))
    otter("assign", "--no-run-tests", bundles.otter_master_name(), str(root / "dist"),
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
    assert config["name"] == notebooks.assignment_name()
    assert bundles.HIDDEN_CASES_NAME in config["autograder_files"]
    assert bundles.HIDDEN_CASES_NAME not in config["files"]


def test_master_has_one_question_per_function_with_a_test_per_case_and_credit_step(master):
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
            call = source.splitlines()[-3]
            tests[current["name"]].append((config["hidden"], call.split('"')[1], call.split('"')[3],
                                           config["points"]))
    assert [q["name"] for q in questions] == list(SPEC.functions)
    shares = step_shares(SPEC.partial_credit)
    for question in questions:
        name = question["name"]
        cases = [(False, case_id) for case_id in public[name]] + [(True, case_id) for case_id in hidden[name]]
        share = SPEC.functions[name].points / len(cases)
        expected = [(flag, case_id, step, share * shares[step]) for flag, case_id in cases for step in CREDIT_STEPS]
        assert tests[name] == expected
        assert sum(points for *_, points in tests[name]) == pytest.approx(SPEC.functions[name].points)


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
    student = nbformat.read(root / "dist" / "student" / bundles.otter_master_name(), as_version=4)
    code = "\n".join(cell["source"] for cell in student["cells"] if cell["cell_type"] == "code")
    assert code.count(notebooks.STUB_START) == len(SPEC.functions)
    assert "np.dot(W, A) + b" not in code and "BEGIN SOLUTION" not in code
    assert "/hidden/" not in json.dumps(student["metadata"])
    assert not (root / "dist" / "student" / bundles.HIDDEN_CASES_NAME).exists()
    with zipfile.ZipFile(zip_path) as bundle:
        assert "files/" + bundles.HIDDEN_CASES_NAME in bundle.namelist()


def test_otter_run_gives_the_solution_full_marks(assigned):
    root, zip_path = assigned
    scores = otter_run(root, zip_path, root / "dist" / "autograder" / bundles.otter_master_name())
    assert scores == {name: (spec.points, spec.points) for name, spec in SPEC.functions.items()}


def test_otter_run_takes_only_the_wrong_functions_points(assigned):
    root, zip_path = assigned
    notebook = nbformat.read(root / "release" / "solution" / release.solution_notebook(), as_version=4)
    (cell,) = [c for c in notebook["cells"] if c["id"] == "fn-" + WRONG_FUNCTION.replace("_", "-")]
    assert "cost = -(" in cell["source"]
    cell["source"] = cell["source"].replace("cost = -(", "cost = (")  # the sign is wrong
    wrong = root / ("fails_%s_sign_flipped.ipynb" % WRONG_FUNCTION)
    nbformat.write(notebook, wrong)
    scores = otter_run(root, zip_path, wrong)
    for name, spec in SPEC.functions.items():
        # wrong values on every case: only the structure-and-shapes share of the partial credit
        expected = spec.points * SPEC.partial_credit["shapes"] if name == WRONG_FUNCTION else spec.points
        assert scores[name] == (pytest.approx(expected), spec.points), name


# -- the same score both ways -------------------------------------------------------------------

PARITY_VARIANTS = (
    "linear_backward.dW_missing_1_over_m",  # wrong values: shapes credit only
    "update_parameters.modifies_callers_arrays",  # right values, changes the caller's arrays
    "linear_forward.elementwise_product",  # L_model_forward and the functions after inherit it
    "linear_forward.cache_order",  # wrong structure
    "initialize_parameters_deep.hard_coded_L",  # wrong structure on deeper networks
)


#: callers that dnngrade grades again with a correct helper, by variant
REGRADED = {
    "linear_backward.dW_missing_1_over_m": {"linear_activation_backward", "L_model_backward"},
    "linear_forward.elementwise_product": {"linear_activation_forward", "L_model_forward"},
    "linear_forward.cache_order": {"linear_activation_forward", "L_model_forward"},
}


#: functions whose wrong cases dnngrade splits over their returned items, by variant
SPLIT = {
    "linear_backward.dW_missing_1_over_m": {"linear_backward"},  # dA_prev and db are right
    "linear_forward.elementwise_product": {"linear_forward"},  # the cache is right
    "linear_forward.cache_order": {"linear_forward"},  # Z is right
    "initialize_parameters_deep.hard_coded_L": {"initialize_parameters_deep"},  # the keys it has are right
}


@pytest.fixture(scope="module")
def grader():
    with Grader() as shared:
        yield shared


@pytest.mark.parametrize("kind", ("solution", "blank") + PARITY_VARIANTS)
def test_otter_and_dnngrade_give_the_same_scores(assigned, grader, kind):
    root, zip_path = assigned
    if kind == "solution":
        data = (root / "release" / "solution" / release.solution_notebook()).read_bytes()
    elif kind == "blank":
        data = (root / "release" / "student" / release.student_notebook()).read_bytes()  # stubs only
    else:  # the solution notebook with one function replaced (it keeps Otter's assignment name)
        mistake = variant(kind)
        notebook = nbformat.read(root / "release" / "solution" / release.solution_notebook(), as_version=4)
        (cell,) = [c for c in notebook["cells"] if c["id"] == "fn-" + mistake.function.replace("_", "-")]
        cell["source"] = mistake.source
        data = nbformat.writes(notebook).encode("utf-8")
    path = root / ("parity_%s.ipynb" % kind.replace(".", "_"))
    path.write_bytes(data)
    graded = grader.grade_bytes(data, path.name).functions
    ours = {f.name: f.score for f in graded}
    theirs = {name: score for name, (score, _) in otter_run(root, zip_path, path).items()}
    # Otter's tests run in the student's kernel, with no correct helper to stand in for a failing
    # one: a caller that dnngrade graded again with a correct helper keeps its first verdict there
    regraded = {f.name for f in graded
                if any("right when given a correct" in note or note.startswith("Graded again with a correct")
                       for note in f.notes)}
    # Otter's tests are one per case and credit step, so they cannot split a case over the items a
    # function returns (`items` in assignment.toml): where dnngrade did, Otter gives no more
    split = {f.name for f in graded if any(c.credit > case_credit(c.rung, SPEC.partial_credit) + 1e-9
                                           for c in f.cases)}
    same = [name for name in ours if name not in regraded | split]
    assert {name: theirs[name] for name in same} == pytest.approx({name: ours[name] for name in same}, abs=1e-4)
    assert all(theirs[name] <= ours[name] + 1e-4 for name in regraded | split)
    if kind in REGRADED:
        assert regraded == REGRADED[kind]
    assert split == SPLIT.get(kind, set())
    if kind != "solution":
        assert sum(ours.values()) < SPEC.total_points
