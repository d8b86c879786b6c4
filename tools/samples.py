"""Generate the sample submissions: a small batch of notebooks with known grades.

The batch mixes correct notebooks, notebooks with one deliberate mistake, stubs, and files that
cannot be read at all, in the layouts an instructor downloads (flat ``<student>.ipynb`` files,
a Canvas download name, one folder per student as Gradescope and Moodle give them). Every
notebook is built from ``reference/dnn.py`` with ``inspect.getsource``; a mistake is a textual
replacement inside one function, which must match exactly once so that a change in the reference
fails loudly here instead of silently producing a correct "wrong" sample.

``expected_grades.csv`` states the grade each sample should get; the tests grade the batch and
compare. Output is byte-identical from run to run.

    python -m tools.samples            # (re)write assignments/dnn_step_by_step/samples/
    python -m tools.samples --check    # fail, naming the files, if the stored samples are stale
"""

from __future__ import annotations

import argparse
import csv
import inspect
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import reference.dnn as dnn
from graders.errors import report_stale

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "assignments" / "dnn_step_by_step" / "samples"
SUBMISSIONS = "submissions"
ROSTER = "roster.csv"
EXPECTED = "expected_grades.csv"
POINTS = {  # mirrors assignment.toml; test_samples_expected_totals checks the two agree
    "initialize_parameters": 5.0,
    "initialize_parameters_deep": 10.0,
    "linear_forward": 10.0,
    "linear_activation_forward": 10.0,
    "L_model_forward": 15.0,
    "compute_cost": 10.0,
    "linear_backward": 10.0,
    "linear_activation_backward": 10.0,
    "L_model_backward": 15.0,
    "update_parameters": 5.0,
}
IMPORTS = (
    "import numpy as np\n"
    "\n"
    "from dnn_utils import sigmoid, sigmoid_backward, relu, relu_backward\n"
    "\n"
    "np.random.seed(1)\n"
)
SELFCHECK_IMPORT = "from dnn_check import check\n"
STUB_BODY = "    # YOUR CODE STARTS HERE\n\n    # YOUR CODE ENDS HERE\n    return None\n"


# -- notebook building blocks -------------------------------------------------------------------


def function_source(name: str) -> str:
    """The reference source of ``name`` without the solution markers."""
    lines = inspect.getsource(getattr(dnn, name)).splitlines(keepends=True)
    return "".join(line for line in lines if line.strip() not in ("# BEGIN SOLUTION", "# END SOLUTION"))


def stub_source(name: str) -> str:
    """``name`` with its signature and docstring kept and its body emptied, as a student starts."""
    source = inspect.getsource(getattr(dnn, name))
    head = source.split("    # BEGIN SOLUTION\n", 1)[0]
    return head + STUB_BODY


def replace_exactly(source: str, old: str, new: str, times: int = 1) -> str:
    """Replace ``old`` by ``new``; ``old`` must occur exactly ``times`` times."""
    count = source.count(old)
    if count != times:
        raise ValueError("expected %r %d time(s) in the reference source, found it %d times"
                         % (old, times, count))
    return source.replace(old, new)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def code_cell(index: int, source: str, outputs: list | None = None) -> dict:
    return {"cell_type": "code", "execution_count": None, "id": "cell-%d" % index, "metadata": {},
            "outputs": outputs or [], "source": _lines(source)}


def markdown_cell(index: int, source: str) -> dict:
    return {"cell_type": "markdown", "id": "cell-%d" % index, "metadata": {}, "source": _lines(source)}


def notebook_cells(sources: dict[str, str], title: str, extra_first: tuple[str, ...] = ()) -> list[dict]:
    """Title, imports, then per graded function its definition and its self-check call."""
    cells = [markdown_cell(0, "# Building a Deep Neural Network: Step by Step\n\n%s\n" % title)]
    for source in list(extra_first) + [IMPORTS, SELFCHECK_IMPORT]:
        cells.append(code_cell(len(cells), source))
    for name in dnn.GRADED_FUNCTIONS:
        cells.append(markdown_cell(len(cells), "## `%s`\n" % name))
        cells.append(code_cell(len(cells), sources[name]))
        cells.append(code_cell(len(cells), "check(%s)\n" % name))
    return cells


def notebook_v4(cells: list[dict]) -> dict:
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def notebook_v3(cells: list[dict]) -> dict:
    """The same cells in the nbformat 3 layout (``worksheets``, code in ``input``)."""
    old = []
    for cell in cells:
        if cell["cell_type"] == "code":
            old.append({"cell_type": "code", "collapsed": False, "input": cell["source"],
                        "language": "python", "metadata": {}, "outputs": []})
        else:
            old.append({"cell_type": "markdown", "metadata": {}, "source": cell["source"]})
    return {"metadata": {"name": ""}, "nbformat": 3, "nbformat_minor": 0,
            "worksheets": [{"cells": old, "metadata": {}}]}


def dumps(notebook: dict) -> str:
    return json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def reference_sources(**changes: str) -> dict[str, str]:
    sources = {name: function_source(name) for name in dnn.GRADED_FUNCTIONS}
    sources.update(changes)
    return sources


def with_mistake(name: str, old: str, new: str, times: int = 1) -> dict[str, str]:
    return reference_sources(**{name: replace_exactly(function_source(name), old, new, times)})


def _swapped_activations() -> dict[str, str]:
    source = function_source("linear_activation_forward")
    source = replace_exactly(source, "= sigmoid(Z)", "= SWAP(Z)")
    source = replace_exactly(source, "= relu(Z)", "= sigmoid(Z)")
    return reference_sources(linear_activation_forward=replace_exactly(source, "= SWAP(Z)", "= relu(Z)"))


def correct_bytes(title: str = "A complete submission.") -> bytes:
    return dumps(notebook_v4(notebook_cells(reference_sources(), title))).encode("utf-8")


# -- the samples --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One sample submission: where it goes, how it is built, and the grade it should get."""

    student_id: str
    path: str  #: relative to samples/submissions/
    build: Callable[[], bytes]
    status: str = "graded"
    lost: dict[str, float] = field(default_factory=dict)  #: points lost per function
    name: str = ""


def _v4(sources: dict[str, str], title: str, extra_first: tuple[str, ...] = ()) -> Callable[[], bytes]:
    return lambda: dumps(notebook_v4(notebook_cells(sources, title, extra_first))).encode("utf-8")


def _magics_and_outputs() -> bytes:
    magics = "%matplotlib inline\n%load_ext autoreload\n%autoreload 2\n!pip list > /dev/null\n"
    cells = notebook_cells(reference_sources(), "Correct, with IPython magics and saved outputs.", (magics,))
    output = {"name": "stdout", "output_type": "stream", "text": ["update_parameters: passed.\n"]}
    cells[-1]["outputs"] = [output]
    cells[-1]["execution_count"] = 31
    return dumps(notebook_v4(cells)).encode("utf-8")


def _not_utf8() -> bytes:
    cells = notebook_cells(reference_sources(), "R\u00e9ponses de l'\u00e9l\u00e8ve, saved as Latin-1.")
    return dumps(notebook_v4(cells)).encode("latin-1")


def _truncated() -> bytes:
    data = correct_bytes("Cut short while uploading.")
    return data[: len(data) * 3 // 5]


def _stubs_only() -> bytes:
    sources = {name: stub_source(name) for name in dnn.GRADED_FUNCTIONS}
    return dumps(notebook_v4(notebook_cells(sources, "Nothing filled in yet."))).encode("utf-8")


def _nbformat3() -> bytes:
    cells = notebook_cells(reference_sources(), "Correct, in the old nbformat 3 layout.")
    return dumps(notebook_v3(cells)).encode("utf-8")


COST_SIGN = with_mistake("compute_cost", "cost = -(np.dot(Y", "cost = (np.dot(Y")


def _lose_all(names) -> dict[str, float]:
    return {name: POINTS[name] for name in names}


def _keep_shapes(names) -> dict[str, float]:
    """Points lost when every case of ``names`` has the right shapes but wrong values (20% kept)."""
    return {name: round(POINTS[name] * 0.8, 4) for name in names}


def _keep(name: str, credit: float) -> dict[str, float]:
    """Points lost when every case of ``name`` earns ``credit`` of its share (say, the right items of
    a returned tuple, with ``items`` in assignment.toml)."""
    return {name: round(POINTS[name] * (1 - credit), 4)}


SAMPLES: tuple[Sample, ...] = (
    Sample("correct", "correct.ipynb", lambda: correct_bytes(), name="Ada Correct"),
    Sample("correct_nbformat3", "correct_nbformat3.ipynb", _nbformat3, name="Old Format"),
    Sample("correct_with_magics_and_outputs", "correct_with_magics_and_outputs.ipynb", _magics_and_outputs,
           name="Magic User"),
    Sample("wrong_linear_forward_no_bias", "wrong_linear_forward_no_bias.ipynb",
           _v4(with_mistake("linear_forward", "Z = np.dot(W, A) + b", "Z = np.dot(W, A)"),
               "Forgot the bias in linear_forward."),
           lost=_keep("linear_forward", 0.8 * 0.2 + 0.2), name="Bias Forgotten"),  # Z's shapes, and the cache
    Sample("wrong_activation_swapped", "wrong_activation_swapped.ipynb",
           _v4(_swapped_activations(), "Applies relu where sigmoid is asked for, and the reverse."),
           lost=_keep("linear_activation_forward", 0.8 * 0.2 + 0.2), name="Swap Activations"),
    Sample("wrong_compute_cost_sign", "wrong_compute_cost_sign.ipynb",
           _v4(COST_SIGN, "Cost has the wrong sign."),
           lost=_keep_shapes(["compute_cost"]), name="Sign Flipper"),
    Sample("wrong_initialize_parameters_deep_no_scale", "wrong_initialize_parameters_deep_no_scale.ipynb",
           _v4(with_mistake("initialize_parameters_deep", "layer_dims[l - 1]) * 0.01", "layer_dims[l - 1])"),
               "Weights not scaled by 0.01."),
           lost=_keep("initialize_parameters_deep", 0.5 * 0.2 + 0.5), name="Big Weights"),  # the b keys are right
    Sample("wrong_linear_backward_db_shape", "wrong_linear_backward_db_shape.ipynb",
           _v4(with_mistake("linear_backward", "np.sum(dZ, axis=1, keepdims=True)", "np.sum(dZ, axis=1)"),
               "db loses its second dimension."),
           lost=_keep("linear_backward", 0.34 + 0.33), name="Flat Bias"),  # dA_prev and dW are right
    Sample("wrong_L_model_backward_relu_last_layer", "wrong_L_model_backward_relu_last_layer.ipynb",
           _v4(with_mistake("L_model_backward", 'caches[L - 1], activation="sigmoid"',
                            'caches[L - 1], activation="relu"'),
               "The output layer is treated as relu."),
           lost=_keep_shapes(["L_model_backward"]), name="Relu Everywhere"),
    Sample("wrong_update_parameters_sign", "wrong_update_parameters_sign.ipynb",
           _v4(with_mistake("update_parameters", "] - learning_rate", "] + learning_rate", times=2),
               "Gradient ascent by mistake."),
           lost=_keep_shapes(["update_parameters"]), name="Uphill Walker"),
    Sample("syntax_error_in_linear_backward", "syntax_error_in_linear_backward.ipynb",
           _v4(with_mistake("linear_backward", "dW = np.dot(dZ, A_prev.T) / m",
                            "dW = np.dot(dZ, A_prev.T / m"), "A missing parenthesis."),
           lost=_lose_all(["linear_backward"]), name="Paren Missing"),
    Sample("infinite_loop_in_update_parameters", "infinite_loop_in_update_parameters.ipynb",
           _v4(with_mistake("update_parameters", "    parameters = dict(params)",
                            "    while True:\n        pass\n    parameters = dict(params)"),
               "A loop that never ends."),
           lost=_lose_all(["update_parameters"]), name="Loop Forever"),
    Sample("stubs_only", "stubs_only.ipynb", _stubs_only, lost=_lose_all(POINTS), name="Not Started"),
    Sample("invalid_json", "invalid_json.ipynb", lambda: (IMPORTS + function_source("linear_forward")).encode(
           "utf-8"),
           status="unreadable", lost=_lose_all(POINTS), name="Script Renamed"),
    Sample("truncated", "truncated.ipynb", _truncated, status="unreadable", lost=_lose_all(POINTS),
           name="Half Upload"),
    Sample("not_utf8", "not_utf8.ipynb", _not_utf8, status="unreadable", lost=_lose_all(POINTS),
           name="Latin Encoder"),
    # one folder per student, as Gradescope and LMS downloads give them; the checkpoint is ignored
    Sample("folder_per_student", "folder_per_student/Building_a_Deep_Neural_Network.ipynb",
           lambda: correct_bytes("Submitted in a folder."), name="Folder Person"),
    Sample("folder_per_student",
           "folder_per_student/.ipynb_checkpoints/Building_a_Deep_Neural_Network-checkpoint.ipynb",
           _stubs_only),
    Sample("Moodle Student_4242", "Moodle Student_4242_assignsubmission_file_/dnn.ipynb",
           _v4(COST_SIGN, "From a Moodle download."),
           lost=_keep_shapes(["compute_cost"]), name="Moodle Student"),
    # a Canvas download name: <lastfirst>[_LATE]_<user id>_<submission id>_<file name>
    Sample("31337", "canvasstudent_LATE_31337_900001_Building_DNN.ipynb",
           lambda: correct_bytes("From a Canvas download."), name="Canvas Student"),
)
MISSING_STUDENT = ("absent_student", "Absent Student")
OTHER_FILES = {"folder_per_student/notes.txt": b"Not a notebook; the batch ignores it.\n"}


def graded_samples() -> list[Sample]:
    """The samples that count (a checkpoint copy is not a submission)."""
    return [s for s in SAMPLES if ".ipynb_checkpoints" not in s.path]


def roster_text() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student_id", "name", "email", "canvas_id", "sis_user_id", "sis_login_id", "section"])
    people = [(s.student_id, s.name) for s in graded_samples()] + [MISSING_STUDENT]
    for number, (student_id, name) in enumerate(people, start=1):
        login = name.lower().replace(" ", ".")
        canvas_id = student_id if student_id.isdigit() else str(50000 + number)
        writer.writerow([student_id, name, "%s@example.edu" % login, canvas_id, "S%05d" % number, login,
                         "A" if number % 2 else "B"])
    return out.getvalue()


def expected_text() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student_id", "status", "total"] + list(POINTS))
    for sample in sorted(graded_samples(), key=lambda s: s.student_id):
        scores = {name: round(points - sample.lost.get(name, 0.0), 4) for name, points in POINTS.items()}
        writer.writerow([sample.student_id, sample.status, _num(sum(scores.values()))]
                        + [_num(scores[name]) for name in POINTS])
    return out.getvalue()


def _num(value: float) -> str:
    return ("%.4f" % value).rstrip("0").rstrip(".")


def render_samples() -> dict[str, bytes]:
    """Every file under samples/, by relative path."""
    files = {"%s/%s" % (SUBMISSIONS, s.path): s.build() for s in SAMPLES}
    files.update({"%s/%s" % (SUBMISSIONS, path): data for path, data in OTHER_FILES.items()})
    files[ROSTER] = roster_text().encode("utf-8")
    files[EXPECTED] = expected_text().encode("utf-8")
    return files


def stale_files(root: Path = SAMPLES_DIR) -> list[str]:
    """Paths that are missing, different, or not generated (empty when the samples are current)."""
    wanted = render_samples()
    problems = []
    for path, data in sorted(wanted.items()):
        stored = root / path
        if not stored.exists():
            problems.append("%s: missing" % path)
        elif stored.read_bytes() != data:
            problems.append("%s: differs" % path)
    if root.exists():
        for stored in sorted(root.rglob("*")):
            relative = stored.relative_to(root).as_posix()
            if stored.is_file() and relative not in wanted and "__pycache__" not in relative:
                problems.append("%s: not generated by tools/samples.py" % relative)
    return problems


def write_samples(root: Path = SAMPLES_DIR) -> list[Path]:
    written = []
    for path, data in sorted(render_samples().items()):
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.samples", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the stored samples are not current")
    parser.add_argument("--out", type=Path, default=SAMPLES_DIR,
                        help="folder to write (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.check:
        return report_stale(stale_files(args.out), "The sample submissions", "python -m tools.samples",
                            "samples are up to date")
    for path in write_samples(args.out):
        print("wrote %s" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
