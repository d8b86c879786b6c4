"""What a batch grades: the submissions in a folder or a .zip, the student each belongs to, and the roster.

Student ids come from the layout an instructor downloads:

- ``<student>.ipynb`` at the top level: the file name without ``.ipynb``.
- A Canvas "Download submissions" name, ``<lastfirst>[_LATE]_<user id>_<submission id>_<file>.ipynb``:
  the Canvas user id.
- One folder per student (Gradescope, Moodle, most LMS exports): the folder name; Moodle's
  ``_assignsubmission_file_`` suffix is dropped. In a Gradescope export, whose folders are named
  ``submission_<n>``, the ``submission_metadata.yml`` beside them maps each folder to the student's
  SID (or email) when PyYAML is installed.

Hidden files and folders (``.ipynb_checkpoints``, ``._name`` copies), ``__MACOSX`` and anything that
is not ``.ipynb`` are ignored. A zip or folder whose only entry is one folder is unwrapped.
"""

from __future__ import annotations

import csv
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from graders.errors import UserError

NOTEBOOK_SUFFIX = ".ipynb"
MOODLE_SUFFIXES = ("_assignsubmission_file_", "_assignsubmission_onlinetext_")
CANVAS_NAME = re.compile(r"^[a-z]+(?:_late)?_(?P<user>\d+)_\d+_.+\.ipynb$", re.IGNORECASE)
GRADESCOPE_METADATA = "submission_metadata.yml"
GRADESCOPE_FOLDER = re.compile(r"^submission_\d+$")

MSG_NO_SOURCE = "no folder or .zip at {path}; give the folder (or .zip) of downloaded notebooks"
MSG_BAD_ZIP = "{path} is not a readable .zip file ({error}); unzip it and pass the folder instead"
MSG_NOT_FOLDER_OR_ZIP = "{path} is a file but not a .zip; pass the folder of notebooks, or a .zip of it"
MSG_CORRUPT_ZIP = ("{path} is a corrupt .zip (it does not end as a zip file does: a download cut short?); "
                   "download it again, or unzip what you can and pass the folder")
MSG_SEVERAL_NOTEBOOKS = "{folder}: {count} notebooks; graded {chosen} (remove the others to choose another)"
MSG_NO_NOTEBOOK = "{folder}: no .ipynb file, nothing graded for this student"
MSG_DUPLICATE_ID = "{path}: student id {student!r} already taken by {first}; not graded"
MSG_GROUP = "{folder}: a group of {count}; its grade is recorded for {student} only"
MSG_NO_YAML = "{name} found but PyYAML is not installed; students are named by folder (pip install pyyaml)"

MSG_NO_ROSTER = "no roster at {path}; give a CSV file with a student_id column (and name, email, ...)"
MSG_ROSTER_NO_ID = (
    "{path} has no student id column (its columns are: {columns}); name one of them student_id"
)
ROSTER_COLUMNS = {
    "student_id": ("student_id", "student id", "sid", "id"),
    "name": ("name", "student", "full name", "student name"),
    "email": ("email", "email address", "e-mail"),
    "canvas_id": ("canvas_id", "canvas id", "canvas user id"),
    "sis_user_id": ("sis_user_id", "sis user id", "id number", "idnumber"),
    "sis_login_id": ("sis_login_id", "sis login id", "login"),
    "section": ("section",),
}


@dataclass(frozen=True)
class Submission:
    """One student's notebook inside the batch."""

    student_id: str
    file_name: str  #: path inside the folder or zip, with ``/`` separators
    size: int


@dataclass
class Discovery:
    """The submissions found, and what the instructor should know about the ones not taken."""

    submissions: list[Submission] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class SubmissionSource:
    """A folder or a .zip of notebooks; :meth:`read` gives a file's bytes (capped)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._zip: zipfile.ZipFile | None = None
        if self.path.is_dir():
            return
        if not self.path.exists():
            raise UserError(MSG_NO_SOURCE.format(path=self.path))
        if not zipfile.is_zipfile(self.path):
            if self.path.suffix.lower() == ".zip" or _starts_like_a_zip(self.path):
                raise UserError(MSG_CORRUPT_ZIP.format(path=self.path))
            raise UserError(MSG_NOT_FOLDER_OR_ZIP.format(path=self.path))
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as error:
            raise UserError(MSG_BAD_ZIP.format(path=self.path, error=error)) from None

    def files(self) -> dict[str, int]:
        """Every file, as ``relative/path -> size``."""
        if self._zip is not None:
            return {info.filename: info.file_size for info in self._zip.infolist() if not info.is_dir()}
        return {p.relative_to(self.path).as_posix(): p.stat().st_size
                for p in sorted(self.path.rglob("*")) if p.is_file()}

    def read(self, name: str, limit: int) -> bytes:
        """Up to ``limit + 1`` bytes of ``name`` (enough to tell that a file is over the limit)."""
        if self._zip is not None:
            with self._zip.open(name) as handle:
                return handle.read(limit + 1)
        with open(self.path / name, "rb") as handle:
            return handle.read(limit + 1)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> SubmissionSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _starts_like_a_zip(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def _ignored(parts: tuple[str, ...]) -> bool:
    return any(part.startswith(".") or part == "__MACOSX" for part in parts)


def _unwrap(paths: list[PurePosixPath]) -> tuple[str, list[PurePosixPath]]:
    """Drop a top folder that holds everything and more than one entry (``batch.zip`` -> ``batch/...``).

    A single folder holding a single entry is taken as one student's folder, not a wrapper.
    """
    prefix = ""
    while (paths and all(len(p.parts) > 1 for p in paths) and len({p.parts[0] for p in paths}) == 1
           and len({p.parts[1] for p in paths}) > 1):
        prefix += paths[0].parts[0] + "/"
        paths = [PurePosixPath(*p.parts[1:]) for p in paths]
    return prefix, paths


def student_id_for(path: PurePosixPath) -> str:
    """The student a notebook belongs to, from its path inside the batch (see the module docstring)."""
    if len(path.parts) == 1:
        match = CANVAS_NAME.match(path.name)
        return match.group("user") if match else path.stem
    folder = path.parts[0]
    for suffix in MOODLE_SUFFIXES:
        if folder.endswith(suffix):
            return folder[: -len(suffix)]
    return folder


def discover(source: SubmissionSource) -> Discovery:
    """Find one notebook per student in ``source``."""
    files = source.files()
    visible = [PurePosixPath(name) for name in sorted(files) if not _ignored(PurePosixPath(name).parts)]
    prefix, relative = _unwrap(visible)
    found = Discovery()
    names = _gradescope_names(source, prefix, relative, files, found)
    by_folder: dict[str, list[PurePosixPath]] = {}
    for path in relative:
        if len(path.parts) > 1:
            by_folder.setdefault(path.parts[0], [])
            if path.suffix.lower() == NOTEBOOK_SUFFIX:
                by_folder[path.parts[0]].append(path)
    chosen = [p for p in relative if len(p.parts) == 1 and p.suffix.lower() == NOTEBOOK_SUFFIX]
    for folder, notebooks in sorted(by_folder.items()):
        if not notebooks:
            found.warnings.append(MSG_NO_NOTEBOOK.format(folder=prefix + folder))
            continue
        notebooks.sort(key=lambda p: (len(p.parts), str(p)))
        if len(notebooks) > 1:
            found.warnings.append(MSG_SEVERAL_NOTEBOOKS.format(folder=folder, count=len(notebooks),
                                                               chosen=notebooks[0].as_posix()))
        chosen.append(notebooks[0])
    taken: dict[str, str] = {}
    for path in sorted(chosen, key=str):
        student = names.get(path.parts[0]) if len(path.parts) > 1 else None
        student = student or student_id_for(path)
        full = prefix + path.as_posix()
        if student in taken:
            found.warnings.append(MSG_DUPLICATE_ID.format(path=full, student=student, first=taken[student]))
            continue
        taken[student] = full
        found.submissions.append(Submission(student, full, files[full]))
    found.submissions.sort(key=lambda s: s.student_id)
    return found


def _gradescope_names(source, prefix, relative, files, found) -> dict[str, str]:
    """Folder -> student id from a Gradescope ``submission_metadata.yml`` (empty without one)."""
    if PurePosixPath(GRADESCOPE_METADATA) not in relative:
        return {}
    try:
        import yaml
    except ImportError:
        found.warnings.append(MSG_NO_YAML.format(name=GRADESCOPE_METADATA))
        return {}
    name = prefix + GRADESCOPE_METADATA
    try:
        metadata = yaml.safe_load(source.read(name, files[name]).decode("utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        found.warnings.append("%s could not be read (%s); students are named by folder" % (name, error))
        return {}
    names = {}
    for key, entry in metadata.items() if isinstance(metadata, dict) else ():
        folder = str(key).lstrip(":")
        submitters = (entry or {}).get(":submitters") or (entry or {}).get("submitters") or []
        if not GRADESCOPE_FOLDER.match(folder) or not submitters:
            continue
        first = {str(k).lstrip(":"): v for k, v in submitters[0].items()}
        student = str(first.get("sid") or first.get("email") or first.get("name") or folder)
        if len(submitters) > 1:
            found.warnings.append(MSG_GROUP.format(folder=folder, count=len(submitters), student=student))
        names[folder] = student
    return names


def load_roster(path: str | Path) -> dict[str, dict[str, str]]:
    """Read a roster CSV into ``student_id -> {name, email, canvas_id, sis_user_id, sis_login_id, section}``.

    Column names are matched without regard to case, with common aliases
    (:data:`ROSTER_COLUMNS`); only ``student_id`` is required.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(MSG_NO_ROSTER.format(path=path))
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        columns = {}
        for key, aliases in ROSTER_COLUMNS.items():
            for column in header:
                if column.strip().lower() in aliases and key not in columns:
                    columns[key] = column
        if "student_id" not in columns:
            raise UserError(MSG_ROSTER_NO_ID.format(path=path, columns=", ".join(header) or "none"))
        roster = {}
        for row in reader:
            student = (row.get(columns["student_id"]) or "").strip()
            if student:
                roster[student] = {key: (row.get(column) or "").strip()
                                   for key, column in columns.items() if key != "student_id"}
    return roster
