"""After a regrade, the batch summary and `dnngrade export --changes` list each student whose score
changed: old and new, in total and per function (what an instructor checks before publishing again)."""

from __future__ import annotations

import csv
from dataclasses import asdict

from graders.batch.gradebook import SCHEMA_VERSION, Gradebook
from graders.batch.run import grading_context, run_batch
from graders.batch.summary import format_summary
from graders.cli import main
from tests.batch_support import copy_samples, graded, quick_samples

#: the "new cases" of the second run: alice's linear_forward now loses 8 of its 10 points
SECOND_RUN_LOSES = {"alice": {"linear_forward": 8.0}}


def _graded(student_id, file_name, lose):
    result = graded(file_name, lose.get(student_id, {}))
    return {"student_id": student_id, "file_name": file_name, "result": result.to_dict(),
            "context": asdict(grading_context())}


def grade_first(student_id, file_name, data, settings=None):  # (module level: the pool pickles it)
    return _graded(student_id, file_name, {})


def grade_second(student_id, file_name, data, settings=None):
    return _graded(student_id, file_name, SECOND_RUN_LOSES)


def test_a_regrade_lists_whose_score_changed_and_how(tmp_path, capsys):
    submissions = copy_samples(tmp_path / "subs", quick_samples()[:3])
    (submissions / "alice.ipynb").write_bytes(next(submissions.glob("*.ipynb")).read_bytes())
    gradebook = tmp_path / "gb.sqlite"
    first = run_batch(submissions, gradebook, workers=1, show_progress=False, grade_function=grade_first)
    assert first.changes == []  # graded for the first time: nothing changed
    second = run_batch(submissions, gradebook, workers=1, show_progress=False, regrade=True,
                       grade_function=grade_second)
    assert [c["student_id"] for c in second.changes] == ["alice"]
    change = second.changes[0]
    assert (change["old_score"], change["new_score"]) == (100.0, 92.0)
    assert change["functions"] == {"linear_forward": (10.0, 2.0)}
    assert "alice: 100 -> 92 (linear_forward 10 -> 2)" in format_summary(second)
    third = run_batch(submissions, gradebook, workers=1, show_progress=False, regrade=True,
                      grade_function=grade_second)
    assert third.changes == []  # the same grades again
    out = tmp_path / "changes.csv"
    assert main(["export", "--gradebook", str(gradebook), "--changes", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["student_id"], r["score"], r["old"], r["new"]) for r in rows] == [
        ("alice", "total", "100", "92"), ("alice", "linear_forward", "10", "2")]
    assert "1 students whose score changed" in capsys.readouterr().out


def test_a_gradebook_of_the_first_schema_gains_the_changes_table(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite"
    with Gradebook(path):
        pass
    with sqlite3.connect(str(path)) as db:  # as the first schema left it
        db.execute("DROP TABLE score_changes")
        db.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    with Gradebook(path) as book:
        assert book.score_changes() == []
    with sqlite3.connect(str(path)) as db:
        assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
