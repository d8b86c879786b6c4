"""The SQLite gradebook: schema, idempotent upserts, statistics and the run-independent snapshot."""

import sqlite3

import pytest

from graders.batch.gradebook import (
    MSG_NO_GRADEBOOK,
    RUN_SPECIFIC_COLUMNS,
    SCHEMA_VERSION,
    Gradebook,
    GradingContext,
    timed_out,
)
from graders.errors import UserError
from graders.portable.checks import MSG_TIMEOUT
from graders.result import CaseResult, FunctionResult, GradeResult, NotebookEvent

CONTEXT = GradingContext(kit_version="9.9", cases_sha256="c" * 64)


def make_result(name="alice.ipynb", scores=(5.0, 10.0), status="graded", seconds=0.5, message="x is wrong."):
    """A small result with two functions; a function below its max gets one failing case."""
    functions = []
    for index, (score, top) in enumerate(zip(scores, (5.0, 10.0), strict=True)):
        passed = score >= top
        case = CaseResult(case_id="f%d/public/1" % index, visibility="public", label="example", rung=(
            "passed" if passed else "values"), passed=passed, credit=1.0 if passed else 0.2,
            message="passed" if passed else message)
        functions.append(FunctionResult(name="f%d" % index, score=score, max_score=top, cases=[case]))
    return GradeResult(submission=name, score=sum(scores), max_score=15.0, functions=functions,
                       execution_time=seconds, status=status)


@pytest.fixture
def book(tmp_path):
    with Gradebook(tmp_path / "gb.sqlite") as opened:
        yield opened


def test_record_twice_keeps_one_row_per_student(book):
    run = book.start_run(CONTEXT, "subs", "pool:2", {})
    book.record("alice", "alice.ipynb", "a" * 64, make_result(scores=(1.0, 10.0)), CONTEXT, run)
    book.record("alice", "alice.ipynb", "b" * 64, make_result(scores=(5.0, 2.0)), CONTEXT, run)
    assert book.count() == 1
    (stored,) = book.submissions()
    assert (stored.sha256, stored.score) == ("b" * 64, 7.0)
    rows = book.db.execute("SELECT function, score FROM function_results ORDER BY position").fetchall()
    assert [tuple(r) for r in rows] == [("f0", 5.0), ("f1", 2.0)]


def test_stored_result_round_trips(book):
    run = book.start_run(CONTEXT, "subs", "pool:2", {})
    original = make_result(scores=(1.0, 10.0))
    book.record("alice", "alice.ipynb", "a" * 64, original, CONTEXT, run)
    assert book.submissions()[0].result() == original


def test_snapshot_ignores_run_specific_values(tmp_path):
    snapshots = []
    for number, seconds in ((1, 0.5), (2, 3.25)):
        with Gradebook(tmp_path / ("gb%d.sqlite" % number)) as book:
            for _ in range(number):  # the second gradebook has an extra run before this one
                run = book.start_run(CONTEXT, "subs", "pool:%d" % number, {})
            book.record("alice", "alice.ipynb", "a" * 64, make_result(seconds=seconds), CONTEXT, run)
            snapshots.append(book.snapshot())
    assert snapshots[0] == snapshots[1]
    for column in RUN_SPECIFIC_COLUMNS:
        assert column not in snapshots[0]["alice"]
        assert column not in snapshots[0]["alice"]["result"]


def test_snapshot_sees_a_different_score(tmp_path):
    snapshots = []
    for number, scores in ((1, (5.0, 10.0)), (2, (5.0, 2.0))):
        with Gradebook(tmp_path / ("gb%d.sqlite" % number)) as book:
            run = book.start_run(CONTEXT, "subs", "pool:1", {})
            book.record("alice", "alice.ipynb", "a" * 64, make_result(scores=scores), CONTEXT, run)
            snapshots.append(book.snapshot())
    assert snapshots[0] != snapshots[1]


def test_statistics(book):
    run = book.start_run(CONTEXT, "subs", "pool:2", {})
    book.record("alice", "a.ipynb", "1", make_result(scores=(5.0, 10.0)), CONTEXT, run)
    wrong = "dW has the wrong values."
    book.record("bob", "b.ipynb", "2", make_result(scores=(5.0, 2.0), message=wrong), CONTEXT, run)
    book.record("carol", "c.ipynb", "3", make_result(scores=(1.0, 2.0), message=wrong), CONTEXT, run)
    book.record("dan", "d.ipynb", "4", make_result(scores=(0.0, 0.0), status="unreadable"), CONTEXT, run)
    book.record("eve", "e.ipynb", "5", make_result(scores=(0.0, 0.0), status="could_not_grade"), CONTEXT, run)
    stats = {f.name: f for f in book.function_stats()}
    assert (stats["f0"].passed, stats["f0"].graded) == (2, 3)  # unreadable and could-not-grade not counted
    assert (stats["f1"].passed, stats["f1"].graded) == (1, 3)
    assert book.common_failures()[0] == ("f1", "dW has the wrong values.", 2)
    assert sorted(book.scores()) == [0.0, 3.0, 7.0, 15.0]  # a could-not-grade is not a score
    mean, median, top = book.score_summary(["alice", "bob"])
    assert (mean, median, top) == (11.0, 11.0, 15.0)


def test_graded_keys(book):
    run = book.start_run(CONTEXT, "subs", "pool:2", {})
    book.record("alice", "a.ipynb", "s1", make_result(), CONTEXT, run)
    assert book.graded_keys() == {"alice": ("s1", "9.9", "c" * 64, "graded")}


def test_roster_upsert_keeps_fields_not_given(book):
    book.upsert_students({"alice": {"name": "Alice A", "email": "a@x.edu"}})
    book.upsert_students({"alice": {"section": "B", "email": ""}})
    assert book.students()["alice"]["name"] == "Alice A"
    assert book.students()["alice"]["email"] == "a@x.edu"
    assert book.students()["alice"]["section"] == "B"


def test_timed_out_from_the_case_field_or_cell_event_never_from_message_text():
    stopped = make_result(scores=(5.0, 0.0))
    stopped.functions[1].cases[0].timed_out = True
    assert timed_out(stopped)
    assert not timed_out(make_result(scores=(5.0, 0.0)))
    # a message that reads like a timeout (say, printed by student code into a detail) is not one
    assert not timed_out(make_result(scores=(5.0, 0.0), message=MSG_TIMEOUT.format(name="f1", seconds=5)))
    result = make_result()
    result.events.append(NotebookEvent("cell_timeout", "Cell 3 was stopped", 3))
    assert timed_out(result)


def test_missing_gradebook_is_a_user_error(tmp_path):
    path = tmp_path / "nope.sqlite"
    with pytest.raises(UserError) as error:
        Gradebook(path, must_exist=True)
    assert str(error.value) == MSG_NO_GRADEBOOK.format(path=path)


def test_other_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE things (x)")
    with pytest.raises(UserError, match="not a dnngrade gradebook"):
        Gradebook(path)


def test_not_sqlite_is_refused(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_text("these are notes, not a database " * 100)
    with pytest.raises(UserError, match="not a dnngrade gradebook"):
        Gradebook(path)


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "gb.sqlite"
    Gradebook(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(UserError, match="newer dnngrade"):
        Gradebook(path)


def test_runs_are_recorded(book):
    run = book.start_run(CONTEXT, "subs.zip", "dask:tcp://h:8786", {"cell_seconds": 10})
    book.finish_run(run)
    (row,) = book.runs()
    assert (row["kit_version"], row["cases_sha256"], row["executor"]) == ("9.9", "c" * 64, "dask:tcp://h:8786")
    assert row["finished_at"]
