"""``dnngrade report``: an HTML page with a score histogram, pass rates and common failures."""

import pytest

from graders.batch.gradebook import Gradebook
from graders.cli import main
from graders.errors import UserError
from graders.render.report import INDEX, PASS_RATES_PNG, SCORES_PNG, read_report_data, render_html, write_report
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


def test_without_matplotlib_the_page_has_the_tables_and_says_how_to_add_the_charts(gradebook, tmp_path, monkeypatch):
    import graders.render.report as report

    monkeypatch.setattr(report, "has_matplotlib", lambda: False)
    paths = write_report(gradebook, tmp_path / "report")
    assert [p.name for p in paths] == [INDEX]
    page = paths[0].read_text()
    assert "<img" not in page and "pip install matplotlib" in page
    assert "<tr><td><code>compute_cost</code></td><td>33.3%</td>" in page


def test_the_command_says_when_charts_are_left_out(gradebook, tmp_path, capsys, monkeypatch):
    import graders.render.report as report

    monkeypatch.setattr(report, "has_matplotlib", lambda: False)
    assert main(["report", "--gradebook", str(gradebook), "--out", str(tmp_path / "r")]) == 0
    assert "matplotlib is not installed" in capsys.readouterr().out


def test_a_failed_report_leaves_no_folder_behind(tmp_path, monkeypatch):
    import graders.render.report as report

    with pytest.raises(UserError):
        write_report(tmp_path / "missing.sqlite", tmp_path / "report")
    assert not (tmp_path / "report").exists()

    path = tmp_path / "gb.sqlite"
    with Gradebook(path) as book:
        run = book.start_run(CONTEXT, "subs", "pool:2", {})
        book.record("a", "a.ipynb", "1", graded("a.ipynb", {}), CONTEXT, run)

    def broken(data, where):
        where.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report, "draw_pass_rates", broken)
    with pytest.raises(OSError):
        write_report(path, tmp_path / "report")
    assert not (tmp_path / "report").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gb.sqlite"]  # nor a staging folder
