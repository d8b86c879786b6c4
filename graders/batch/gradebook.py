"""The gradebook: one SQLite file holding every graded submission of a course's batch.

Tables
------
``runs``
    One row per ``dnngrade batch``: when it ran, the kit version, the hash of the cases, the
    limits and where it ran (pool size or Dask scheduler).
``students``
    The roster: id, name, email and the ids the LMS exports need.
``submissions``
    One row per student (the latest grade): file name, content sha256, status, score, the
    grading context (kit version, cases hash) and the whole result as JSON.
``function_results``
    One row per student and graded function: score, max, status, feedback text, and the first
    line of the first failing case's message (what the report groups failures by).
``similarity_runs`` and ``similarity_pairs``
    One row per ``dnngrade similarity`` (the whole comparison as JSON) and its ranked pairs, per
    function and overall (function ``*``). Evidence for a human to read; no grade depends on them.
``score_changes``
    One row per run and student whose score (total or of a function) changed when the run graded
    them again (a regrade with new cases or kit, or a new submission): old and new, per function.

Writes are idempotent: a student's row is an upsert keyed on ``student_id`` and their function
rows are replaced in the same transaction, so a batch killed at any point and run again leaves
no duplicates and loses nothing that was committed. Only the parent process of a batch writes.

Columns that depend on the run rather than on the submission are listed in
:data:`RUN_SPECIFIC_COLUMNS`; :meth:`Gradebook.snapshot` leaves them out, so two gradebooks of the
same submissions compare equal whether the batch ran once, was interrupted and resumed, or ran on
a Dask cluster.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import json
import os
import sqlite3
import statistics
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from graders.errors import UserError
from graders.result import GradeResult, Status, result_from_dict

SCHEMA_VERSION = 3  #: 2 added score_changes, 3 the similarity tables (an older gradebook gains them when opened)
#: Columns of ``submissions`` (and keys of the result JSON) that differ between two runs on the same files.
RUN_SPECIFIC_COLUMNS = ("graded_at", "run_id", "execution_time")
STUDENT_FIELDS = ("name", "email", "canvas_id", "sis_user_id", "sis_login_id", "section")

MSG_NOT_A_GRADEBOOK = (
    "{path} is not a dnngrade gradebook ({why}). Give the path of a gradebook written by "
    "`dnngrade batch`, or a new file name to start one."
)
MSG_NEWER_SCHEMA = (
    "{path} was written by a newer dnngrade (gradebook schema {found}, this one reads {supported}). "
    "Upgrade the kit: pip install -U dnn-step-by-step-grader."
)
MSG_OTHER_ASSIGNMENT = (
    "{path} holds the grades of the assignment {theirs!r}; this batch grades {ours!r}. Grades of two "
    "assignments never share a gradebook: give this one its own (--gradebook {ours}.sqlite)."
)
MSG_NO_GRADEBOOK = "no gradebook at {path}; run `dnngrade batch SUBMISSIONS --gradebook {path}` first"
MSG_DAMAGED = (
    "{path} is damaged ({why}): its grades cannot be trusted. Restore it from a backup, or move it "
    "away and run `dnngrade batch` again to grade every submission into a new one."
)
MSG_BUSY = (
    "another `dnngrade batch` is grading into {path} ({holder}). Wait for it to finish, or run "
    "this one with --wait to start when it does."
)
MSG_CANNOT_WRITE = (
    "could not write to the gradebook {path}: {why}. The grades committed before this one are kept. "
    "{advice} Then run the same command again: it goes on where it stopped."
)
_ADVICE = {
    "full": "Free some disk space (or give --gradebook a file on another disk).",
    "readonly": "Make the gradebook, and the folder it is in, writable by this user.",
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    kit_version TEXT NOT NULL,
    cases_sha256 TEXT NOT NULL,
    source TEXT NOT NULL,
    executor TEXT NOT NULL,
    limits TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS students (
    student_id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    canvas_id TEXT NOT NULL DEFAULT '',
    sis_user_id TEXT NOT NULL DEFAULT '',
    sis_login_id TEXT NOT NULL DEFAULT '',
    section TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS submissions (
    student_id TEXT PRIMARY KEY,
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    status TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    timed_out INTEGER NOT NULL,
    kit_version TEXT NOT NULL,
    cases_sha256 TEXT NOT NULL,
    result_json TEXT NOT NULL,
    execution_time REAL NOT NULL,
    graded_at TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs(run_id)
);
CREATE TABLE IF NOT EXISTS score_changes (
    run_id INTEGER NOT NULL REFERENCES runs(run_id),
    student_id TEXT NOT NULL,
    old_score REAL NOT NULL,
    new_score REAL NOT NULL,
    old_functions TEXT NOT NULL,
    new_functions TEXT NOT NULL,
    old_context TEXT NOT NULL,
    PRIMARY KEY (run_id, student_id)
);
CREATE TABLE IF NOT EXISTS function_results (
    student_id TEXT NOT NULL REFERENCES submissions(student_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    function TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    status TEXT NOT NULL,
    feedback TEXT NOT NULL,
    first_failure TEXT NOT NULL,
    PRIMARY KEY (student_id, function)
);
CREATE TABLE IF NOT EXISTS similarity_runs (
    similarity_id INTEGER PRIMARY KEY AUTOINCREMENT,
    ran_at TEXT NOT NULL,
    submissions TEXT NOT NULL,
    students INTEGER NOT NULL,
    settings TEXT NOT NULL,
    result_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS similarity_pairs (
    similarity_id INTEGER NOT NULL REFERENCES similarity_runs(similarity_id) ON DELETE CASCADE,
    function TEXT NOT NULL,
    rank INTEGER NOT NULL,
    student_a TEXT NOT NULL,
    student_b TEXT NOT NULL,
    score REAL NOT NULL,
    PRIMARY KEY (similarity_id, function, rank)
);
"""


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class GradingContext:
    """What a grade depends on besides the notebook: the kit's version and the hash of the cases."""

    kit_version: str
    cases_sha256: str
    assignment: str = ""  #: the name of the assignment pack


@dataclass
class StoredSubmission:
    """A submission's row, with the result it stores."""

    student_id: str
    file_name: str
    sha256: str
    status: str
    score: float
    max_score: float
    timed_out: bool
    kit_version: str
    cases_sha256: str
    execution_time: float
    graded_at: str
    run_id: int
    result_json: str = field(repr=False)

    def result(self) -> GradeResult:
        """The stored :class:`~graders.result.GradeResult` (not re-graded)."""
        return result_from_dict(json.loads(self.result_json))


@dataclass(frozen=True)
class FunctionStats:
    """How one graded function went across a set of graded notebooks."""

    name: str
    graded: int
    passed: int
    mean_score: float
    max_score: float

    @property
    def pass_rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0


#: A renderer of one result's feedback text per graded function (the batch passes
#: :func:`graders.render.results.gradebook_feedback`): the gradebook stores text, it renders none.
FeedbackText = Callable[[GradeResult], dict[str, str]]


def function_rows(result: GradeResult, feedback: dict[str, str]) -> list[tuple]:
    """(position, name, score, max, status, feedback, first failure) per graded function.

    ``feedback`` is each function's feedback text by name (empty where it has none); the
    status is ``passed``/``failed`` for a graded notebook and the notebook's status otherwise.
    """
    rows = []
    for position, function in enumerate(result.functions):
        status = function.status if result.status == Status.GRADED else result.status
        failing = [c for c in function.cases if c.rung != "passed"]
        if failing:
            first_failure = failing[0].message.splitlines()[0]
        elif function.status != "passed" and function.notes:
            first_failure = function.notes[0].splitlines()[0]
        else:
            first_failure = ""
        rows.append((position, function.name, function.score, function.max_score, status,
                     feedback.get(function.name, ""), first_failure))
    return rows


def timed_out(result: GradeResult) -> bool:
    """True when a cell or a call of a graded function hit its time limit (facts the result
    records, never read back out of its messages)."""
    if any(event.kind == "cell_timeout" for event in result.events):
        return True
    return any(case.timed_out for function in result.functions for case in function.cases)


class Gradebook:
    """An open gradebook file; use as a context manager.

    Parameters
    ----------
    path : str or Path
        The SQLite file; created with the schema when it does not exist (unless ``must_exist``).
    must_exist : bool
        Raise :class:`~graders.errors.UserError` instead of creating a new file.
    feedback : callable, optional
        Renders the feedback text stored with each function's row (:data:`FeedbackText`);
        without it that column stays empty (the whole result is stored either way).
    """

    def __init__(self, path: str | Path, must_exist: bool = False, writer: bool = False, wait: bool = False,
                 feedback: FeedbackText | None = None):
        self.path = Path(path)
        self._feedback = feedback
        self._lock = None
        if must_exist and not self.path.exists():
            raise UserError(MSG_NO_GRADEBOOK.format(path=self.path))
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        if writer:
            self._lock = _WriterLock(self.path, wait)
        existed = self.path.exists() and self.path.stat().st_size > 0
        try:
            self.db = sqlite3.connect(str(self.path), isolation_level=None, timeout=30)
        except sqlite3.Error as error:
            self._release()
            raise UserError(MSG_NOT_A_GRADEBOOK.format(path=self.path, why=error)) from None
        self.db.row_factory = sqlite3.Row
        try:
            if existed:
                self._check_integrity()
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")  # durable across a killed process, not a power cut
            self.db.execute("PRAGMA foreign_keys=ON")
            self._ensure_schema()
        except UserError:
            self.close()
            raise
        except sqlite3.DatabaseError as error:
            self.close()
            raise UserError(self._why_not(error)) from None

    def _check_integrity(self) -> None:
        """``PRAGMA quick_check`` before any use: a damaged file is refused with a clear message."""
        try:
            rows = [row[0] for row in self.db.execute("PRAGMA quick_check(5)")]
        except sqlite3.DatabaseError as error:
            if "not a database" in str(error) or "encrypted" in str(error):
                raise UserError(MSG_NOT_A_GRADEBOOK.format(path=self.path, why=error)) from None
            raise UserError(MSG_DAMAGED.format(path=self.path, why=error)) from None
        if rows != ["ok"]:
            raise UserError(MSG_DAMAGED.format(path=self.path, why="; ".join(str(r) for r in rows)[:300]))

    def _why_not(self, error: sqlite3.Error) -> str:
        text = str(error)
        if "not a database" in text or "encrypted" in text:
            return MSG_NOT_A_GRADEBOOK.format(path=self.path, why=text)
        if "malformed" in text or "corrupt" in text:
            return MSG_DAMAGED.format(path=self.path, why=text)
        return cannot_write_message(self.path, error)

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _ensure_schema(self) -> None:
        tables = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and "meta" not in tables:
            raise UserError(MSG_NOT_A_GRADEBOOK.format(path=self.path, why="it has other tables"))
        if "meta" in tables:
            row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            found = int(row[0]) if row else 0
            if found > SCHEMA_VERSION:
                raise UserError(MSG_NEWER_SCHEMA.format(path=self.path, found=found,
                                                        supported=SCHEMA_VERSION))
            if found == SCHEMA_VERSION:
                return  # nothing to write: readers (export, report) never wait for a running batch
        with self.transaction():
            for statement in SCHEMA.split(";"):  # not executescript: it would commit on its own
                if statement.strip():
                    self.db.execute(statement)
            self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
                            (str(SCHEMA_VERSION),))

    def transaction(self):
        """``with gradebook.transaction():`` commits on success, rolls back on error."""
        return _Transaction(self)

    def close(self) -> None:
        try:
            self.db.close()
        finally:
            self._release()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the assignment ---------------------------------------------------------------------------

    def assignment(self) -> str:
        """The name of the assignment whose grades this gradebook holds ("" before the first batch
        of a kit that records it)."""
        row = self.db.execute("SELECT value FROM meta WHERE key='assignment'").fetchone()
        if row:
            return str(row[0])
        for (data,) in self.db.execute("SELECT result_json FROM submissions LIMIT 1"):
            try:
                return str(json.loads(data).get("assignment", ""))
            except (TypeError, ValueError):
                return ""
        return ""

    def assignment_folder(self) -> str:
        """The folder of the pack whose grades this gradebook holds, where it was when last graded
        ("" when not recorded): how a pack that is not installed is found again."""
        row = self.db.execute("SELECT value FROM meta WHERE key='assignment_folder'").fetchone()
        return str(row[0]) if row else ""

    def claim_assignment(self, name: str, folder: str = "") -> None:
        """Refuse grades of assignment ``name`` when this gradebook holds another's; else record it
        (and the pack's ``folder``)."""
        theirs = self.assignment()
        if theirs and name and theirs != name:
            raise UserError(MSG_OTHER_ASSIGNMENT.format(path=self.path, theirs=theirs, ours=name))
        if name and not theirs:
            self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('assignment', ?)", (name,))
        if name and folder:
            self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('assignment_folder', ?)", (folder,))

    # -- runs -------------------------------------------------------------------------------------

    def start_run(self, context: GradingContext, source: str, executor: str, limits: dict) -> int:
        """Record the start of a batch; return its ``run_id``. A gradebook holds one assignment's
        grades: a batch of another assignment is refused (:class:`UserError`)."""
        with self.transaction():
            self.claim_assignment(context.assignment)
            cursor = self.db.execute(
                "INSERT INTO runs(started_at, kit_version, cases_sha256, source, executor, limits)"
                " VALUES (?,?,?,?,?,?)",
                (_now(), context.kit_version, context.cases_sha256, source, executor,
                 json.dumps(limits, sort_keys=True)),
            )
        return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int) -> None:
        with self.transaction():
            self.db.execute("UPDATE runs SET finished_at=? WHERE run_id=?", (_now(), run_id))

    def runs(self) -> list[dict]:
        return [dict(row) for row in self.db.execute("SELECT * FROM runs ORDER BY run_id")]

    # -- similarity ------------------------------------------------------------------------------

    def record_similarity(self, submissions: str, result: dict) -> int:
        """Store a similarity comparison (:meth:`graders.similarity.SimilarityRun.to_dict`); return its id."""
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO similarity_runs(ran_at, submissions, students, settings, result_json)"
                " VALUES (?,?,?,?,?)",
                (_now(), submissions, len(result.get("students", [])), json.dumps(result.get("settings", {})),
                 json.dumps(result)))
            similarity_id = int(cursor.lastrowid or 0)
            rows = [(similarity_id, function, rank, pair["a"], pair["b"], pair["score"])
                    for function, pairs in result.get("pairs", {}).items() for rank, pair in enumerate(pairs, 1)]
            rows += [(similarity_id, "*", rank, pair["a"], pair["b"], pair["score"])
                     for rank, pair in enumerate(result.get("overall", []), 1)]
            self.db.executemany("INSERT INTO similarity_pairs VALUES (?,?,?,?,?,?)", rows)
        return similarity_id

    def similarity_runs(self) -> list[dict]:
        """Every stored comparison, oldest first, without its JSON."""
        return [dict(row) for row in self.db.execute(
            "SELECT similarity_id, ran_at, submissions, students, settings FROM similarity_runs"
            " ORDER BY similarity_id")]

    def similarity_result(self, similarity_id: int | None = None) -> dict | None:
        """A stored comparison (the latest when no id is given), as stored."""
        row = self.db.execute(
            "SELECT result_json FROM similarity_runs WHERE similarity_id=COALESCE(?, "
            "(SELECT MAX(similarity_id) FROM similarity_runs))", (similarity_id,)).fetchone()
        return json.loads(row[0]) if row else None

    # -- students ---------------------------------------------------------------------------------

    def upsert_students(self, students: dict[str, dict]) -> None:
        """Store roster entries (``student_id -> {name, email, ...}``); fields not given keep their value."""
        with self.transaction():
            for student_id, info in students.items():
                given = {k: str(v) for k, v in info.items() if k in STUDENT_FIELDS and v not in (None, "")}
                self.db.execute("INSERT OR IGNORE INTO students(student_id) VALUES (?)", (student_id,))
                if given:
                    assignments = ", ".join("%s=?" % key for key in given)
                    self.db.execute("UPDATE students SET %s WHERE student_id=?" % assignments,
                                    (*given.values(), student_id))

    def students(self) -> dict[str, dict]:
        """The roster, by student id."""
        return {row["student_id"]: {k: row[k] for k in STUDENT_FIELDS}
                for row in self.db.execute("SELECT * FROM students ORDER BY student_id")}

    # -- submissions ------------------------------------------------------------------------------

    def graded_keys(self) -> dict[str, tuple[str, str, str, str]]:
        """``student_id -> (sha256, kit_version, cases_sha256, status)`` of every stored grade."""
        return {row[0]: tuple(row[1:]) for row in self.db.execute(
            "SELECT student_id, sha256, kit_version, cases_sha256, status FROM submissions")}

    def record(self, student_id: str, file_name: str, sha256: str, result: GradeResult,
               context: GradingContext, run_id: int) -> None:
        """Store one student's grade, replacing any earlier one, in a single committed transaction."""
        self.record_many([(student_id, file_name, sha256, result)], context, run_id)

    def record_many(self, grades: list[tuple[str, str, str, GradeResult]], context: GradingContext,
                    run_id: int, stored: list[dict] | None = None) -> None:
        """Store several grades ``(student_id, file_name, sha256, result)`` in one committed
        transaction (all or none), each replacing the student's earlier one.

        ``stored``: each result's :meth:`~graders.result.GradeResult.to_dict`, when the caller
        already has it (a batch receives results in that form).
        """
        now = _now()
        submissions: list[tuple] = []
        functions: list[tuple] = []
        last = {grade[0]: index for index, grade in enumerate(grades)}  # a student twice: the later grade
        for index in sorted(last.values()):
            student_id, file_name, sha256, result = grades[index]
            data = stored[index] if stored is not None else result.to_dict()
            submissions.append((student_id, file_name, sha256, result.status, result.score, result.max_score,
                                int(timed_out(result)), context.kit_version, context.cases_sha256,
                                json.dumps(data, check_circular=False), result.execution_time,
                                now, run_id))
            texts = self._feedback(result) if self._feedback is not None else {}
            functions.extend((student_id, *row) for row in function_rows(result, texts))
        with self.transaction():
            self._note_changes([grades[index] for index in sorted(last.values())], functions, context, run_id)
            self.db.executemany(
                """INSERT INTO submissions(student_id, file_name, sha256, status, score, max_score, timed_out,
                       kit_version, cases_sha256, result_json, execution_time, graded_at, run_id)
                   VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
                   ON CONFLICT(student_id) DO UPDATE SET
                       file_name=excluded.file_name, sha256=excluded.sha256, status=excluded.status,
                       score=excluded.score, max_score=excluded.max_score, timed_out=excluded.timed_out,
                       kit_version=excluded.kit_version, cases_sha256=excluded.cases_sha256,
                       result_json=excluded.result_json, execution_time=excluded.execution_time,
                       graded_at=excluded.graded_at, run_id=excluded.run_id""",
                submissions,
            )
            self.db.executemany("DELETE FROM function_results WHERE student_id=?", [(sid,) for sid in last])
            self.db.executemany(
                "INSERT INTO function_results(student_id, position, function, score, max_score, status,"
                " feedback, first_failure) VALUES (?,?,?,?,?,?,?,?)",
                functions,
            )

    def _note_changes(self, grades: list[tuple], functions: list[tuple], context: GradingContext,
                      run_id: int) -> None:
        """Inside record_many's transaction: keep old and new scores of students graded before."""
        new_scores: dict[str, dict[str, float]] = {}
        for student_id, _, name, score, *_rest in functions:
            new_scores.setdefault(student_id, {})[name] = score
        for student_id, _, _, result in grades:
            old = self.db.execute("SELECT score, kit_version, cases_sha256 FROM submissions WHERE student_id=?",
                                  (student_id,)).fetchone()
            if old is None:
                continue
            old_functions = {row[0]: row[1] for row in self.db.execute(
                "SELECT function, score FROM function_results WHERE student_id=?", (student_id,))}
            new_functions = new_scores.get(student_id, {})
            if old[0] == result.score and old_functions == new_functions:
                continue
            self.db.execute(
                "INSERT OR REPLACE INTO score_changes(run_id, student_id, old_score, new_score, old_functions,"
                " new_functions, old_context) VALUES (?,?,?,?,?,?,?)",
                (run_id, student_id, old[0], result.score, json.dumps(old_functions, sort_keys=True),
                 json.dumps(new_functions, sort_keys=True),
                 json.dumps({"kit_version": old[1], "cases_sha256": old[2]})))

    def score_changes(self, run_id: int | None = None) -> list[dict]:
        """Students whose scores changed: in run ``run_id``, or in the latest run that changed any.
        Each: ``{"run_id", "student_id", "old_score", "new_score", "functions": {name: (old, new)}}``
        with only the functions whose score changed."""
        if run_id is None:
            row = self.db.execute("SELECT MAX(run_id) FROM score_changes").fetchone()
            run_id = row[0] if row and row[0] is not None else -1
        changes = []
        for row in self.db.execute("SELECT * FROM score_changes WHERE run_id=? ORDER BY student_id", (run_id,)):
            old, new = json.loads(row["old_functions"]), json.loads(row["new_functions"])
            functions = {name: (old.get(name), new.get(name)) for name in sorted(set(old) | set(new))
                         if old.get(name) != new.get(name)}
            changes.append({"run_id": row["run_id"], "student_id": row["student_id"], "old_score": row["old_score"],
                            "new_score": row["new_score"], "functions": functions})
        return changes

    def submissions(self, student_ids: list[str] | None = None) -> list[StoredSubmission]:
        """Stored submissions, ordered by student id (all, or only ``student_ids``)."""
        rows = self.db.execute("SELECT * FROM submissions ORDER BY student_id").fetchall()
        wanted = set(student_ids) if student_ids is not None else None
        return [StoredSubmission(**{k: row[k] for k in row.keys()}) for row in rows
                if wanted is None or row["student_id"] in wanted]

    def function_outcomes(self) -> dict[str, dict[str, tuple[bool, str]]]:
        """``student -> function -> (lost points, first failing message)`` of every stored grade."""
        found: dict[str, dict[str, tuple[bool, str]]] = {}
        rows = self.db.execute("SELECT student_id, function, score, max_score, first_failure FROM function_results")
        for row in rows:
            found.setdefault(row[0], {})[row[1]] = (row[2] < row[3], row[4])
        return found

    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0])

    # -- statistics -------------------------------------------------------------------------------

    def _only(self, student_ids: list[str] | None) -> str:
        """An ``AND student_id IN (...)`` clause for ``student_ids`` (nothing for all students)."""
        if student_ids is None:
            return ""
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS selected(student_id TEXT PRIMARY KEY)")
        self.db.execute("DELETE FROM selected")
        self.db.executemany("INSERT OR IGNORE INTO selected VALUES (?)", [(s,) for s in student_ids])
        return " AND student_id IN (SELECT student_id FROM selected)"

    def function_stats(self, student_ids: list[str] | None = None) -> list[FunctionStats]:
        """Pass counts and mean score per function, over notebooks that were graded (not unreadable)."""
        where = self._only(student_ids)
        rows = self.db.execute(
            "SELECT function, MIN(position) AS position, COUNT(*) AS graded,"
            " SUM(status = 'passed') AS passed, AVG(score) AS mean_score, MAX(max_score) AS max_score"
            " FROM function_results WHERE status IN ('passed', 'failed')%s"
            " GROUP BY function ORDER BY position" % where).fetchall()
        return [FunctionStats(r["function"], r["graded"], r["passed"] or 0, r["mean_score"] or 0.0,
                              r["max_score"]) for r in rows]

    def common_failures(self, limit: int = 10,
                        student_ids: list[str] | None = None) -> list[tuple[str, str, int]]:
        """The most frequent (function, first failure message, count), most frequent first."""
        where = self._only(student_ids)
        return [tuple(row) for row in self.db.execute(
            "SELECT function, first_failure, COUNT(*) AS n FROM function_results"
            " WHERE status = 'failed' AND first_failure != ''%s"
            " GROUP BY function, first_failure ORDER BY n DESC, MIN(position), first_failure LIMIT ?" % where,
            (limit,))]

    def scores(self, student_ids: list[str] | None = None) -> list[float]:
        """Scores of submissions that were graded or unreadable (a could-not-grade is not a score)."""
        where = self._only(student_ids)
        return [row[0] for row in self.db.execute(
            "SELECT score FROM submissions WHERE status != 'could_not_grade'%s ORDER BY student_id" % where)]

    def score_summary(self, student_ids: list[str] | None = None) -> tuple[float, float, float]:
        """(mean, median, max score) of :meth:`scores`; zeros when there are none."""
        values = self.scores(student_ids)
        top = self.db.execute("SELECT MAX(max_score) FROM submissions").fetchone()[0] or 0.0
        if not values:
            return 0.0, 0.0, top
        return statistics.fmean(values), statistics.median(values), top

    # -- comparison -------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, dict]:
        """Everything that depends only on the submissions and the grading context, by student id.

        Run-specific values (:data:`RUN_SPECIFIC_COLUMNS`, also inside the result JSON) are left out,
        so an interrupted-and-resumed batch and an uninterrupted one give equal snapshots.
        """
        out = {}
        for stored in self.submissions():
            row = {k: v for k, v in vars(stored).items()
                   if k not in RUN_SPECIFIC_COLUMNS and k != "result_json"}
            result = json.loads(stored.result_json)
            for key in RUN_SPECIFIC_COLUMNS:
                result.pop(key, None)
            row["result"] = result
            row["functions"] = [dict(r) for r in self.db.execute(
                "SELECT position, function, score, max_score, status, feedback, first_failure"
                " FROM function_results WHERE student_id=? ORDER BY position", (stored.student_id,))]
            out[stored.student_id] = row
        return out


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on error; an SQLite failure on the way (a full disk,
    a read-only file, a damaged page) becomes a :class:`UserError` that says what to do."""

    def __init__(self, book: Gradebook):
        self.book = book
        self.db = book.db

    def __enter__(self):
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise UserError(self.book._why_not(error)) from None
        return self.db

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            try:
                self.db.execute("COMMIT")
                return False
            except sqlite3.Error as error:
                exc = error
        try:
            self.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        if isinstance(exc, sqlite3.Error):
            raise UserError(self.book._why_not(exc)) from None
        return False


def cannot_write_message(path: Path, error: BaseException) -> str:
    """What to tell the user when a write to the gradebook at ``path`` failed with ``error``."""
    text = str(error) or type(error).__name__
    lowered = text.lower()
    if "full" in lowered or "no space" in lowered:
        advice = _ADVICE["full"]
    elif "readonly" in lowered or "read-only" in lowered or "permission" in lowered:
        advice = _ADVICE["readonly"]
    else:
        advice = "Check the disk and the file's permissions."
    return MSG_CANNOT_WRITE.format(path=path, why=text, advice=advice)


_HELD: set[str] = set()  #: gradebooks a batch of this process writes (POSIX locks do not see those)
_HELD_CHANGED = threading.Condition()


class _WriterLock:
    """One batch at a time per gradebook: a POSIX lock on ``<gradebook>.lock``, which the kernel
    releases when the process ends however it ends, and which processes forked by the batch (its
    pool) do not inherit; within one process, a registry does the same. The file says who holds it."""

    def __init__(self, path: Path, wait: bool):
        self.key = os.path.realpath(path)
        self.path = path.with_name(path.name + ".lock")
        with _HELD_CHANGED:
            while self.key in _HELD:
                if not wait:
                    raise UserError(MSG_BUSY.format(path=path, holder="pid %d, this process" % os.getpid()))
                _HELD_CHANGED.wait()
            _HELD.add(self.key)
        try:
            self.fd = self._lock(path, wait)
        except BaseException:
            self._forget()
            raise

    def _lock(self, path: Path, wait: bool) -> int:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as error:
            raise UserError(cannot_write_message(path, error)) from None
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except (BlockingIOError, PermissionError):
            try:
                holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "pid unknown"
            finally:
                os.close(fd)
            raise UserError(MSG_BUSY.format(path=path, holder=holder)) from None
        except OSError:
            pass  # a file system without locks (some network mounts): go on unlocked
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, ("pid %d, since %s" % (os.getpid(), _now())).encode(), 0)
        except OSError:
            pass  # who holds the lock is only told to a waiting batch: the lock itself holds
        return fd

    def _forget(self) -> None:
        with _HELD_CHANGED:
            _HELD.discard(self.key)
            _HELD_CHANGED.notify_all()

    def release(self) -> None:
        try:
            os.close(self.fd)  # (the lock goes with it; the file stays, harmless)
        finally:
            self._forget()
