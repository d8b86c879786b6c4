"""Renderers: pure functions from a :class:`~graders.result.GradeResult` to text or JSON data."""

from __future__ import annotations

from graders.portable.checks import PASSED
from graders.result import FunctionResult, GradeResult, Status

PASS_MARK = "\u2714"
FAIL_MARK = "\u2718"


def _points(value: float) -> str:
    return ("%.2f" % value).rstrip("0").rstrip(".")


MSG_CASES_PASSED = "{passed} of {total} cases passed."


def function_feedback(result: FunctionResult, include_hidden: bool = True) -> str:
    """The feedback text of one function: how many cases passed, the notes, then the first
    failing case's message. A function that ran no case (its notebook could not be graded) gets
    its notes alone."""
    if not result.cases:
        return "\n".join(result.notes)
    shown = [c for c in result.cases if include_hidden or c.visibility == "public"]
    lines = [MSG_CASES_PASSED.format(passed=sum(1 for c in shown if c.rung == PASSED), total=len(shown))]
    lines.extend(result.notes)
    failing = [c for c in shown if c.rung != PASSED]
    if failing:
        first = failing[0]
        lines.append("Case %s (%s): %s" % (first.case_id, first.label, first.message))
    return "\n".join(lines)


def gradebook_feedback(result: GradeResult) -> dict[str, str]:
    """Each graded function's feedback text, as the gradebook stores it (the text of its
    Gradescope test): the renderer a batch hands to :class:`~graders.batch.gradebook.Gradebook`."""
    return {function.name: function_feedback(function) for function in result.functions}


def to_text(result: GradeResult, include_hidden: bool = True) -> str:
    """A report a student or instructor reads in a terminal."""
    lines = ["%s: %s / %s points%s" % (
        result.submission, _points(result.score), _points(result.max_score),
        " (public cases only)" if result.public_only else "")]
    for function in result.functions:
        mark = PASS_MARK if function.status == "passed" else FAIL_MARK
        lines.append("%s %-28s %6s / %s" % (mark, function.name, _points(function.score), _points(function.max_score)))
        if function.status != "passed":
            feedback = function_feedback(function, include_hidden)
            lines.extend("    " + line for line in feedback.splitlines())
    if result.events:
        lines.append("")
        lines.append("About the notebook:")
        lines.extend("  - " + event.message for event in result.events)
    return "\n".join(lines)


def to_gradescope(result: GradeResult, hidden_visibility: str = "after_published") -> dict:
    """The result in the shape of Gradescope's ``results.json``.

    One test per graded function, named exactly like the function. Its feedback covers hidden
    cases, so it gets ``hidden_visibility``; the public cases are summarised in a separate,
    always-visible entry, so students get immediate feedback on the examples they can see.
    """
    tests = []
    function_visibility = "visible" if result.public_only else hidden_visibility
    for function in result.functions:
        output = function_feedback(function)
        tests.append({
            "name": function.name,
            "score": function.score,
            "max_score": function.max_score,
            "status": function.status,
            "output": output,
            "visibility": function_visibility,
        })
    if not result.public_only and result.status == Status.GRADED:
        summary, any_failing = [], False
        for function in result.functions:
            public = [c for c in function.cases if c.visibility == "public"]
            failing = [c for c in public if c.rung != "passed"]
            mark = PASS_MARK if not failing else FAIL_MARK
            passed = len(public) - len(failing)
            summary.append("%s %s: %d of %d public cases passed" % (mark, function.name, passed, len(public)))
            if failing:
                any_failing = True
                summary.append("    " + failing[0].message.replace("\n", "\n    "))
        tests.append({"name": "Public cases (same as the notebook's self-checks)", "score": 0, "max_score": 0,
                      "status": "failed" if any_failing else "passed", "output": "\n".join(summary),
                      "visibility": "visible"})
    for index, event in enumerate(result.events, start=1):
        # how the grader isolated the code is for the instructor: hidden from students
        tests.append({"name": "Notebook note %d: %s" % (index, event.kind), "score": 0, "max_score": 0,
                      "status": "failed" if event.kind not in INSTRUCTOR_EVENTS + INFORMATIONAL_EVENTS else "passed",
                      "output": event.message,
                      "visibility": "hidden" if event.kind in INSTRUCTOR_EVENTS else "visible"})
    if result.status != Status.GRADED and result.events:  # nothing to hide: say at once why
        output = "%s: %s" % (result.submission, result.events[0].message)
    elif function_visibility == "visible":
        output = "%s: %s / %s points." % (result.submission, _points(result.score), _points(result.max_score))
    else:  # the score would tell what the per-function tests hide until then
        output = MSG_SCORE_LATER.format(name=result.submission, when=_WHEN.get(function_visibility, "later"))
    return {
        "score": result.score,
        "execution_time": result.execution_time,
        "output": output,
        # the total follows the per-function tests; a test's own visibility (the public cases'
        # summary, the notes) overrides it
        "visibility": function_visibility,
        "tests": tests,
    }


INSTRUCTOR_EVENTS = ("sandbox",)  #: notebook events about the grader, not the student's code
#: events that are not a fault of the student
INFORMATIONAL_EVENTS = ("output_capped", "course_tests", "cell_numbering")
MSG_SCORE_LATER = ("{name} was graded. Your score and the feedback on each function appear {when}; "
                   "the summary of the public cases below is yours now.")
_WHEN = {"after_published": "when grades are published", "after_due_date": "after the due date",
         "hidden": "when your instructor shares them"}
