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
import json
import sqlite3
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from graders.errors import UserError
from graders.result import GradeResult, result_from_dict

SCHEMA_VERSION = 1
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
MSG_NO_GRADEBOOK = "no gradebook at {path}; run `dnngrade batch SUBMISSIONS --gradebook {path}` first"

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
"""


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class GradingContext:
    """What a grade depends on besides the notebook: the kit's version and the hash of the cases."""

    kit_version: str
    cases_sha256: str


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


def function_rows(result: GradeResult) -> list[tuple]:
    """(position, name, score, max, status, feedback, first failure) per graded function.

    The feedback is the text Gradescope shows for the function (``graders.render.to_gradescope``);
    the status is ``passed``/``failed`` for a graded notebook and the notebook's status otherwise.
    """
    from graders.render import to_gradescope

    outputs = {test["name"]: test["output"] for test in to_gradescope(result)["tests"]}
    rows = []
    for position, function in enumerate(result.functions):
        status = function.status if result.status == "graded" else result.status
        failing = [c for c in function.cases if c.rung != "passed"]
        if failing:
            first_failure = failing[0].message.splitlines()[0]
        elif function.status != "passed" and function.notes:
            first_failure = function.notes[0].splitlines()[0]
        else:
            first_failure = ""
        rows.append((position, function.name, function.score, function.max_score, status,
                     outputs.get(function.name, ""), first_failure))
    return rows


def timed_out(result: GradeResult) -> bool:
    """True when a cell or a call of a graded function hit its time limit."""
    from graders.portable.checks import MSG_TIMEOUT

    marker = MSG_TIMEOUT.split("{seconds", 1)[0].split("{name}", 1)[-1]  # " did not finish within "
    if any(event.kind == "cell_timeout" for event in result.events):
        return True
    return any(marker in case.message for function in result.functions for case in function.cases)


class Gradebook:
    """An open gradebook file; use as a context manager.

    Parameters
    ----------
    path : str or Path
        The SQLite file; created with the schema when it does not exist (unless ``must_exist``).
    must_exist : bool
        Raise :class:`~graders.errors.UserError` instead of creating a new file.
    """

    def __init__(self, path: str | Path, must_exist: bool = False):
        self.path = Path(path)
        if must_exist and not self.path.exists():
            raise UserError(MSG_NO_GRADEBOOK.format(path=self.path))
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), isolation_level=None, timeout=30)
        self.db.row_factory = sqlite3.Row
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")  # durable across a killed process, not a power cut
            self.db.execute("PRAGMA foreign_keys=ON")
            self._ensure_schema()
        except sqlite3.DatabaseError as error:
            self.db.close()
            raise UserError(MSG_NOT_A_GRADEBOOK.format(path=self.path, why=error)) from None

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
            self.db.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)",
                            (str(SCHEMA_VERSION),))

    def transaction(self):
        """``with gradebook.transaction():`` commits on success, rolls back on error."""
        return _Transaction(self.db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- runs -------------------------------------------------------------------------------------

    def start_run(self, context: GradingContext, source: str, executor: str, limits: dict) -> int:
        """Record the start of a batch; return its ``run_id``."""
        with self.transaction():
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
            functions.extend((student_id, *row) for row in function_rows(result))
        with self.transaction():
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

    def submissions(self, student_ids: list[str] | None = None) -> list[StoredSubmission]:
        """Stored submissions, ordered by student id (all, or only ``student_ids``)."""
        rows = self.db.execute("SELECT * FROM submissions ORDER BY student_id").fetchall()
        wanted = set(student_ids) if student_ids is not None else None
        return [StoredSubmission(**{k: row[k] for k in row.keys()}) for row in rows
                if wanted is None or row["student_id"] in wanted]

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
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, exc, tb):
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
        return False
