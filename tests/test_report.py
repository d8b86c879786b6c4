"""``dnngrade report``: an HTML page with a score histogram, pass rates and common failures."""

import pytest

from graders.cli import main
from graders.gradebook import Gradebook
from graders.report import INDEX, PASS_RATES_PNG, SCORES_PNG, read_report_data, render_html, write_report
from tests.batch_support import CONTEXT, graded

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def gradebook(tmp_path):
    path = tmp_path / "gb.sqlite"
    with Gradebook(path) as book:
        run = book.start_run(CONTEXT, "subs", "pool:2", {})
        book.record("a", "a.ipynb", "1", graded("a.ipynb", {}), CONTEXT, run)
        book.record("b", "b.ipynb", "2", graded("b.ipynb", {"compute_cost": 8.0}), CONTEXT, run)
        both = {"compute_cost": 8.0, "linear_forward": 8.0}
        book.record("c", "c.ipynb", "3", graded("c.ipynb", both), CONTEXT, run)
    return path


def test_report_data(gradebook):
    with Gradebook(gradebook) as book:
        data = read_report_data(book, "T")
    assert sorted(data.scores) == [84.0, 92.0, 100.0]
    rates = {f.name: f.pass_rate for f in data.functions}
    assert rates["compute_cost"] == pytest.approx(1 / 3)
    assert rates["initialize_parameters"] == 1.0
    assert data.failures[0] == ("compute_cost", "compute_cost: the values are wrong.", 2)


def test_report_writes_html_and_two_png_charts(gradebook, tmp_path):
    paths = write_report(gradebook, tmp_path / "report")
    assert [p.name for p in paths] == [SCORES_PNG, PASS_RATES_PNG, INDEX]
    for chart in paths[:2]:
        assert chart.read_bytes().startswith(PNG_SIGNATURE)
    page = paths[2].read_text()
    assert 'src="%s"' % SCORES_PNG in page and 'src="%s"' % PASS_RATES_PNG in page
    assert "compute_cost: the values are wrong." in page
    assert "<tr><td><code>compute_cost</code></td><td>33.3%</td>" in page


def test_html_escapes_messages(gradebook):
    with Gradebook(gradebook) as book:
        data = read_report_data(book, "<T>")
    data.failures = [("f", "<script>alert(1)</script>", 1)]
    page = render_html(data)
    assert "<script>" not in page and "&lt;T&gt;" in page


def test_report_command(gradebook, tmp_path, capsys):
    assert main(["report", "--gradebook", str(gradebook), "--out", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / INDEX).exists()
    assert "index.html" in capsys.readouterr().out
