"""``dnngrade assign``: build a release of the exercise kit, and keep the repository copies current.

A release folder holds four parts::

    student/     the student notebook, the pack's helpers file, dnn_check/ (self-check + public cases), images/
    solution/    the solution notebook, the helpers file, images/
    otter/       the Otter Assign master notebook and the files its config names
    gradescope/  the Gradescope autograder zip (setup.sh, run_autograder, the kit)

The student and solution notebooks are also kept in the assignment folder, with the figures, so
changes show up in review; :func:`stale_kept` rebuilds them in memory and names what differs.
Notebooks must match byte for byte. Figures must show the same drawing (see
:func:`graders.kit.figures.same_picture`): the same matplotlib writes the same bytes, but another version
may move a few anti-aliased pixels, which is no reason to fail CI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from graders.assignment import current
from graders.errors import UserError
from graders.kit import bundles, figures, notebooks

KEPT_NOTEBOOKS = {notebooks.STUDENT: "student.ipynb", notebooks.SOLUTION: "solution.ipynb"}
IMAGES_DIR = "images"
PART_NAMES = ("student", "solution", "otter", "gradescope")


def kept_dir() -> Path:
    """Where the kept notebooks and figures live: the selected pack's folder."""
    return current().folder


def student_notebook() -> str:
    return notebooks.assignment_name() + ".ipynb"


def solution_notebook() -> str:
    return notebooks.assignment_name() + "_solution.ipynb"


def parts() -> dict[str, str]:
    """Each part of a release, with what it is for."""
    return {
        "student": "give to students: open %s next to its files" % student_notebook(),
        "solution": "for staff: the worked solution",
        "otter": "for Otter users: cd otter && otter assign %s dist/ (dist/ is yours: assign leaves it alone)"
                 % bundles.otter_master_name(),
        "gradescope": "upload gradescope/%s as the Gradescope autograder" % bundles.gradescope_zip_name(),
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


def release_files(parts: tuple[str, ...] | None = None) -> dict[str, bytes]:
    """Every file of a release (or of the chosen ``parts``), by path relative to the release folder."""
    parts = PART_NAMES if parts is None else parts
    unknown = sorted(set(parts) - set(PART_NAMES))
    if unknown:
        raise UserError("unknown release part %s; the parts are %s" % (", ".join(unknown), ", ".join(PART_NAMES)))
    builders = {
        "student": lambda: {student_notebook(): _notebook(notebooks.STUDENT), **bundles.support_files()},
        "solution": lambda: {solution_notebook(): _notebook(notebooks.SOLUTION), **bundles.helper_files()},
        "otter": bundles.otter_files,
        "gradescope": lambda: {bundles.gradescope_zip_name(): bundles.build_gradescope_zip()},
    }
    images = _images(figures.render_figures()) if set(parts) & {"student", "solution", "otter"} else {}
    files = {}
    for part in parts:
        contents = builders[part]()
        if part != "gradescope":
            contents.update(images)
        files.update({"%s/%s" % (part, path): data for path, data in contents.items()})
    return files


def _notebook(variant: str) -> bytes:
    return notebooks.notebook_text(notebooks.build_notebook(variant)).encode("utf-8")


MANIFEST = ".dnngrade-release"  #: in the release folder: every file the last builds wrote


def build_release(out: Path | str, parts: tuple[str, ...] | None = None) -> Release:
    """Build the release (or only ``parts``) into ``out``, replacing earlier copies of those parts.

    Only files an earlier build wrote (listed in ``MANIFEST``) are deleted: what others put in the
    parts' folders, such as ``otter/dist/`` made by ``otter assign``, stays."""
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise UserError("%s is a file; give `--out` a folder" % root)
    if root.exists():
        foreign = sorted(entry.name for entry in root.iterdir()
                         if entry.name not in PART_NAMES and entry.name != MANIFEST)
        if foreign:
            raise UserError(MSG_NOT_EMPTY.format(out=root, names=", ".join(foreign[:5])))
    files = release_files(parts)
    rebuilt = PART_NAMES if parts is None else parts
    earlier = _manifest(root)
    for relative in earlier:
        if relative.split("/", 1)[0] in rebuilt and relative not in files:
            _remove_written(root, relative)
    for relative, data in sorted(files.items()):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    kept = [relative for relative in earlier if relative.split("/", 1)[0] not in rebuilt]
    (root / MANIFEST).write_text("\n".join(sorted(set(kept) | set(files))) + "\n", encoding="utf-8")
    return Release(root=root, files=sorted(files))


def _manifest(root: Path) -> list[str]:
    try:
        lines = (root / MANIFEST).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    # only paths inside the release, never out of it
    return [line for line in lines if line and not line.startswith("/") and ".." not in line.split("/")]


def _remove_written(root: Path, relative: str) -> None:
    """Delete a file an earlier build wrote, then the folders it leaves empty (not the part's own)."""
    path = root / relative
    try:
        path.unlink()
    except OSError:
        return
    folder = path.parent
    while folder != root and folder.parent != root:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


# -- the copies kept in the repository ----------------------------------------------------------


def kept_files() -> dict[str, bytes]:
    """The files kept in the assignment folder, freshly built, by path relative to it."""
    files = {name: _notebook(variant) for variant, name in KEPT_NOTEBOOKS.items()}
    files.update(_images(figures.render_figures()))
    pack = current()
    if pack.pack.get("helpers_file"):  # the helpers file students get, made to stand alone
        from graders.kit.standalone import standalone_source

        files[str(pack.pack["helpers_file"])] = standalone_source(str(pack.pack["helpers"])).encode("utf-8")
    return files


def update_kept(folder: Path | str | None = None) -> list[Path]:
    """Rewrite the kept notebooks and figures (in the pack's folder by default); return the paths written."""
    folder = kept_dir() if folder is None else folder
    written = []
    for relative, data in sorted(kept_files().items()):
        path = Path(folder) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written


def stale_kept(folder: Path | str | None = None) -> list[str]:
    """Describe every kept file that differs from a fresh build (empty when all are current)."""
    folder = kept_dir() if folder is None else folder
    problems = []
    for relative, fresh in sorted(kept_files().items()):
        path = Path(folder) / relative
        if not path.exists():
            problems.append(MSG_STALE.format(path=path, problem="missing"))
            continue
        stored = path.read_bytes()
        if relative.startswith(IMAGES_DIR + "/"):
            if not figures.same_picture(stored, fresh):
                problems.append(MSG_STALE.format(path=path, problem="not what the pack's figures module draws"))
        elif stored != fresh:
            problems.append(MSG_STALE.format(
                path=path, problem="differs from what the pack's template, solution and helpers build"))
    return problems
