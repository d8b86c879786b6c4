"""``dnngrade similarity`` end to end: a batch, the comparison read back from the submitted files,
stored in the gradebook, drawn as HTML and CSV, and looked at in a real (headless) browser."""

from __future__ import annotations

import csv
import os
import shutil
import sqlite3
import subprocess

import pytest

pytest.importorskip("copydetect")

from assignments.dnn_step_by_step.mistakes import VARIANTS, WRONG  # noqa: E402
from graders.cli import main  # noqa: E402
from graders.kit.nbbuild import notebook_bytes, solution_cells  # noqa: E402
from tests.batch_support import FAST_OPTIONS  # noqa: E402
from tools.similarity_sample import renamed  # noqa: E402


def _wrong(variant_id: str) -> str:
    return next(v.source for v in VARIANTS if v.id == variant_id and v.kind == WRONG)


def _wrong_ids() -> list[str]:
    return [v.id for v in VARIANTS if v.kind == WRONG]


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """Ten notebooks: most write the reference, two write their own mistakes, and ben hands in a
    renamed copy of ana's (two wrong functions and an odd comment); batch-graded into a gradebook."""
    root = tmp_path_factory.mktemp("similarity")
    folder = root / "class"
    folder.mkdir()
    wrong = _wrong_ids()
    backward = next(i for i in wrong if i.startswith("L_model_backward."))
    forward = next(i for i in wrong if i.startswith("L_model_forward."))
    ana = {"L_model_backward": _wrong(backward).replace("\n    grads = {}", "\n    grads = {}  # kept per layer, my way"),  # noqa: E501
           "L_model_forward": _wrong(forward)}
    students = {"ana": ana, "ben": {name: renamed(text) for name, text in ana.items()},
                "cleo": {"linear_backward": _wrong(next(i for i in wrong if i.startswith("linear_backward.")))},
                "dev": {"compute_cost": _wrong(next(i for i in wrong if i.startswith("compute_cost.")))}}
    for n in range(6):
        students["usual%d" % n] = {}
    for name, replace in students.items():
        (folder / ("%s.ipynb" % name)).write_bytes(notebook_bytes(solution_cells(replace=replace)))
    book = root / "grades.sqlite"
    assert main(["batch", str(folder), "--gradebook", str(book), "--quiet", "--workers", "2", *FAST_OPTIONS]) == 0
    return root, folder, book


def test_similarity_ranks_the_renamed_copy_first_and_stores_the_run(graded_class, tmp_path, capsys):
    _, folder, book = graded_class
    out = tmp_path / "report"
    assert main(["similarity", "--gradebook", str(book), "--out", str(out), "--workers", "1"]) == 0
    assert "10 students compared" in capsys.readouterr().out
    with open(out / "pairs.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    overall = [row for row in rows if row["function"] == "*"]
    assert (overall[0]["student_a"], overall[0]["student_b"]) == ("ana", "ben")
    assert float(overall[0]["score"]) > 3 * max([float(row["score"]) for row in overall[1:]] or [0.0])
    backward = [row for row in rows if row["function"] == "L_model_backward"]
    assert backward[0]["same_mistake"] == "1"
    page = (out / "index.html").read_text()
    assert "evidence for a person to read, not a verdict" in page and "ana &amp; ben" in page
    pair_page = (out / "pairs" / "pair-0001.html").read_text()
    assert "<mark>" in pair_page and "stored_list" in pair_page  # ben's renamed code, highlighted
    with sqlite3.connect(book) as db:
        (students,) = db.execute("SELECT students FROM similarity_runs").fetchone()
        ranked = db.execute("SELECT student_a, student_b FROM similarity_pairs WHERE function='*' AND rank=1").fetchone()  # noqa: E501
    assert students == 10 and ranked == ("ana", "ben")


def test_a_file_changed_since_grading_is_listed_not_compared(graded_class, tmp_path, capsys):
    root, folder, book = graded_class
    moved = tmp_path / "class"
    shutil.copytree(folder, moved)
    (moved / "usual0.ipynb").write_bytes(notebook_bytes(solution_cells() + ["x = 1"]))
    (moved / "usual1.ipynb").unlink()
    out = tmp_path / "report"
    assert main(["similarity", "--gradebook", str(book), "--out", str(out), "--submissions", str(moved)]) == 0
    assert "2 not compared" in capsys.readouterr().out
    page = (out / "index.html").read_text()
    assert "usual0: its file usual0.ipynb changed since it was graded" in page
    assert "usual1: its file usual1.ipynb is not in the submissions" in page


def test_submissions_that_are_gone_get_a_clear_message(graded_class, tmp_path, capsys):
    _, _, book = graded_class
    missing = tmp_path / "nowhere"
    assert main(["similarity", "--gradebook", str(book), "--out", str(tmp_path / "r"), "--submissions",
                 str(missing)]) == 1
    assert "are not at %s any more; give their folder or .zip with --submissions" % missing in capsys.readouterr().err


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def test_the_report_shows_its_pairs_and_side_by_side_view_in_a_real_browser(graded_class, tmp_path):
    browser = _browser()
    if browser is None:
        if os.environ.get("DNNGRADE_REQUIRE_BROWSER"):
            pytest.fail("no Chromium found, and DNNGRADE_REQUIRE_BROWSER is set")
        pytest.skip("no Chromium to look at the page with (apt-get install chromium)")
    _, _, book = graded_class
    out = tmp_path / "report"
    assert main(["similarity", "--gradebook", str(book), "--out", str(out), "--workers", "1"]) == 0
    base = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--user-data-dir=%s" % (tmp_path / "profile"), "--window-size=1280,900"]
    for page, expect in (("index.html", "ana &amp; ben"), ("pairs/pair-0001.html", "<mark>")):
        url = (out / page).as_uri()
        dom = subprocess.run(base + ["--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
        assert expect in dom, page  # the browser parsed and rendered what the kit wrote
        shot = tmp_path / (page.replace("/", "_") + ".png")
        subprocess.run(base + ["--screenshot=%s" % shot, url], capture_output=True, timeout=120)
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000, page  # a drawn page, not a blank one
