"""The files that travel: the student support files, the Otter Assign master, the Gradescope zip.

- :func:`support_files`: what sits beside a notebook so it runs: the pack's helpers file and the
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
from graders.assignment import current
from graders.errors import UserError
from graders.kit import notebooks
from graders.portable.casefile import load_cases
from graders.portable.checks import CREDIT_STEPS, step_shares
from graders.spec import AssignmentSpec

PORTABLE_DIR = Path(graders.portable.__file__).parent
REPO_ROOT = Path(__file__).resolve().parents[2]  #: the kit's root: a checkout, or site-packages

SELFCHECK_PACKAGE = "dnn_check"
PUBLIC_CASES_NAME = "public_cases.json"  # the name graders/portable/selfcheck.py looks for
HIDDEN_CASES_NAME = "hidden_cases.json"
OTTER_SUPPORT_NAME = "otter_case.py"
KIT_FILES_DIR = Path(__file__).resolve().parent / "files"  #: the Otter case judge and the Gradescope scripts


def kit_file(name: str) -> bytes:
    """A file the bundles ship: the pack's own copy in its ``template/`` when it has one, else the kit's."""
    own = current().template_dir / name
    return (own if own.is_file() else KIT_FILES_DIR / name).read_bytes()
KIT_PACKAGES = ("graders", "reference")  #: shipped whole; of ``assignments``, only the pack's own folder
PACKS_PACKAGE = "assignments"

def _script_values() -> dict[str, str]:
    """What run_autograder's placeholders stand for: the pack's name, the letters a submitted
    notebook's file name holds (``[pack].notebook_hint``) and the last graded function (whose
    definition marks the submission among several notebooks)."""
    pack = current()
    hint = str(pack.pack.get("notebook_hint", "")) or "".join(c for c in pack.name.lower() if c.isalpha())
    return {"@ASSIGNMENT@": pack.name, "@NAME_HINT@": hint, "@LAST_FUNCTION@": pack.graded_functions[-1]}


def otter_master_name() -> str:
    """The Otter Assign master notebook's file name."""
    return notebooks.assignment_name() + ".ipynb"


def gradescope_zip_name() -> str:
    """The Gradescope autograder zip's file name."""
    return notebooks.assignment_name() + "_gradescope.zip"


def helper_files() -> dict[str, bytes]:
    """The helpers file students import, under the first name the pack gives it."""
    pack = current()
    file = pack.helpers_file
    if not pack.helper_modules or file is None:
        return {}
    return {pack.helper_modules[0] + ".py": file.read_bytes()}
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
{helpers}  - {package}
  - {support}
{images}autograder_files:
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
    """The helpers file and the self-check package with the public cases, by relative path."""
    files = helper_files()
    for name, data in portable_sources().items():
        files["%s/%s" % (SELFCHECK_PACKAGE, name)] = data
    files["%s/%s" % (SELFCHECK_PACKAGE, PUBLIC_CASES_NAME)] = current().case_paths["public"].read_bytes()
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
    pack = current()
    spec = spec or pack.spec
    public, hidden = _case_ids(pack.case_paths["public"]), _case_ids(pack.case_paths["hidden"])
    helpers = "".join("  - %s\n" % name for name in helper_files())
    from graders.kit.figures import figure_names

    images = "  - images\n" if figure_names(pack) else ""
    config = OTTER_CONFIG.format(name=notebooks.assignment_name(), package=SELFCHECK_PACKAGE, helpers=helpers,
                                 support=OTTER_SUPPORT_NAME, hidden=HIDDEN_CASES_NAME, images=images)
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
    pack = current()
    files = {otter_master_name(): notebooks.notebook_text(build_otter_master(spec)).encode("utf-8")}
    files.update(support_files())
    files[OTTER_SUPPORT_NAME] = kit_file(OTTER_SUPPORT_NAME)
    files[HIDDEN_CASES_NAME] = pack.case_paths["hidden"].read_bytes()
    files[OTTER_README_NAME] = (OTTER_README % (otter_master_name(), HIDDEN_CASES_NAME)).encode("utf-8")
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
"""


# -- Gradescope -------------------------------------------------------------------------------


DISTRIBUTION = "dnn-step-by-step-grader"
#: what an installed kit's pyproject.toml says (a checkout's own pyproject.toml has the same; a test checks)
INSTALLED_PACKAGES = ["reference*", "graders*", "assignments*"]
#: the files of every assignment pack (a package under ``assignments``) that are not Python modules
PACK_DATA = ["*.toml", "*.ipynb", "*.md", "*.txt", "cases/*.json", "template/*", "samples/*", "images/*"]


def installed_package_data(root: Path | None = None) -> dict[str, list[str]]:
    """``[tool.setuptools.package-data]`` for the packs under ``root``'s ``assignments`` (a test
    checks that the checkout's pyproject.toml says the same)."""
    folder = (root or REPO_ROOT) / PACKS_PACKAGE
    data = {"graders.kit": ["files/*"]}
    data.update({"%s.%s" % (PACKS_PACKAGE, pack.name): list(PACK_DATA)
                 for pack in sorted(folder.iterdir()) if (pack / "assignment.toml").is_file()})
    return data


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
                     for package, patterns in installed_package_data().items())
    text = (
        "[build-system]\nrequires = [\"setuptools>=64\", \"wheel\"]\nbuild-backend = \"setuptools.build_meta\"\n\n"
        "[project]\nname = %s\nversion = %s\nrequires-python = %s\ndependencies = [%s]\n"
        "scripts = { dnngrade = \"graders.cli:main\" }\n\n"
        "[tool.setuptools.packages.find]\ninclude = [%s]\n\n[tool.setuptools.package-data]\n%s\n"
        % (json.dumps(DISTRIBUTION), json.dumps(version), json.dumps(python), quoted,
           ", ".join(json.dumps(p) for p in INSTALLED_PACKAGES), data))
    return text.encode("utf-8")


def kit_files(root: Path = REPO_ROOT) -> dict[str, bytes]:
    """The kit's source as pip installs it: pyproject.toml, README.md and the packages, by path,
    with the selected pack alone of the assignment packs. From a checkout, its own pyproject.toml;
    from a kit installed with pip (``root`` is then the site-packages folder), one written from the
    installed metadata (:func:`installed_pyproject`)."""
    files = {}
    pack_folder = "%s/%s" % (PACKS_PACKAGE, current().folder.name)
    pyproject = root / "pyproject.toml"
    files["pyproject.toml"] = pyproject.read_bytes() if pyproject.exists() else installed_pyproject()
    readme = root / "README.md"
    files["README.md"] = readme.read_bytes() if readme.exists() else b"# dnn-step-by-step-grader\n"
    init = root / PACKS_PACKAGE / "__init__.py"
    files["%s/__init__.py" % PACKS_PACKAGE] = init.read_bytes() if init.exists() else b""
    for package in KIT_PACKAGES + (pack_folder,):
        for path in sorted((root / package).rglob("*")):
            relative = path.relative_to(root)
            skipped = any(part == "__pycache__" or part.startswith(".") for part in relative.parts)
            if path.is_file() and not skipped and path.suffix != ".pyc":
                files[relative.as_posix()] = path.read_bytes()
    return files


def gradescope_files(root: Path = REPO_ROOT) -> dict[str, tuple[bytes, int]]:
    """Every file of the Gradescope zip with its mode, by path inside the zip."""
    run = kit_file("run_autograder")
    for placeholder, value in _script_values().items():
        run = run.replace(placeholder.encode(), value.encode())
    files = {
        "setup.sh": (kit_file("setup.sh"), EXECUTABLE),
        "run_autograder": (run, EXECUTABLE),
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
