"""The student and solution notebooks built from the template and reference/dnn.py."""

import ast
import inspect
import re

import nbformat
import numpy as np
import pytest

import reference
import reference.dnn
from graders.kit import notebooks, release
from graders.portable.casefile import decode_value, load_cases
from graders.portable.checks import MSG_NOT_IMPLEMENTED
from tests.packs import PUBLIC_CASES_PATH

# What the seed notebook prints, cell by cell (the solution notebook must print exactly this).
SEED_PRINTS = {
    "demo-initialize-parameters": """\
W1 = [[ 0.01624345 -0.00611756 -0.00528172]
 [-0.01072969  0.00865408 -0.02301539]]
b1 = [[0.]
 [0.]]
W2 = [[ 0.01744812 -0.00761207]]
b2 = [[0.]]
""",
    "demo-initialize-parameters-deep": """\
W1 = [[ 0.01788628  0.0043651   0.00096497 -0.01863493 -0.00277388]
 [-0.00354759 -0.00082741 -0.00627001 -0.00043818 -0.00477218]
 [-0.01313865  0.00884622  0.00881318  0.01709573  0.00050034]
 [-0.00404677 -0.0054536  -0.01546477  0.00982367 -0.01101068]]
b1 = [[0.]
 [0.]
 [0.]
 [0.]]
W2 = [[-0.01185047 -0.0020565   0.01486148  0.00236716]
 [-0.01023785 -0.00712993  0.00625245 -0.00160513]
 [-0.00768836 -0.00230031  0.00745056  0.01976111]]
b2 = [[0.]
 [0.]
 [0.]]
""",
    "demo-linear-activation-forward": """\
With sigmoid: A = [[0.70138767 0.87255611]]
With ReLU: A = [[0.85391458 1.92375077]]
""",
    "demo-axis-keepdims": """\
axis=1 and keepdims=True
[[3]
 [7]]
axis=1 and keepdims=False
[3 7]
axis=0 and keepdims=True
[[4 6]]
axis=0 and keepdims=False
[4 6]
""",
    "demo-linear-backward": """\
dA_prev: [[-1.15171336  0.06718465 -0.3204696   2.09812712]
 [ 0.60345879 -3.72508701  5.81700741 -3.84326836]
 [-0.4319552  -1.30987417  1.72354705  0.05070578]
 [-0.38981415  0.60811244 -1.25938424  1.47191593]
 [-2.52214926  2.67882552 -0.67947465  1.48119548]]
dW: [[ 0.07313866 -0.0976715  -0.87585828  0.73763362  0.00785716]
 [ 0.85508818  0.37530413 -0.59912655  0.71278189 -0.58931808]
 [ 0.97913304 -0.24376494 -0.08839671  0.55151192 -0.10290907]]
db: [[-0.14713786]
 [-0.11313155]
 [-0.13209101]]
""",
}
NOT_IMPLEMENTED = "not implemented yet"  # what the issue asks each unfilled self-check to say


def cells_by_id(notebook):
    return {cell["id"]: cell for cell in notebook["cells"]}


def function_cell(notebook, name):
    return cells_by_id(notebook)["fn-" + name.replace("_", "-")]


def run_function_cells(notebook):
    """Execute every graded-function cell in one namespace with the notebook's imports."""
    namespace = {"np": np, "sigmoid": reference.sigmoid, "relu": reference.relu,
                 "sigmoid_backward": reference.sigmoid_backward, "relu_backward": reference.relu_backward}
    for name in reference.dnn.GRADED_FUNCTIONS:
        exec(compile(function_cell(notebook, name)["source"], "<%s cell>" % name, "exec"), namespace)
    return namespace


def public_cases(name):
    return [case for case in load_cases(PUBLIC_CASES_PATH)["cases"] if case["function"] == name]


@pytest.fixture(scope="module")
def built():
    return {variant: notebooks.build_notebook(variant) for variant in (notebooks.STUDENT, notebooks.SOLUTION)}


# -- structure --------------------------------------------------------------------------------


def test_template_places_every_graded_function_once_in_order():
    template = notebooks.load_template()
    assert [c.name for c in template if c.kind == "function"] == list(reference.dnn.GRADED_FUNCTIONS)
    assert [c.name for c in template if c.kind == "check"] == list(reference.dnn.GRADED_FUNCTIONS)


def test_template_follows_the_seed_outline():
    headings = [line for cell in notebooks.load_template() if cell.kind == "markdown"
                for line in cell.source.splitlines() if line.startswith("## ")]
    assert [h.split(" - ")[-1] for h in headings if " - " in h] == [
        "Packages", "Outline", "Initialisation", "Forward propagation", "The cost", "Backward propagation"]


@pytest.mark.parametrize("variant", [notebooks.STUDENT, notebooks.SOLUTION])
def test_notebook_is_valid_and_deterministic(built, variant):
    text = notebooks.notebook_text(built[variant])
    assert text == notebooks.notebook_text(notebooks.build_notebook(variant))
    notebook = nbformat.reads(text, as_version=4)
    nbformat.validate(notebook)
    assert notebook["nbformat_minor"] == notebooks.NBFORMAT_MINOR
    ids = [cell["id"] for cell in notebook["cells"]]
    assert len(ids) == len(set(ids))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.parametrize("name", reference.dnn.GRADED_FUNCTIONS)
def test_student_stub_keeps_signature_and_docstring_and_hides_the_solution(built, name):
    source = function_cell(built[notebooks.STUDENT], name)["source"]
    stub = ast.parse(source).body[0]
    original = ast.parse(inspect.getsource(getattr(reference.dnn, name))).body[0]
    assert ast.dump(stub.args) == ast.dump(original.args)
    assert ast.get_docstring(stub) == ast.get_docstring(original)
    assert re.search(r"\n    %s\n\n    %s\n" % (notebooks.STUB_START, notebooks.STUB_END), source)
    solution = notebooks.extract_functions()[name]
    for line in solution.body:
        if line.strip() and not line.strip().startswith("#"):
            assert line not in source.splitlines(), "the stub of %s shows %r" % (name, line)


@pytest.mark.parametrize("name", reference.dnn.GRADED_FUNCTIONS)
def test_unfilled_stub_returns_nothing_but_nones(built, name):
    stub = run_function_cells(built[notebooks.STUDENT])[name]
    for case in public_cases(name):
        value = stub(*decode_value(case["args"]))
        assert value is None or (isinstance(value, tuple) and all(item is None for item in value))


@pytest.mark.parametrize("name", reference.dnn.GRADED_FUNCTIONS)
def test_solution_cell_is_the_reference_function(built, name):
    source = function_cell(built[notebooks.SOLUTION], name)["source"]
    assert notebooks.BEGIN_SOLUTION not in source and notebooks.STUB_START not in source
    function = run_function_cells(built[notebooks.SOLUTION])[name]
    for case in public_cases(name):
        if case["seed"] is not None:
            np.random.seed(case["seed"])
        got = function(*decode_value(case["args"]))
        if case["seed"] is not None:
            np.random.seed(case["seed"])
        expected = getattr(reference.dnn, name)(*decode_value(case["args"]))
        assert repr(got) == repr(expected)


def test_solution_notebook_imports_helpers_from_dnn_utils_not_the_reference(built):
    cells = built[notebooks.SOLUTION]["cells"]
    code = "\n".join(cell["source"] for cell in cells if cell["cell_type"] == "code")
    assert "from dnn_utils import sigmoid, sigmoid_backward, relu, relu_backward" in code
    assert "reference" not in code and "dnn_check" not in code


def test_expected_outputs_in_the_text_are_the_seed_values():
    template = {cell.name: cell for cell in notebooks.load_template()}
    for demo, printed in SEED_PRINTS.items():
        expected_cell = template.get("expected-" + demo[len("demo-"):])
        if expected_cell is None:  # the axis/keepdims demo has no expected-output cell
            continue
        block = re.search(r"```\n(.*?)```", expected_cell.source, re.DOTALL).group(1)
        assert block == printed


def test_kept_notebooks_are_what_the_template_builds():
    assert release.stale_kept() == []


# -- executed with a real kernel --------------------------------------------------------------


def execute(path, allow_errors=False):
    nbclient = pytest.importorskip("nbclient", reason="executing notebooks needs nbclient (the dev extra)")
    pytest.importorskip("ipykernel", reason="executing notebooks needs ipykernel (the dev extra)")
    notebook = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=allow_errors,
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    return notebook


def stream_text(cell):
    return "".join(output.get("text", "") for output in cell["outputs"] if output["output_type"] == "stream")


@pytest.fixture(scope="module")
def release_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("release")
    release.build_release(root, parts=("student", "solution"))
    return root


def test_solution_notebook_runs_and_prints_the_seed_values(release_dir):
    notebook = execute(release_dir / "solution" / release.solution_notebook())
    cells = cells_by_id(notebook)
    for cell in notebook["cells"]:
        assert not [o for o in cell.get("outputs", []) if o["output_type"] == "error"], cell["id"]
    printed = {cell_id: stream_text(cell) for cell_id, cell in cells.items() if cell["cell_type"] == "code"}
    assert {cell_id: text for cell_id, text in printed.items() if text} == SEED_PRINTS


def test_student_notebook_runs_and_every_check_says_not_implemented(release_dir):
    assert NOT_IMPLEMENTED in MSG_NOT_IMPLEMENTED
    notebook = execute(release_dir / "student" / release.student_notebook())
    checks = [cell for cell in notebook["cells"] if cell["id"].startswith("check-")]
    assert len(checks) == len(reference.dnn.GRADED_FUNCTIONS)
    for cell in notebook["cells"]:
        assert not [o for o in cell.get("outputs", []) if o["output_type"] == "error"], cell["id"]
    for cell in checks:
        (output,) = cell["outputs"]
        text = output["data"]["text/plain"]
        assert NOT_IMPLEMENTED in text and "Traceback" not in text
        assert "text/html" in output["data"]
        assert len(text.splitlines()) == 1



def test_self_check_in_a_kernel_shows_the_students_line_the_likely_mistake_and_what_to_fix_first(
        release_dir, tmp_path):
    """The self-check gives the grader's diagnosis and dependency hint, and points at the cell line."""
    from assignments.dnn_step_by_step.mistakes import variant
    from graders.portable.likely import MSG_DEPENDENCY
    from graders.portable.selfcheck import MSG_YOUR_LINE

    solution = nbformat.read(release_dir / "solution" / release.solution_notebook(), as_version=4)
    student = nbformat.read(release_dir / "student" / release.student_notebook(), as_version=4)
    for name in reference.dnn.GRADED_FUNCTIONS:  # a student who solved everything ...
        function_cell(student, name)["source"] = function_cell(solution, name)["source"]
    solution = student  # ... but two functions
    missing_m = variant("linear_backward.dW_missing_1_over_m")
    function_cell(solution, "linear_backward")["source"] = missing_m.source
    function_cell(solution, "linear_forward")["source"] = (
        "def linear_forward(A, W, b):\n"
        "    cache = (A, W, b)\n"
        "    Z = np.dot(A, W) + b  # the wrong order\n"
        "    return Z, cache\n")
    path = release_dir / "student" / "broken.ipynb"
    nbformat.write(solution, path)
    cells = cells_by_id(execute(path, allow_errors=True))  # the example cells call the broken code

    def shown(name):
        (output,) = cells["check-" + name.replace("_", "-")]["outputs"]
        return output["data"]["text/plain"]

    raised = shown("linear_forward")
    assert "Traceback" not in raised
    your_line = MSG_YOUR_LINE.split("{")[0]
    line = next(text for text in raised.splitlines() if text.startswith(your_line))
    assert re.search(r"In \[\d+\], line 3:  Z = np\.dot\(A, W\) \+ b", line), line
    assert "Likely mistake: " + missing_m.diagnosis in shown("linear_backward")
    assert MSG_DEPENDENCY.format(name="linear_activation_backward", dependency="linear_backward") in shown(
        "linear_activation_backward")
    assert "passes its" in shown("compute_cost")
