"""The files that travel: the student support files, the Otter Assign master, the Gradescope zip.

- :func:`support_files`: what sits beside a notebook so it runs: ``dnn_utils.py`` and the
  self-check package ``dnn_check/`` (a byte-for-byte copy of ``graders/portable/`` plus the public
  cases as ``public_cases.json``).
- :func:`build_otter_master`: the same notebook in Otter Assign's format, one question per graded
  function and, per stored case (public and hidden), one Otter test per credit step, worth that
  step's share of the case's points; each is judged by the grader's own check ladder through
  ``otter_case.py``, so Otter's score is ours.
- :func:`gradescope_files`: our own autograder: ``setup.sh`` installs the kit with pip and
  ``run_autograder`` runs ``dnngrade grade``.

Every file is returned as bytes keyed by its relative path, so builds are byte-identical and the
writers stay trivial.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import nbformat

import graders.portable
import reference.dnn_utils
from graders.errors import UserError
from graders.kit import notebooks
from graders.portable.casefile import load_cases
from graders.portable.checks import CREDIT_STEPS, step_shares
from graders.spec import ASSIGNMENT_DIR, HIDDEN_CASES_PATH, PUBLIC_CASES_PATH, AssignmentSpec, load_spec

PORTABLE_DIR = Path(graders.portable.__file__).parent
DNN_UTILS_PATH = Path(reference.dnn_utils.__file__)
TEMPLATE_DIR = ASSIGNMENT_DIR / "template"
REPO_ROOT = ASSIGNMENT_DIR.parent.parent

SELFCHECK_PACKAGE = "dnn_check"
PUBLIC_CASES_NAME = "public_cases.json"  # the name graders/portable/selfcheck.py looks for
HIDDEN_CASES_NAME = "hidden_cases.json"
OTTER_MASTER_NAME = notebooks.ASSIGNMENT_NAME + ".ipynb"
OTTER_SUPPORT_NAME = "otter_case.py"
GRADESCOPE_ZIP_NAME = notebooks.ASSIGNMENT_NAME + "_gradescope.zip"
KIT_PACKAGES = ("assignments", "graders", "reference")
EXECUTABLE = 0o755
REGULAR = 0o644
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

OTTER_CONFIG = """\
# ASSIGNMENT CONFIG
name: {name}
init_cell: true
check_all_cell: false
export_cell: false
run_tests: true
solutions_pdf: false
template_pdf: false
files:
  - dnn_utils.py
  - {package}
  - {support}
  - images
autograder_files:
  - {hidden}
tests:
  files: false
  ok_format: false
"""
OTTER_TEST = '''\
""" # BEGIN TEST CONFIG
hidden: {hidden}
points: {points!r}
""" # END TEST CONFIG
def test_{test}({function}):
    from otter_case import check_step
    check_step({function}, "{case_id}", "{step}", rtol={rtol!r}, atol={atol!r})

test_{test}({function})'''


# -- student support files --------------------------------------------------------------------


def portable_sources() -> dict[str, bytes]:
    """Every ``.py`` file of ``graders/portable/``, by file name."""
    return {path.name: path.read_bytes() for path in sorted(PORTABLE_DIR.glob("*.py"))}


def support_files() -> dict[str, bytes]:
    """``dnn_utils.py`` and the ``dnn_check`` package with the public cases, by relative path."""
    files = {"dnn_utils.py": DNN_UTILS_PATH.read_bytes()}
    for name, data in portable_sources().items():
        files["%s/%s" % (SELFCHECK_PACKAGE, name)] = data
    files["%s/%s" % (SELFCHECK_PACKAGE, PUBLIC_CASES_NAME)] = PUBLIC_CASES_PATH.read_bytes()
    return files


# -- Otter Assign master ----------------------------------------------------------------------


def _case_ids(path: Path) -> dict[str, list[str]]:
    ids: dict[str, list[str]] = {}
    for case in load_cases(path)["cases"]:
        ids.setdefault(case["function"], []).append(case["id"])
    return ids


def question_cells(name: str, solution_cell: nbformat.NotebookNode, spec: AssignmentSpec,
                   public: list[str], hidden: list[str]) -> list[nbformat.NotebookNode]:
    """One Otter question: the solution cell between the block markers, then one test per case."""
    function = spec.functions[name]
    slug = name.replace("_", "-")
    cells = [
        notebooks.make_cell("raw", "otter-%s-begin" % slug, "# BEGIN QUESTION\nname: %s" % name),
        notebooks.make_cell("raw", "otter-%s-solution" % slug, "# BEGIN SOLUTION"),
        solution_cell,
        notebooks.make_cell("raw", "otter-%s-solution-end" % slug, "# END SOLUTION"),
        notebooks.make_cell("raw", "otter-%s-tests" % slug, "# BEGIN TESTS"),
    ]
    # one test per case and credit step, worth that step's share of the case, so that Otter adds
    # up the same partial credit as dnngrade (assignment.toml's [partial_credit])
    shares = step_shares(spec.partial_credit)
    per_case = function.points / len(public + hidden)
    index = 0
    for case_id in public + hidden:
        for step in CREDIT_STEPS:
            if shares[step] <= 0:
                continue
            index += 1
            source = OTTER_TEST.format(hidden="true" if case_id in hidden else "false", function=name,
                                       case_id=case_id, step=step, points=per_case * shares[step],
                                       test="%s_%s" % (case_id.split("/", 1)[1].replace("/", "_"), step),
                                       rtol=function.rtol, atol=function.atol)
            cells.append(notebooks.make_cell("code", "otter-%s-test-%d" % (slug, index), source))
    cells.append(notebooks.make_cell("raw", "otter-%s-tests-end" % slug, "# END TESTS"))
    cells.append(notebooks.make_cell("raw", "otter-%s-end" % slug, "# END QUESTION"))
    return cells


def build_otter_master(spec: AssignmentSpec | None = None) -> nbformat.NotebookNode:
    """The Otter Assign master notebook: our notebook, questions and tests in Otter's markup."""
    spec = spec or load_spec()
    public, hidden = _case_ids(PUBLIC_CASES_PATH), _case_ids(HIDDEN_CASES_PATH)
    config = OTTER_CONFIG.format(name=notebooks.ASSIGNMENT_NAME, package=SELFCHECK_PACKAGE,
                                 support=OTTER_SUPPORT_NAME, hidden=HIDDEN_CASES_NAME)
    cells = [notebooks.make_cell("raw", "otter-assignment-config", config.rstrip("\n"))]
    for template_cell, node in notebooks.variant_cells(notebooks.OTTER):
        if template_cell.kind == "function":
            name = template_cell.name
            cells.extend(question_cells(name, node, spec, public.get(name, []), hidden.get(name, [])))
        else:
            cells.append(node)
    return notebooks.new_notebook(cells, notebooks.OTTER)


def otter_files(spec: AssignmentSpec | None = None) -> dict[str, bytes]:
    """The master notebook and every file its config names, except the figures, by relative path."""
    files = {OTTER_MASTER_NAME: notebooks.notebook_text(build_otter_master(spec)).encode("utf-8")}
    files.update(support_files())
    files[OTTER_SUPPORT_NAME] = (TEMPLATE_DIR / OTTER_SUPPORT_NAME).read_bytes()
    files[HIDDEN_CASES_NAME] = HIDDEN_CASES_PATH.read_bytes()
    files[OTTER_README_NAME] = OTTER_README.encode("utf-8")
    return files


OTTER_README_NAME = "README.md"
OTTER_README = """# The assignment for otter-grader

Build it with `otter assign %s dist/`: `dist/student/` goes to students, `dist/autograder/*.zip`
to Gradescope.

**What this path does not protect.** Otter runs the tests in the student's own kernel, after the
student's code, so a notebook can read `%s` (the hidden cases and their expected values) and
the test files at grading time, and return what they hold: such a notebook scores full marks. That
is how otter-grader works, not something this kit can change. For graded work, use the kit's own
Gradescope zip (`gradescope/` in the release), where student code runs in a separate process that
can read neither the cases nor the kit, and only plain data comes back; keep this folder for
courses already on Otter, or for practice.
""" % (OTTER_MASTER_NAME, HIDDEN_CASES_NAME)


# -- Gradescope -------------------------------------------------------------------------------


DISTRIBUTION = "dnn-step-by-step-grader"
#: what an installed kit's pyproject.toml says (a checkout's own pyproject.toml has the same; a test checks)
INSTALLED_PACKAGES = ["reference*", "graders*", "assignments*"]
INSTALLED_PACKAGE_DATA = {"assignments.dnn_step_by_step": [
    "*.toml", "*.ipynb", "*.md", "*.txt", "cases/*.json", "template/*", "samples/*", "images/*"]}


def installed_pyproject() -> bytes:
    """A pyproject.toml for the kit's packages when the kit was installed with pip, not run from a
    checkout: its name, version and base requirements from the installed metadata, and the same
    packages and package data as the checkout's."""
    from importlib import metadata

    try:
        dist = metadata.distribution(DISTRIBUTION)
        version, python = dist.version, dist.metadata["Requires-Python"] or ">=3.10"
        requires = [r for r in (dist.requires or []) if "extra ==" not in r]
    except metadata.PackageNotFoundError:
        raise UserError("no pyproject.toml at %s and no installed %s: install the kit with pip, or build "
                        "the release from a checkout of it" % (REPO_ROOT, DISTRIBUTION)) from None
    quoted = ", ".join(json.dumps(item) for item in requires)
    data = "\n".join("%s = [%s]" % (json.dumps(package), ", ".join(json.dumps(p) for p in patterns))
                     for package, patterns in INSTALLED_PACKAGE_DATA.items())
    text = (
        "[build-system]\nrequires = [\"setuptools>=64\", \"wheel\"]\nbuild-backend = \"setuptools.build_meta\"\n\n"
        "[project]\nname = %s\nversion = %s\nrequires-python = %s\ndependencies = [%s]\n"
        "scripts = { dnngrade = \"graders.cli:main\" }\n\n"
        "[tool.setuptools.packages.find]\ninclude = [%s]\n\n[tool.setuptools.package-data]\n%s\n"
        % (json.dumps(DISTRIBUTION), json.dumps(version), json.dumps(python), quoted,
           ", ".join(json.dumps(p) for p in INSTALLED_PACKAGES), data))
    return text.encode("utf-8")


def kit_files(root: Path = REPO_ROOT) -> dict[str, bytes]:
    """The kit's source as pip installs it: pyproject.toml, README.md and the packages, by path.
    From a checkout, its own pyproject.toml; from a kit installed with pip (``root`` is then the
    site-packages folder), one written from the installed metadata (:func:`installed_pyproject`)."""
    files = {}
    pyproject = root / "pyproject.toml"
    files["pyproject.toml"] = pyproject.read_bytes() if pyproject.exists() else installed_pyproject()
    readme = root / "README.md"
    files["README.md"] = readme.read_bytes() if readme.exists() else b"# dnn-step-by-step-grader\n"
    for package in KIT_PACKAGES:
        for path in sorted((root / package).rglob("*")):
            relative = path.relative_to(root)
            skipped = any(part == "__pycache__" or part.startswith(".") for part in relative.parts)
            if path.is_file() and not skipped and path.suffix != ".pyc":
                files[relative.as_posix()] = path.read_bytes()
    return files


def gradescope_files(root: Path = REPO_ROOT) -> dict[str, tuple[bytes, int]]:
    """Every file of the Gradescope zip with its mode, by path inside the zip."""
    files = {
        "setup.sh": ((TEMPLATE_DIR / "setup.sh").read_bytes(), EXECUTABLE),
        "run_autograder": ((TEMPLATE_DIR / "run_autograder").read_bytes(), EXECUTABLE),
    }
    for path, data in kit_files(root).items():
        files["kit/" + path] = (data, REGULAR)
    return files


def zip_bytes(files: dict[str, tuple[bytes, int]]) -> bytes:
    """A deterministic zip: sorted entries, fixed dates, fixed modes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            data, mode = files[name]
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def build_gradescope_zip(root: Path = REPO_ROOT) -> bytes:
    """The Gradescope autograder zip, as bytes."""
    return zip_bytes(gradescope_files(root))
