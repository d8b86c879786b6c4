"""``dnngrade assign``: the release layout, the kept-copies check, and grading what it builds."""

import io
import shutil

import numpy as np
import pytest

from graders.cli import main
from graders.kit import bundles, figures, release

EXPECTED_FILES = [
    "student/" + release.student_notebook(),
    "student/dnn_utils.py",
    "student/dnn_check/__init__.py",
    "student/dnn_check/selfcheck.py",
    "student/dnn_check/public_cases.json",
    "solution/" + release.solution_notebook(),
    "solution/dnn_utils.py",
    "otter/" + bundles.otter_master_name(),
    "otter/" + bundles.OTTER_SUPPORT_NAME,
    "otter/" + bundles.HIDDEN_CASES_NAME,
    "otter/dnn_check/checks.py",
    "gradescope/" + bundles.gradescope_zip_name(),
] + ["%s/images/%s" % (part, name) for part in ("student", "solution", "otter")
     for name in figures.figure_names()]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("release") / "out"
    assert main(["assign", "--out", str(root)]) == 0
    return root


def test_assign_builds_every_part(built, capsys):
    for relative in EXPECTED_FILES:
        assert (built / relative).is_file(), relative
    assert sorted(entry.name for entry in built.iterdir()) == sorted(list(release.PART_NAMES) + [release.MANIFEST])


def test_released_notebooks_are_the_kept_copies(built):
    kept = release.kept_dir()
    student, solution = built / "student", built / "solution"
    assert (student / release.student_notebook()).read_bytes() == (kept / "student.ipynb").read_bytes()
    assert (solution / release.solution_notebook()).read_bytes() == (kept / "solution.ipynb").read_bytes()


def test_rebuilding_replaces_the_release_byte_for_byte(built, tmp_path):
    again = tmp_path / "again"
    release.build_release(again)
    for relative in EXPECTED_FILES:
        assert (again / relative).read_bytes() == (built / relative).read_bytes(), relative
    (again / "student" / "old" / "leftover.txt").parent.mkdir()
    (again / "student" / "old" / "leftover.txt").write_text("from an older release")
    with open(again / release.MANIFEST, "a", encoding="utf-8") as manifest:  # as that release listed it
        manifest.write("student/old/leftover.txt\n")
    release.build_release(again, parts=("student",))
    assert not (again / "student" / "old").exists(), "what an earlier build wrote is replaced"


def test_rebuilding_leaves_what_assign_did_not_write(built, tmp_path, capsys):
    again = tmp_path / "again"
    release.build_release(again)
    # the README's Otter step, as a user runs it: its output goes inside otter/
    dist = again / "otter" / "dist" / "autograder"
    dist.mkdir(parents=True)
    (dist / "autograder.zip").write_bytes(b"otter's own")
    assert main(["assign", "--out", str(again)]) == 0
    assert (dist / "autograder.zip").read_bytes() == b"otter's own"
    printed = capsys.readouterr().out
    hint = "cd otter && otter assign %s dist/" % bundles.otter_master_name()
    assert hint in printed
    readme = (bundles.REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "cd release/otter && otter assign %s dist/" % bundles.otter_master_name() in readme


def test_assign_refuses_a_folder_holding_other_files(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["assign", "--out", str(tmp_path)]) == 1
    message = capsys.readouterr().err
    assert "notes.txt" in message and "dnngrade assign --out" in message
    assert (tmp_path / "notes.txt").exists()


def test_assign_without_an_action_says_what_to_do(capsys):
    assert main(["assign"]) == 1
    assert "--out DIR" in capsys.readouterr().err


# -- the kept copies ----------------------------------------------------------------------------


def test_kept_copies_are_up_to_date(capsys):
    assert main(["assign", "--check"]) == 0


def test_check_names_each_stale_file_and_update_fixes_it(tmp_path, monkeypatch, capsys):
    for relative in release.kept_files():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(release.kept_dir() / relative, tmp_path / relative)
    (tmp_path / "student.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "images" / "outline.png").unlink()
    monkeypatch.setattr(release, "kept_dir", lambda: tmp_path)
    assert main(["assign", "--check"]) == 1
    err = capsys.readouterr().err
    assert "student.ipynb" in err and "outline.png: missing" in err and "solution.ipynb" not in err
    assert "dnngrade assign --update" in err
    assert main(["assign", "--update"]) == 0
    assert main(["assign", "--check"]) == 0


def _png(pixels):
    from matplotlib.image import imsave

    buffer = io.BytesIO()
    imsave(buffer, pixels, format="png")
    return buffer.getvalue()


def test_figures_compare_by_picture_tolerating_a_few_moved_pixels():
    base = np.ones((100, 200, 3))
    base[40:60, 20:180] = 0.2  # a bar
    drifted = base.copy()
    drifted[40, 20:60] = 0.6  # anti-aliasing drift along one edge
    redrawn = np.ones((100, 200, 3))
    redrawn[10:90, 90:110] = 0.2  # another drawing
    assert figures.same_picture(_png(base), _png(drifted))
    assert not figures.same_picture(_png(base), _png(redrawn))
    assert not figures.same_picture(_png(base), _png(base[:, :100]))
    assert not figures.same_picture(_png(base), b"not a png")


def test_figures_are_drawn_deterministically():
    assert figures.render_figure("linear_backward.png") == figures.render_figure("linear_backward.png")


# -- grading what the release contains ------------------------------------------------------------


def test_grading_gives_the_student_notebook_zero_and_the_solution_full_marks(built):
    from graders.grade import Grader

    with Grader() as grader:
        student = grader.grade_path(built / "student" / release.student_notebook())
        solution = grader.grade_path(built / "solution" / release.solution_notebook())
    assert (student.status, student.score, student.max_score) == ("graded", 0, 100)
    assert not [event for event in student.events if event.kind == "cell_error"]
    assert (solution.status, solution.score, solution.max_score) == ("graded", 100, 100)
    assert not [event for event in solution.events if event.kind == "cell_error"]
