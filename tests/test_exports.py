"""Exports render stored results in each LMS format, and feedback files, without grading again."""

import csv
import io
import json

import pytest

from graders.assignment import current
from graders.batch.gradebook import Gradebook
from graders.batch.run import zero_result
from graders.cli import main
from graders.errors import UserError
from graders.render.exports import (
    CANVAS_COLUMNS,
    CANVAS_POINTS_ROW,
    MISSING,
    MOODLE_COLUMNS,
    MOODLE_FEEDBACK,
    export_grades,
    safe_file_stem,
    write_feedback,
)
from graders.render.results import to_gradescope
from tests.batch_support import CONTEXT, graded

SPEC = current().spec
BOB_LOSES = {"linear_forward": 8.0}
ROSTER = {
    "alice": {"name": "Alice Ames", "email": "alice@x.edu", "canvas_id": "501", "sis_user_id": "S1",
              "sis_login_id": "aames", "section": "A"},
    "bob<script>": {"name": "Bob <b>Bold</b>", "email": "bob@x.edu", "sis_user_id": "S2"},
    "dan": {"name": "Dan Absent", "email": "dan@x.edu", "sis_user_id": "S4"},
}


@pytest.fixture
def gradebook(tmp_path):
    path = tmp_path / "gb.sqlite"
    with Gradebook(path) as book:
        book.upsert_students(ROSTER)
        run = book.start_run(CONTEXT, "subs", "pool:2", {})
        book.record("alice", "alice.ipynb", "a", graded("alice.ipynb", {}), CONTEXT, run)
        book.record("bob<script>", "bob.ipynb", "b", graded("bob.ipynb", BOB_LOSES), CONTEXT, run)
        unreadable = zero_result("carol.ipynb", "unreadable", "Not JSON.", "unreadable")
        book.record("carol", "carol.ipynb", "c", unreadable, CONTEXT, run)
    return path


def exported(gradebook, fmt, tmp_path, **kwargs) -> str:
    out = tmp_path / ("grades." + fmt)
    export_grades(gradebook, fmt, out, **kwargs)
    return out.read_text(encoding="utf-8")


def test_canvas_has_student_columns_points_possible_and_one_assignment_column(gradebook, tmp_path):
    text = exported(gradebook, "canvas", tmp_path, assignment="Step by Step (77)")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(CANVAS_COLUMNS) + ["Step by Step (77)"]
    assert rows[1] == [CANVAS_POINTS_ROW, "", "", "", "", "100"]
    by_name = {row[0]: row for row in rows[2:]}
    assert by_name["Alice Ames"] == ["Alice Ames", "501", "S1", "aames", "A", "100"]
    assert by_name["Bob <b>Bold</b>"][-1] == "92"
    assert by_name["carol"][-1] == "0"
    assert by_name["Dan Absent"][-1] == ""  # no submission: left empty, not zero


def test_moodle_maps_by_email_or_id_number(gradebook, tmp_path):
    rows = list(csv.DictReader(io.StringIO(exported(gradebook, "moodle", tmp_path))))
    assert list(rows[0]) == list(MOODLE_COLUMNS) + [SPEC.title, MOODLE_FEEDBACK]
    alice = next(r for r in rows if r["Email address"] == "alice@x.edu")
    assert (alice["ID number"], alice[SPEC.title]) == ("S1", "100")
    bob = next(r for r in rows if r["ID number"] == "S2")
    assert bob[SPEC.title] == "92" and "linear_forward" in bob[MOODLE_FEEDBACK]
    assert next(r for r in rows if r["Full name"] == "carol")[MOODLE_FEEDBACK] == "Not JSON."


def test_plain_csv_has_one_column_per_function_and_total_and_status(gradebook, tmp_path):
    rows = {r["student_id"]: r for r in csv.DictReader(io.StringIO(exported(gradebook, "csv", tmp_path)))}
    header = list(rows["alice"])
    assert header[4:-3] == list(SPEC.functions)
    assert header[-3:] == ["total", "max_score", "status"]
    assert (rows["bob<script>"]["linear_forward"], rows["bob<script>"]["total"]) == ("2", "92")
    assert rows["carol"]["status"] == "unreadable"
    assert rows["dan"]["status"] == MISSING and rows["dan"]["total"] == ""


def test_json_is_the_gradescope_result_per_submission(gradebook, tmp_path):
    entries = json.loads(exported(gradebook, "json", tmp_path))
    assert [e["student_id"] for e in entries] == ["alice", "bob<script>", "carol"]
    bob = entries[1]
    assert bob["results"] == json.loads(json.dumps(to_gradescope(graded("bob.ipynb", BOB_LOSES))))
    assert {"score", "tests", "output"} <= set(bob["results"])


def test_feedback_files_per_student_in_markdown_and_html(gradebook, tmp_path):
    paths = write_feedback(gradebook, tmp_path / "feedback")
    names = sorted(p.name for p in paths)
    assert names == ["alice.html", "alice.md", "bob_script.html", "bob_script.md", "carol.html", "carol.md"]
    markdown = (tmp_path / "feedback" / "bob_script.md").read_text()
    assert "| `linear_forward` | 2 / 10 | failed |" in markdown
    assert "linear_forward: the values are wrong." in markdown
    page = (tmp_path / "feedback" / "bob_script.html").read_text()
    assert "<b>Bold</b>" not in page and "&lt;b&gt;Bold&lt;/b&gt;" in page
    assert "Not JSON." in (tmp_path / "feedback" / "carol.md").read_text()


def test_safe_file_stem():
    assert safe_file_stem("../../etc/passwd") == "etc_passwd"
    assert safe_file_stem("Jo Moodle_77") == "Jo_Moodle_77"
    assert safe_file_stem("...") == "student"


def test_unknown_format_and_empty_gradebook_are_user_errors(gradebook, tmp_path):
    with pytest.raises(UserError, match="unknown export format 'xls'"):
        export_grades(gradebook, "xls", tmp_path / "out")
    Gradebook(tmp_path / "empty.sqlite").close()
    with pytest.raises(UserError, match="holds no grades yet"):
        export_grades(tmp_path / "empty.sqlite", "csv", tmp_path / "out.csv")
    with pytest.raises(UserError, match="no gradebook at"):
        export_grades(tmp_path / "missing.sqlite", "csv", tmp_path / "out.csv")


def test_export_command(gradebook, tmp_path, capsys):
    out, feedback = tmp_path / "canvas.csv", tmp_path / "fb"
    code = main(["export", "--gradebook", str(gradebook), "--format", "canvas", "--out", str(out),
                 "--feedback", str(feedback)])
    assert code == 0
    assert out.read_text().startswith(",".join(CANVAS_COLUMNS))
    assert (feedback / "alice.html").exists()
    assert "wrote 6 feedback files" in capsys.readouterr().out


def _no_roster_gradebook(path):
    with Gradebook(path) as book:
        run = book.start_run(CONTEXT, "subs", "pool:2", {})
        book.record("alice", "alice.ipynb", "a", graded("alice.ipynb", {}), CONTEXT, run)
        book.record("bob", "bob.ipynb", "b", graded("bob.ipynb", BOB_LOSES), CONTEXT, run)
    return path


@pytest.mark.parametrize("fmt, what", [("canvas", "an ID, SIS User ID or SIS Login ID"),
                                       ("moodle", "an email address or ID number")])
def test_an_lms_file_no_student_could_be_matched_in_is_refused(tmp_path, fmt, what):
    gradebook = _no_roster_gradebook(tmp_path / "gb.sqlite")
    with pytest.raises(UserError) as refused:
        export_grades(gradebook, fmt, tmp_path / "grades.csv")
    message = str(refused.value)
    assert "2 of 2 students lack %s" % what in message and "--roster roster.csv" in message
    assert not (tmp_path / "grades.csv").exists()
    export_grades(gradebook, "csv", tmp_path / "plain.csv")  # a plain CSV needs no LMS ids


def test_rows_an_lms_would_skip_are_named(gradebook, tmp_path, capsys):
    # carol has a submission but is not on the roster: Canvas could not match her row
    assert main(["export", "--gradebook", str(gradebook), "--format", "canvas", "--out",
                 str(tmp_path / "grades.csv")]) == 0
    err = capsys.readouterr().err
    assert "1 of 4 students lack an ID, SIS User ID or SIS Login ID: Canvas will skip their rows (carol)" in err
    assert "--roster" in err
    assert (tmp_path / "grades.csv").exists()
