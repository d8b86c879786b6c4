"""``dnngrade assign``: build a release of the exercise kit, and keep the repository copies current.

A release folder holds four parts::

    student/     the student notebook, dnn_utils.py, dnn_check/ (self-check + public cases), images/
    solution/    the solution notebook, dnn_utils.py, images/
    otter/       the Otter Assign master notebook and the files its config names
    gradescope/  the Gradescope autograder zip (setup.sh, run_autograder, the kit)

The student and solution notebooks are also kept in the assignment folder, with the figures, so
changes show up in review; :func:`stale_kept` rebuilds them in memory and names what differs.
Notebooks must match byte for byte. Figures must show the same drawing (see
:func:`tools.figures.same_picture`): the same matplotlib writes the same bytes, but another version
may move a few anti-aliased pixels, which is no reason to fail CI.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from graders.errors import UserError
from graders.spec import ASSIGNMENT_DIR
from tools import bundles, figures, notebooks

KEPT_DIR = ASSIGNMENT_DIR
KEPT_NOTEBOOKS = {notebooks.STUDENT: "student.ipynb", notebooks.SOLUTION: "solution.ipynb"}
IMAGES_DIR = "images"
STUDENT_NOTEBOOK = notebooks.ASSIGNMENT_NAME + ".ipynb"
SOLUTION_NOTEBOOK = notebooks.ASSIGNMENT_NAME + "_solution.ipynb"
PARTS = {
    "student": "give to students: open %s next to its files" % STUDENT_NOTEBOOK,
    "solution": "for staff: the worked solution",
    "otter": "for Otter users: otter assign otter/%s dist/" % bundles.OTTER_MASTER_NAME,
    "gradescope": "upload gradescope/%s as the Gradescope autograder" % bundles.GRADESCOPE_ZIP_NAME,
}

MSG_NOT_EMPTY = (
    "{out} already holds files that are not part of a release ({names}). Choose an empty or new "
    "folder, or remove them, then run `dnngrade assign --out {out}` again."
)
MSG_STALE = "{path}: {problem}"


@dataclass
class Release:
    """What :func:`build_release` wrote."""

    root: Path  #: the release folder
    files: list[str] = field(default_factory=list)  #: every file written, relative to ``root``


def _images(rendered: dict[str, bytes]) -> dict[str, bytes]:
    return {"%s/%s" % (IMAGES_DIR, name): data for name, data in rendered.items()}


def release_files() -> dict[str, bytes]:
    """Every file of a release, by path relative to the release folder."""
    texts = notebooks.render_notebooks()
    images = _images(figures.render_figures())
    support = bundles.support_files()
    parts: dict[str, dict[str, bytes]] = {
        "student": {STUDENT_NOTEBOOK: texts[notebooks.STUDENT].encode("utf-8"), **support, **images},
        "solution": {SOLUTION_NOTEBOOK: texts[notebooks.SOLUTION].encode("utf-8"),
                     "dnn_utils.py": support["dnn_utils.py"], **images},
        "otter": {**bundles.otter_files(), **images},
        "gradescope": {bundles.GRADESCOPE_ZIP_NAME: bundles.build_gradescope_zip()},
    }
    return {"%s/%s" % (part, path): data for part, files in parts.items() for path, data in files.items()}


def build_release(out: Path | str) -> Release:
    """Build the release into ``out`` (created if needed); earlier release parts there are replaced."""
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise UserError("%s is a file; give `--out` a folder" % root)
    if root.exists():
        foreign = sorted(entry.name for entry in root.iterdir() if entry.name not in PARTS)
        if foreign:
            raise UserError(MSG_NOT_EMPTY.format(out=root, names=", ".join(foreign[:5])))
    files = release_files()
    for part in PARTS:
        shutil.rmtree(root / part, ignore_errors=True)
    for relative, data in sorted(files.items()):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return Release(root=root, files=sorted(files))


# -- the copies kept in the repository ----------------------------------------------------------


def kept_files() -> dict[str, bytes]:
    """The files kept in the assignment folder, freshly built, by path relative to it."""
    texts = notebooks.render_notebooks()
    files = {KEPT_NOTEBOOKS[variant]: texts[variant].encode("utf-8") for variant in KEPT_NOTEBOOKS}
    files.update(_images(figures.render_figures()))
    return files


def update_kept(kept_dir: Path | str = KEPT_DIR) -> list[Path]:
    """Rewrite the kept notebooks and figures; return the paths written."""
    written = []
    for relative, data in sorted(kept_files().items()):
        path = Path(kept_dir) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written


def stale_kept(kept_dir: Path | str = KEPT_DIR) -> list[str]:
    """Describe every kept file that differs from a fresh build (empty when all are current)."""
    problems = []
    for relative, fresh in sorted(kept_files().items()):
        path = Path(kept_dir) / relative
        if not path.exists():
            problems.append(MSG_STALE.format(path=path, problem="missing"))
            continue
        stored = path.read_bytes()
        if relative.startswith(IMAGES_DIR + "/"):
            if not figures.same_picture(stored, fresh):
                problems.append(MSG_STALE.format(path=path, problem="the figure is not what tools/figures.py draws"))
        elif stored != fresh:
            problems.append(MSG_STALE.format(
                path=path, problem="differs from what the template and reference/dnn.py build"))
    return problems
