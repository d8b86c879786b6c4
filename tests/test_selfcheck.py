"""The students' self-check as shipped: a byte-for-byte copy of the grader's portable core, NumPy only."""

import hashlib
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from assignments.dnn_step_by_step.mistakes import correct_variants, variant, wrong_variants
from graders.kit import bundles, release
from graders.portable import checks, selfcheck
from graders.portable.likely import MSG_DIAGNOSIS
from tests.packs import PUBLIC_CASES_PATH


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("release")
    release.build_release(root, parts=("student",))
    return root / "student"


def run_in_bundle(folder, code):
    """Run ``code`` with plain Python (no IPython) in ``folder``: it sees the bundle and site-packages."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    completed = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=folder, env=env,
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_shipped_dnn_check_is_byte_identical_to_graders_portable(student_dir):
    shipped = {path.name: sha256(path) for path in (student_dir / bundles.SELFCHECK_PACKAGE).glob("*.py")}
    portable = {path.name: sha256(path) for path in bundles.PORTABLE_DIR.glob("*.py")}
    assert shipped == portable
    assert "__init__.py" in shipped


def test_shipped_cases_are_the_public_cases_and_nothing_hidden(student_dir):
    shipped = student_dir / bundles.SELFCHECK_PACKAGE / selfcheck.PUBLIC_CASES_NAME
    assert shipped.read_bytes() == PUBLIC_CASES_PATH.read_bytes()
    assert {case["visibility"] for case in json.loads(shipped.read_text())["cases"]} == {"public"}
    for path in student_dir.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".json", ".ipynb"):
            assert "/hidden/" not in path.read_text(encoding="utf-8"), path


def test_unfilled_notebook_checks_say_not_implemented_and_load_only_numpy(student_dir):
    output = run_in_bundle(student_dir, """
        import json, sys
        before = set(sys.modules)
        notebook = json.load(open("dnn_step_by_step.ipynb"))
        namespace = {}
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code":
                exec(cell["source"], namespace)
        loaded = {name.split(".")[0] for name in set(sys.modules) - before}
        extension_internals = {name for name in loaded if name.startswith(("_cython", "cython_runtime"))}
        print("MODULES", sorted(loaded - set(sys.stdlib_module_names) - extension_internals))
    """)
    lines = output.splitlines()
    verdicts = [line for line in lines if line.startswith(("\u2714", "\u2718"))]
    assert len(verdicts) == 10
    assert all("not implemented yet" in line for line in verdicts)
    assert "Traceback" not in output
    modules = eval(lines[-1].split(" ", 1)[1])
    assert set(modules) <= {"numpy", "dnn_check", "dnn_utils"}


def test_correct_functions_pass_with_a_one_line_success(student_dir):
    output = run_in_bundle(student_dir, """
        import sys
        sys.path.insert(0, %r)
        import reference
        from dnn_check import check
        for name in reference.GRADED_FUNCTIONS:
            check(getattr(reference, name))
    """ % str(bundles.REPO_ROOT))
    lines = output.splitlines()
    assert len(lines) == 10
    head = selfcheck.MSG_SUCCESS.split("{")[0]
    assert all(line.startswith(head) and "passes its" in line for line in lines)


def test_student_errors_give_the_graders_message_without_a_traceback(student_dir):
    output = run_in_bundle(student_dir, """
        import numpy as np
        from dnn_check import check

        def linear_forward(A, W, b):
            return np.dot(A, W) + b, (A, W, b)      # shapes do not fit: raises

        def linear_backward(dZ, cache):
            A_prev, W, b = cache
            return np.dot(W.T, dZ), np.dot(dZ, A_prev.T), np.sum(dZ, axis=1, keepdims=True)  # no 1/m

        check(linear_forward)
        check(linear_backward)
    """)
    assert "Traceback" not in output
    raised, wrong = output.split("\n\u2718 ")
    assert raised.startswith("\u2718 linear_forward, case 1 of 2")
    message = checks.MSG_RAISED.format(name="linear_forward", args="A, W, b", error="ValueError", shapes="")
    assert message[:40] in raised
    assert raised.splitlines()[-1] == "  Your line, string, line 6"  # python -c keeps no source to show
    assert wrong.startswith("linear_backward, case 1 of 2")
    assert checks.MSG_VALUES_PUBLIC.split("{path}")[1].split("\n")[0] in wrong  # " has the wrong values."
    assert MSG_DIAGNOSIS.format(sentence=variant("linear_backward.both_missing_1_over_m").diagnosis) in wrong


def test_report_renders_as_text_and_html():
    report = selfcheck.CheckReport("linear_forward", False, "\u2718 <b> & not implemented yet")
    assert repr(report) == report.text
    html = report._repr_html_()
    assert html.startswith("<pre") and "&lt;b&gt; &amp;" in html


def test_self_check_names_each_known_mistake_as_the_grader_does():
    """Every wrong variant the public case file has evidence for is named by the self-check, with
    the grader's sentence; the file has evidence for nearly all of them (values with NaN or
    infinity cannot be stored as case-file JSON)."""
    from graders.diagnosis import variant_function

    stored = json.loads(PUBLIC_CASES_PATH.read_text())["likely_mistakes"]
    assert len(stored) >= 0.95 * len(wrong_variants())
    for entry in stored:
        mistake = variant(entry["id"])
        report = selfcheck.run_public_cases(variant_function(mistake), PUBLIC_CASES_PATH)
        assert not report.ok
        assert MSG_DIAGNOSIS.format(sentence=mistake.diagnosis) in report.text, (mistake.id, report.text)


def test_self_check_of_a_right_answer_names_no_mistake():
    from graders.diagnosis import variant_function

    for alternative in correct_variants():
        report = selfcheck.run_public_cases(variant_function(alternative), PUBLIC_CASES_PATH)
        assert report.ok and "Likely" not in report.text, alternative.id


@pytest.mark.parametrize("variant_id, template", [
    ("update_parameters.rebinds_callers_dict", checks.MSG_MUTATED_REBOUND),
    ("update_parameters.modifies_callers_arrays", checks.MSG_MUTATED_IN_PLACE),
    ("update_parameters.pre_w4a1_template_updates_callers_dict", None),
    ("update_parameters.pre_w4a1_in_place", None),
])
def test_changing_the_callers_parameters_is_a_mistake_only_under_the_w4a1_signature(variant_id, template):
    """Before W4A1 the signature says `parameters` and the template updates the caller's dict;
    W4A1's `params` template starts from a copy. The message says which change the code made."""
    from graders.diagnosis import variant_function

    report = selfcheck.run_public_cases(variant_function(variant(variant_id)), PUBLIC_CASES_PATH)
    if template is None:
        assert report.ok, report.text
    else:
        assert not report.ok and template.split("{")[1].split("}", 1)[1][:25] in report.text, report.text


def test_self_check_blames_a_helper_only_when_the_function_calls_it():
    namespace = {"np": np}
    exec(textwrap.dedent('''
        def linear_forward(A, W, b):
            return np.dot(W, A), (A, W, b)  # no + b: wrong

        def linear_activation_forward(A_prev, W, b, activation):
            Z = np.dot(W, A_prev) - b  # its own mistake, and it never calls linear_forward
            A = 1 / (1 + np.exp(-Z)) if activation == "sigmoid" else np.maximum(0, Z)
            return A, ((A_prev, W, b), Z)
    '''), namespace)
    report = selfcheck.run_public_cases(namespace["linear_activation_forward"], PUBLIC_CASES_PATH)
    assert not report.ok and "calls linear_forward" not in report.text, report.text
