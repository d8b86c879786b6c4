"""Results as data: the hand-written plain form matches the dataclasses and reads back."""

from dataclasses import asdict

from graders.result import CaseResult, FunctionResult, GradeResult, NotebookEvent, result_from_dict


def sample():
    return GradeResult(
        submission="a.ipynb", score=7.5, max_score=10.0, execution_time=0.1, sandbox="bwrap",
        functions=[FunctionResult("linear_forward", 7.5, 10.0, notes=["n"], cases=[
            CaseResult("linear_forward/public/1", "public", "l", "values", False, 0.2, "m")])],
        events=[NotebookEvent("cell_error", "boom", 3)],
    )


def test_to_dict_equals_asdict_and_round_trips():
    result = sample()
    assert result.to_dict() == asdict(result)
    assert result_from_dict(result.to_dict()) == result


def test_status_comes_from_the_score():
    assert sample().functions[0].status == "failed"
    assert FunctionResult("f", 1.0, 1.0).status == "passed"


def test_statuses_are_one_enum_whose_members_read_as_their_values():
    import json

    from graders.result import GradeResult, Status, result_from_dict

    assert [s.value for s in Status] == ["graded", "unreadable", "could_not_grade"]
    result = GradeResult("a.ipynb", 0.0, 100.0, status=Status.COULD_NOT_GRADE)
    assert "%s / %s" % (result.status, f"{result.status}") == "could_not_grade / could_not_grade"
    stored = json.loads(json.dumps(result.to_dict()))
    assert stored["status"] == "could_not_grade"
    assert result_from_dict(stored).status is Status.COULD_NOT_GRADE
