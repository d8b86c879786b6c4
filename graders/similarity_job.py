"""``dnngrade similarity``: read a graded class back, compare it, store the comparison, draw it.

The code compared is read from the submitted files, in this (trusted) process: each student's
file must still be where the batch found it, with the content that was graded (its sha256 is
checked), so what is compared is what was graded. A student whose file is gone or changed is
listed on the page, not compared.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from graders.batch.gradebook import Gradebook
from graders.batch.inputs import SubmissionSource
from graders.errors import UserError
from graders.notebook import MAX_NOTEBOOK_BYTES, NotebookError, code_cells
from graders.similarity import TOP_PAIRS, SimilarityRun, Submission, compare_class
from graders.sources import definitions, function_sources
from graders.spec import AssignmentSpec

STARTER_FILE = "starter_code.txt"  #: older course templates' scaffolding, in the assignment folder
RELEASED_NOTEBOOK = "student.ipynb"

MSG_NO_SUBMISSIONS = (
    "the gradebook {gradebook} holds no graded submissions yet; run "
    "`dnngrade batch SUBMISSIONS --gradebook {gradebook}` first"
)
MSG_SOURCE_GONE = (
    "the submissions this gradebook was graded from are not at {path} any more; give their folder "
    "or .zip with --submissions PATH"
)
MISSING_FILE = "its file {file} is not in the submissions"
CHANGED_FILE = "its file {file} changed since it was graded: grade it again with `dnngrade batch`"
UNREADABLE_FILE = "its notebook cannot be read"


def starter_code(spec: AssignmentSpec, folder: Path | None = None) -> dict[str, list[str]]:
    """Per graded function, the starter code every student was given: the released notebook's
    stubs and the older course templates' scaffolding in ``starter_code.txt``."""
    if folder is None:
        from graders.assignment import current

        folder = current().folder
    names = list(spec.functions)
    found: dict[str, list[str]] = {name: [] for name in names}
    released = folder / RELEASED_NOTEBOOK
    if released.exists():
        for name, texts in definitions(code_cells(released.read_bytes()), names).items():
            found[name].extend(texts)
    starter = folder / STARTER_FILE
    if starter.exists():
        for name, texts in definitions([starter.read_text(encoding="utf-8")], names).items():
            found[name].extend(texts)
    return found


def load_class(book: Gradebook, spec: AssignmentSpec, submissions: str | Path | None = None
               ) -> tuple[list[Submission], dict[str, str], str]:
    """The graded class, with each student's function sources read from their submitted file.

    Returns the submissions, ``student -> why not compared``, and where the files were read from.
    """
    stored = book.submissions()
    if not stored:
        raise UserError(MSG_NO_SUBMISSIONS.format(gradebook=book.path))
    if submissions is None:
        runs = book.runs()
        submissions = runs[-1]["source"] if runs else ""
    path = Path(submissions)
    if not path.exists():
        raise UserError(MSG_SOURCE_GONE.format(path=path))
    names = list(spec.functions)
    outcomes = book.function_outcomes()
    students: list[Submission] = []
    missing: dict[str, str] = {}
    with SubmissionSource(path) as files:
        present = files.files()
        for row in stored:
            if row.file_name not in present:
                missing[row.student_id] = MISSING_FILE.format(file=row.file_name)
                continue
            data = files.read(row.file_name, MAX_NOTEBOOK_BYTES + 1)
            if hashlib.sha256(data).hexdigest() != row.sha256:
                missing[row.student_id] = CHANGED_FILE.format(file=row.file_name)
                continue
            try:
                cells = code_cells(data)
            except NotebookError:
                missing[row.student_id] = UNREADABLE_FILE
                continue
            graded = outcomes.get(row.student_id, {})
            students.append(Submission(row.student_id, function_sources(cells, names),
                                       {f: lost for f, (lost, _) in graded.items()},
                                       {f: first for f, (_, first) in graded.items()}))
    return students, missing, str(path)


def run_similarity(gradebook: str | Path, out: str | Path, submissions: str | Path | None = None,
                   top: int = TOP_PAIRS, workers: int = 1, scheduler: str | None = None) -> tuple[SimilarityRun, Path]:
    """Compare the class graded into ``gradebook``, store the comparison in it, write the report.

    Returns the comparison and the path of ``index.html``.
    """
    from graders.assignment import for_gradebook
    from graders.render.similarity import write_similarity_report

    with Gradebook(gradebook, must_exist=True) as book:
        pack = for_gradebook(book)
        spec = pack.spec
        students, missing, where = load_class(book, spec, submissions)
    run = compare_class(students, list(spec.functions), starter_code(spec, pack.folder), top=top, workers=workers,
                        scheduler=scheduler)
    run.missing = missing
    with Gradebook(gradebook, writer=True, wait=True) as book:
        book.record_similarity(where, run.to_dict())
    index = write_similarity_report(run, out, title=spec.title)
    return run, index
