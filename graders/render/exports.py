"""Grades out of the gradebook: LMS imports (Canvas, Moodle), plain CSV, JSON, and per-student feedback.

Everything renders from the stored results (``result_from_dict``), never by grading again. Students
on the roster without a submission appear with an empty grade, which Canvas and Moodle read as
"no grade" rather than zero.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from graders.batch.gradebook import Gradebook, StoredSubmission
from graders.errors import UserError
from graders.result import GradeResult, Status
from graders.spec import AssignmentSpec

FORMATS = ("canvas", "moodle", "csv", "json")
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_POINTS_ROW = "    Points Possible"
MOODLE_COLUMNS = ("Full name", "Email address", "ID number")
MOODLE_FEEDBACK = "Feedback comments"
MISSING = "missing"

MSG_UNKNOWN_FORMAT = "unknown export format {name!r}; choose one of: {choices}"
#: what each LMS matches a row to a student by (its importer's documented columns)
LMS_IDENTITY = {
    "canvas": (("canvas_id", "sis_user_id", "sis_login_id"), "an ID, SIS User ID or SIS Login ID"),
    "moodle": (("email", "sis_user_id"), "an email address or ID number"),
}
MSG_NO_IDENTITY = (
    "{none} of {count} students lack {what}, which {lms} needs to match a row to a student, so the "
    "file could not be imported. Give the batch the roster the LMS exports (dnngrade batch SUBMISSIONS "
    "--gradebook {path} --roster roster.csv, with columns student_id and {columns}), then export again."
)
MSG_SOME_WITHOUT_IDENTITY = (
    "{none} of {count} students lack {what}: {lms} will skip their rows ({names}). Add them to the "
    "roster (--roster on dnngrade batch) and export again."
)
MSG_EMPTY = "{path} holds no grades yet; run `dnngrade batch SUBMISSIONS --gradebook {path}` first"


def _to_gradescope(result: GradeResult) -> dict:
    from graders.render.results import to_gradescope  # imported when used: the CLI reads FORMATS at start-up

    return to_gradescope(result)


@dataclass(frozen=True)
class Row:
    """One student as exported: roster fields and the stored submission (None when missing)."""

    student_id: str
    info: dict[str, str]
    stored: StoredSubmission | None

    @property
    def name(self) -> str:
        return self.info.get("name") or self.student_id


def gradebook_rows(book: Gradebook) -> list[Row]:
    """Every student with a submission or on the roster, ordered by student id."""
    roster = book.students()
    stored = {s.student_id: s for s in book.submissions()}
    ids = sorted(set(roster) | set(stored))
    return [Row(student, roster.get(student, {}), stored.get(student)) for student in ids]


def _points(value: float) -> str:
    return ("%.4f" % value).rstrip("0").rstrip(".")


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def canvas_csv(rows: list[Row], spec: AssignmentSpec, assignment: str | None = None) -> str:
    """Canvas gradebook import: the student columns, one assignment column, and the Points Possible row.

    ``assignment`` is the column header; to update an existing Canvas assignment use the header
    Canvas exports for it, e.g. ``"Step by Step (12345)"``.
    """
    column = assignment or spec.title
    table = [list(CANVAS_COLUMNS) + [column], [CANVAS_POINTS_ROW, "", "", "", "", _points(spec.total_points)]]
    for row in rows:
        info = row.info
        table.append([row.name, _canvas_id(row), info.get("sis_user_id", ""), info.get("sis_login_id", ""),
                      info.get("section", ""), _points(row.stored.score) if row.stored else ""])
    return _csv(table)


def moodle_csv(rows: list[Row], spec: AssignmentSpec, assignment: str | None = None) -> str:
    """Moodle "Import grades: CSV file": map "Email address" (or "ID number") to the user and the
    assignment column to the grade item; the feedback column can be mapped to its feedback."""
    column = assignment or spec.title
    table = [list(MOODLE_COLUMNS) + [column, MOODLE_FEEDBACK]]
    for row in rows:
        info = row.info
        feedback = short_feedback(row.stored.result()) if row.stored else ""
        table.append([row.name, info.get("email", ""), info.get("sis_user_id", ""),
                      _points(row.stored.score) if row.stored else "", feedback])
    return _csv(table)


def short_feedback(result: GradeResult) -> str:
    """One line for an LMS comment: the score and the functions to fix, or why nothing was graded."""
    if result.status != Status.GRADED:
        return result.events[0].message if result.events else result.status
    failed = [f.name for f in result.functions if f.status != "passed"]
    text = "%s / %s points." % (_points(result.score), _points(result.max_score))
    return text + (" To fix: %s." % ", ".join(failed) if failed else "")


def plain_csv(rows: list[Row], spec: AssignmentSpec) -> str:
    """One row per student: ids, one column per graded function, total, max and status."""
    functions = list(spec.functions)
    table = [["student_id", "name", "email", "file_name"] + functions + ["total", "max_score", "status"]]
    for row in rows:
        head = [row.student_id, row.info.get("name", ""), row.info.get("email", "")]
        if row.stored is None:
            table.append(head + [""] + [""] * len(functions) + ["", _points(spec.total_points), MISSING])
            continue
        scores = {f.name: f.score for f in row.stored.result().functions}
        table.append(head + [row.stored.file_name] + [_points(scores.get(name, 0.0)) for name in functions]
                     + [_points(row.stored.score), _points(row.stored.max_score), row.stored.status])
    return _csv(table)


def json_export(rows: list[Row]) -> str:
    """Per submission, the Gradescope-shaped result (``results.json``), with the student's ids."""
    entries = []
    for row in rows:
        if row.stored is None:
            continue
        entries.append({"student_id": row.student_id, "name": row.info.get("name", ""),
                        "email": row.info.get("email", ""), "file_name": row.stored.file_name,
                        "sha256": row.stored.sha256, "status": row.stored.status,
                        "results": _to_gradescope(row.stored.result())})
    return json.dumps(entries, indent=2, sort_keys=True) + "\n"


def without_identity(rows: list[Row], fmt: str) -> list[Row]:
    """The rows an LMS import in ``fmt`` could not match to a student (none for csv and json)."""
    if fmt not in LMS_IDENTITY:
        return []
    fields = LMS_IDENTITY[fmt][0]

    def known(row: Row) -> bool:
        return bool(fmt == "canvas" and _canvas_id(row)) or any(row.info.get(name) for name in fields)

    return [row for row in rows if not known(row)]


def _canvas_id(row: Row) -> str:
    """The Canvas user id: the roster's, else the student id of a Canvas download (its file names
    carry it)."""
    return row.info.get("canvas_id") or (row.student_id if row.student_id.isdigit() else "")


def export_grades(gradebook: str | Path, fmt: str, out: str | Path, assignment: str | None = None,
                  warn=None) -> int:
    """Write the grades in ``fmt`` to ``out``; return the number of students written.

    An LMS file that the LMS could match to no student is refused; one where only some rows lack
    what it matches by is written, and ``warn(message)`` says which."""
    if fmt not in FORMATS:
        raise UserError(MSG_UNKNOWN_FORMAT.format(name=fmt, choices=", ".join(FORMATS)))
    from graders.assignment import for_gradebook

    with Gradebook(gradebook, must_exist=True) as book:
        rows = gradebook_rows(book)
        pack = for_gradebook(book)
    if not any(row.stored for row in rows):
        raise UserError(MSG_EMPTY.format(path=gradebook))
    unmatched = without_identity(rows, fmt)
    if unmatched:
        fields, what = LMS_IDENTITY[fmt]
        values = dict(none=len(unmatched), count=len(rows), what=what, lms=fmt.capitalize(), path=gradebook,
                      columns=", ".join(fields))
        if len(unmatched) == len(rows):
            raise UserError(MSG_NO_IDENTITY.format(**values))
        if warn is not None:
            names = ", ".join(row.student_id for row in unmatched[:5]) + (", ..." if len(unmatched) > 5 else "")
            warn(MSG_SOME_WITHOUT_IDENTITY.format(names=names, **values))
    spec = pack.spec
    if fmt == "canvas":
        text = canvas_csv(rows, spec, assignment)
    elif fmt == "moodle":
        text = moodle_csv(rows, spec, assignment)
    elif fmt == "csv":
        text = plain_csv(rows, spec)
    else:
        text = json_export(rows)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    return len(rows) if fmt != "json" else sum(1 for row in rows if row.stored)


def export_changes(gradebook: str | Path, out: str | Path, run_id: int | None = None) -> int:
    """Write the score changes of run ``run_id`` (default: the latest run that changed any score)
    as CSV, one row per student and changed score (``total`` first, then each function whose
    score changed); return the number of students."""
    with Gradebook(gradebook, must_exist=True) as book:
        changes = book.score_changes(run_id)
        names = {student: info.get("name", "") for student, info in book.students().items()}
    table = [["run_id", "student_id", "name", "score", "old", "new"]]
    for change in changes:
        head = [str(change["run_id"]), change["student_id"], names.get(change["student_id"], "")]
        table.append(head + ["total", _points(change["old_score"]), _points(change["new_score"])])
        for name, (old, new) in change["functions"].items():
            table.append(head + [name, "" if old is None else _points(old), "" if new is None else _points(new)])
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_csv(table), encoding="utf-8", newline="")
    return len(changes)


# -- feedback files --------------------------------------------------------------------------------


def safe_file_stem(student_id: str) -> str:
    """A file name for a student id: letters, digits, ``._-``; anything else becomes ``_``."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", student_id).strip("._") or "student"
    return stem[:120]


def feedback_markdown(result: GradeResult, student: str) -> str:
    """A student's feedback as Markdown: score table, then each test's output in a code block."""
    report = _to_gradescope(result)
    lines = ["# Feedback for %s" % student, "", "**%s**" % report["output"], "",
             "| Part | Score | Status |", "|---|---:|---|"]
    for test in report["tests"]:
        if test["max_score"]:
            lines.append("| `%s` | %s / %s | %s |" % (test["name"], _points(test["score"]),
                                                     _points(test["max_score"]), test["status"]))
    for test in report["tests"]:
        if test["output"] and (test["status"] != "passed" or not test["max_score"]):
            lines += ["", "## %s" % test["name"], "", "```text", test["output"].replace("```", "'''"), "```"]
    return "\n".join(lines) + "\n"


def feedback_html(result: GradeResult, student: str) -> str:
    """The same feedback as a standalone HTML page."""
    report = _to_gradescope(result)
    esc = html.escape
    rows = "".join(
        "<tr class=\"%s\"><td><code>%s</code></td><td>%s / %s</td><td>%s</td></tr>" % (
            esc(t["status"]), esc(t["name"]), _points(t["score"]), _points(t["max_score"]), esc(t["status"]))
        for t in report["tests"] if t["max_score"])
    sections = "".join(
        "<h2>%s</h2><pre>%s</pre>" % (esc(t["name"]), esc(t["output"]))
        for t in report["tests"] if t["output"] and (t["status"] != "passed" or not t["max_score"]))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Feedback for %s</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}td,th{padding:.2em .8em}"
        "tr.failed td{color:#a40000}pre{background:#f4f4f4;padding:.8em;white-space:pre-wrap}</style>"
        "</head><body><h1>Feedback for %s</h1><p><strong>%s</strong></p>"
        "<table><tr><th>Part</th><th>Score</th><th>Status</th></tr>%s</table>%s</body></html>\n"
    ) % (esc(student), esc(student), esc(report["output"]), rows, sections)


def write_feedback(gradebook: str | Path, folder: str | Path) -> list[Path]:
    """Write ``<student>.md`` and ``<student>.html`` per stored submission; return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with Gradebook(gradebook, must_exist=True) as book:
        rows = gradebook_rows(book)
    used: set[str] = set()
    for row in rows:
        if row.stored is None:
            continue
        stem = safe_file_stem(row.student_id)
        while stem in used:
            stem += "_"
        used.add(stem)
        result = row.stored.result()
        student = "%s (%s)" % (row.name, row.student_id) if row.name != row.student_id else row.student_id
        for path, text in ((folder / (stem + ".md"), feedback_markdown(result, student)),
                           (folder / (stem + ".html"), feedback_html(result, student))):
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
