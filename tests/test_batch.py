"""``dnngrade batch``: finding submissions, the sample batch end to end, resuming, and failures."""

import hashlib
import io
import os
import zipfile
from dataclasses import asdict
from pathlib import Path

import pytest

from graders.assignment import current
from graders.batch import run as batch
from graders.batch.gradebook import Gradebook
from graders.batch.inputs import (
    MSG_DUPLICATE_ID,
    MSG_NO_NOTEBOOK,
    MSG_SEVERAL_NOTEBOOKS,
    SubmissionSource,
    discover,
    load_roster,
)
from graders.batch.run import (
    MSG_CONTEXT_MISMATCH,
    MSG_PROCESS_DIED,
    MSG_RAISED,
    grade_submission,
    grading_context,
    run_batch,
    zero_result,
)
from graders.batch.summary import Progress, format_summary
from graders.errors import UserError
from tests.batch_support import (
    FAST,
    FAST_OPTIONS,
    SAMPLE_EXPECTED,
    SAMPLE_ROSTER,
    SAMPLE_SUBMISSIONS,
    copy_samples,
    dnngrade,
    quick_samples,
    read_csv,
)
from tools import samples


def touch(path: Path, text: str = "{}") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def found_ids(path) -> tuple[dict, list]:
    with SubmissionSource(path) as source:
        found = discover(source)
    return {s.student_id: s.file_name for s in found.submissions}, found.warnings


# -- finding submissions ---------------------------------------------------------------------------


def test_student_ids_from_download_layouts(tmp_path):
    touch(tmp_path / "alice.ipynb")
    touch(tmp_path / "smithjo_LATE_4321_98765_Step_by_step.ipynb")
    touch(tmp_path / "Jo Moodle_77_assignsubmission_file_" / "work.ipynb")
    touch(tmp_path / "submission_5" / "nb.ipynb")
    touch(tmp_path / "carol" / "dnn.ipynb")
    touch(tmp_path / "carol" / ".ipynb_checkpoints" / "dnn-checkpoint.ipynb")
    touch(tmp_path / "__MACOSX" / "._alice.ipynb")
    touch(tmp_path / ".hidden.ipynb")
    touch(tmp_path / "readme.txt")
    ids, warnings = found_ids(tmp_path)
    assert ids == {
        "alice": "alice.ipynb",
        "4321": "smithjo_LATE_4321_98765_Step_by_step.ipynb",
        "Jo Moodle_77": "Jo Moodle_77_assignsubmission_file_/work.ipynb",
        "submission_5": "submission_5/nb.ipynb",
        "carol": "carol/dnn.ipynb",
    }
    assert warnings == []


def test_ambiguous_layouts_are_reported(tmp_path):
    touch(tmp_path / "dave" / "a.ipynb")
    touch(tmp_path / "dave" / "b.ipynb")
    touch(tmp_path / "erin" / "notes.txt")
    touch(tmp_path / "frank.ipynb")
    touch(tmp_path / "frank" / "x.ipynb")
    ids, warnings = found_ids(tmp_path)
    assert ids == {"dave": "dave/a.ipynb", "frank": "frank.ipynb"}
    assert MSG_SEVERAL_NOTEBOOKS.format(folder="dave", count=2, chosen="dave/a.ipynb") in warnings
    assert MSG_NO_NOTEBOOK.format(folder="erin") in warnings
    assert MSG_DUPLICATE_ID.format(path="frank/x.ipynb", student="frank", first="frank.ipynb") in warnings


def test_zip_with_a_top_folder_finds_the_same_students(tmp_path):
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(SAMPLE_SUBMISSIONS.rglob("*")):
            if path.is_file():
                zf.write(path, "downloads/" + path.relative_to(SAMPLE_SUBMISSIONS).as_posix())
        zf.writestr("__MACOSX/downloads/._correct.ipynb", b"\0\0")
    in_zip, _ = found_ids(archive)
    in_folder, _ = found_ids(SAMPLE_SUBMISSIONS)
    assert {k: "downloads/" + v for k, v in in_folder.items()} == in_zip
    assert set(in_folder) == {s.student_id for s in samples.graded_samples()}


def test_gradescope_metadata_names_students(tmp_path):
    pytest.importorskip("yaml")
    touch(tmp_path / "submission_101" / "nb.ipynb")
    touch(tmp_path / "submission_102" / "nb.ipynb")
    touch(tmp_path / "submission_metadata.yml", (
        ":submission_101:\n  :submitters:\n  - :name: Ann Lee\n    :sid: '7001'\n    :email: ann@x.edu\n"
        ":submission_102:\n  :submitters:\n  - :name: Bo Kim\n    :email: bo@x.edu\n"))
    ids, _ = found_ids(tmp_path)
    assert ids == {"7001": "submission_101/nb.ipynb", "bo@x.edu": "submission_102/nb.ipynb"}


def test_missing_or_wrong_source_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no folder or .zip"):
        SubmissionSource(tmp_path / "nothing")
    touch(tmp_path / "grades.csv", "a,b\n")
    with pytest.raises(UserError, match="not a .zip"):
        SubmissionSource(tmp_path / "grades.csv")


def test_roster_columns_are_matched_by_alias(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("\ufeffSID,Full Name,Email Address,Section\n 42 ,Ann Lee,ann@x.edu,A\n,skipped,,\n",
                      encoding="utf-8")
    assert load_roster(roster) == {"42": {"name": "Ann Lee", "email": "ann@x.edu", "section": "A"}}


def test_roster_without_id_column_is_a_user_error(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email\nAnn,ann@x.edu\n")
    with pytest.raises(UserError, match="no student id column .*name, email"):
        load_roster(roster)


# -- the bundled samples ----------------------------------------------------------------------------


def test_samples_are_current():
    assert samples.stale_files() == []


def test_sample_points_match_the_spec():
    assert samples.POINTS == {name: f.points for name, f in current().spec.functions.items()}


def test_main_job_on_the_samples_gives_the_expected_grades(tmp_path):
    """The README's main job: batch then export, through the command line."""
    gradebook, out = tmp_path / "gradebook.sqlite", tmp_path / "grades.csv"
    graded = dnngrade("batch", str(SAMPLE_SUBMISSIONS), "--gradebook", str(gradebook), "--roster",
                      str(SAMPLE_ROSTER), "--workers", "2", *FAST_OPTIONS)
    assert graded.returncode == 0, graded.stderr
    assert "19 submissions" in graded.stdout
    assert "graded 16, failed to read 3, could not grade 0, with timeouts 1" in graded.stdout
    for unreadable in ("invalid_json", "not_utf8", "truncated"):  # named, with why
        assert "could not read %s: Not graded: The notebook is not valid" % unreadable in graded.stdout
    assert "no submission from 1 on the roster: absent_student" in graded.stdout
    exported = dnngrade("export", "--gradebook", str(gradebook), "--format", "csv", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    got = {row["student_id"]: row for row in read_csv(out)}
    assert got.pop("absent_student")["status"] == "missing"
    expected = {row["student_id"]: row for row in read_csv(SAMPLE_EXPECTED)}
    assert sorted(got) == sorted(expected)
    for student, row in expected.items():
        for column, value in row.items():
            if column in ("student_id", "status"):
                assert got[student][column] == value, (student, column)
            else:
                assert float(got[student][column]) == pytest.approx(float(value)), (student, column)
    again = dnngrade("batch", str(SAMPLE_SUBMISSIONS), "--gradebook", str(gradebook), *FAST_OPTIONS)
    assert "0 graded now, 19 already in the gradebook\n" in again.stdout


# -- resuming and regrading -------------------------------------------------------------------------


def test_rerun_grades_only_new_or_changed_submissions(tmp_path):
    folder = copy_samples(tmp_path / "subs", quick_samples()[:3])
    gradebook = tmp_path / "gb.sqlite"
    first = run_batch(folder, gradebook, workers=2, limits=FAST, show_progress=False)
    assert (first.graded_now, first.skipped) == (3, 0)
    assert run_batch(folder, gradebook, workers=2, limits=FAST, show_progress=False).graded_now == 0
    changed = folder / quick_samples()[0].path
    changed.write_bytes(changed.read_bytes().replace(b"A complete submission.", b"A changed submission."))
    assert run_batch(folder, gradebook, workers=2, limits=FAST, show_progress=False).graded_now == 1
    regraded = run_batch(folder, gradebook, workers=2, limits=FAST, regrade=True, show_progress=False)
    assert regraded.graded_now == 3
    with Gradebook(gradebook) as book:
        assert book.count() == 3
        assert len(book.runs()) == 4


def test_zip_batch_reads_each_notebook_from_the_archive(tmp_path):
    chosen = quick_samples()[:3]
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for sample in chosen:
            zf.write(SAMPLE_SUBMISSIONS / sample.path, "class/" + sample.path)
    summary = run_batch(archive, tmp_path / "gb.sqlite", workers=2, limits=FAST, show_progress=False)
    assert summary.graded_now == 3
    with Gradebook(tmp_path / "gb.sqlite") as book:
        stored = {s.student_id: s for s in book.submissions()}
    for sample in chosen:
        data = (SAMPLE_SUBMISSIONS / sample.path).read_bytes()
        assert stored[sample.student_id].sha256 == hashlib.sha256(data).hexdigest()
        assert stored[sample.student_id].file_name == "class/" + sample.path


# -- failures never stop a batch (fake grading functions, no notebooks run) -------------------------


def fake_grade(student_id, file_name, data, settings=None):
    """Pretends to grade: full marks for everyone, except the students named for a failure."""
    if student_id == "raises":
        raise RuntimeError("the grader tripped")
    if student_id == "kills_its_process":
        os._exit(3)
    context = asdict(grading_context())
    if student_id == "other_kit":
        context["kit_version"] = "0.0-other"
    result = zero_result(file_name, "graded", "fake", "worker")
    return {"student_id": student_id, "file_name": file_name, "result": result.to_dict(), "context": context}


@pytest.fixture
def failing_batch(tmp_path):
    folder = tmp_path / "subs"
    for name in ("ann", "raises", "bob", "kills_its_process", "cid", "other_kit", "dee", "eve"):
        touch(folder / (name + ".ipynb"))
    return folder


def test_failures_become_could_not_grade_results(tmp_path, failing_batch):
    summary = run_batch(failing_batch, tmp_path / "gb.sqlite", workers=2, show_progress=False,
                        grade_function=fake_grade)
    assert summary.graded_now == 8
    with Gradebook(tmp_path / "gb.sqlite") as book:
        stored = {s.student_id: s for s in book.submissions()}
    assert sorted(stored) == ["ann", "bob", "cid", "dee", "eve", "kills_its_process", "other_kit", "raises"]
    statuses = {student: row.status for student, row in stored.items()}
    assert [s for s, status in sorted(statuses.items()) if status == "could_not_grade"] == [
        "kills_its_process", "other_kit", "raises"]
    reasons = {student: stored[student].result().events[0].message for student in stored}
    assert MSG_RAISED.format(error="RuntimeError: the grader tripped") in reasons["raises"]
    assert MSG_PROCESS_DIED.split("(")[0] in reasons["kills_its_process"]
    assert MSG_CONTEXT_MISMATCH.split("{")[0] in reasons["other_kit"]
    assert dict(summary.could_not_grade).keys() == {"kills_its_process", "other_kit", "raises"}
    assert "could not grade 3" in format_summary(summary)


def test_could_not_grade_is_retried_on_the_next_run(tmp_path, failing_batch):
    gradebook = tmp_path / "gb.sqlite"
    run_batch(failing_batch, gradebook, workers=2, show_progress=False, grade_function=fake_grade)
    (failing_batch / "kills_its_process.ipynb").unlink()
    (failing_batch / "other_kit.ipynb").unlink()
    summary = run_batch(failing_batch, gradebook, workers=2, show_progress=False, grade_function=fake_grade)
    assert summary.graded_now == 1  # "raises" again; the others stay graded


def test_grade_submission_returns_plain_data():
    data = (SAMPLE_SUBMISSIONS / "correct.ipynb").read_bytes()
    payload = grade_submission("correct", "correct.ipynb", data, {"limits": asdict(FAST)})
    assert payload["result"]["score"] == 100.0
    assert payload["context"] == asdict(grading_context())
    assert batch._warm_grader({"limits": asdict(FAST)}) is batch._warm_grader({"limits": asdict(FAST)})
    batch.close_warm_graders()


# -- progress and summary ---------------------------------------------------------------------------


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_only_on_a_terminal():
    quiet = io.StringIO()
    bar = Progress(4, quiet)
    bar.advance()
    bar.close()
    assert quiet.getvalue() == ""
    terminal = FakeTerminal()
    bar = Progress(4, terminal)
    bar.advance(4)
    assert "4/4" in terminal.getvalue()
    assert Progress(4, FakeTerminal(), enabled=False).enabled is False


def test_progress_line_shows_rate_and_eta():
    bar = Progress(10, io.StringIO(), enabled=False)
    bar.done = 5
    assert bar.line(10.0) == "grading [%s%s] 5/10  0.5 notebooks/s  ETA 0:10 " % ("#" * 14, "." * 14)


def test_nothing_to_grade_is_a_user_error(tmp_path):
    touch(tmp_path / "subs" / "readme.txt")
    with pytest.raises(UserError, match="no notebooks found"):
        run_batch(tmp_path / "subs", tmp_path / "gb.sqlite", show_progress=False)
