"""A class-wide summary of a gradebook: an HTML page with PNG charts (matplotlib, imported only here).

``write_report(gradebook, out)`` writes ``out/index.html``, ``out/scores.png`` (score histogram)
and ``out/pass_rates.png`` (share of readable notebooks passing each function), with tables of the
per-function pass rates and the most common failure messages. Without matplotlib (the kit's base
install) the page has the tables and says how to add the charts. The folder is written whole or
not at all: a report that fails leaves no half-written or empty folder behind.
"""

from __future__ import annotations

import html
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from graders.batch.gradebook import FunctionStats, Gradebook

SCORES_PNG = "scores.png"
PASS_RATES_PNG = "pass_rates.png"
INDEX = "index.html"
FAILURES_SHOWN = 12
MSG_NO_MATPLOTLIB = (
    "dnngrade report draws its charts with matplotlib, which is not installed; "
    'run pip install ".[kit]" (or pip install matplotlib) and try again'
)
MSG_NO_CHARTS = (
    "The charts are left out: matplotlib is not installed (pip install matplotlib, then run "
    "dnngrade report again to add them)."
)


@dataclass
class ReportData:
    """What the report shows, read from the gradebook."""

    title: str
    scores: list[float]
    max_score: float
    statuses: dict[str, int]
    mean: float
    median: float
    functions: list[FunctionStats] = field(default_factory=list)
    failures: list[tuple[str, str, int]] = field(default_factory=list)
    timeouts: int = 0


def read_report_data(book: Gradebook, title: str = "") -> ReportData:
    """Collect the report's numbers from ``book``."""
    stored = book.submissions()
    statuses: dict[str, int] = {}
    for row in stored:
        statuses[row.status] = statuses.get(row.status, 0) + 1
    mean, median, top = book.score_summary()
    return ReportData(title=title, scores=book.scores(), max_score=top, statuses=statuses, mean=mean,
                      median=median, functions=book.function_stats(),
                      failures=book.common_failures(FAILURES_SHOWN),
                      timeouts=sum(1 for row in stored if row.timed_out))


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        from graders.errors import UserError

        raise UserError(MSG_NO_MATPLOTLIB) from None
    return plt


def draw_histogram(data: ReportData, path: Path) -> None:
    """Score histogram, ten bins from 0 to the maximum score."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(7, 3.6), dpi=100)
    top = data.max_score or 1.0
    bins = [top * i / 10 for i in range(11)]
    axes.hist(data.scores, bins=bins, color="#3b6ea5", edgecolor="white")
    axes.set_xlim(0, top)
    axes.set_xlabel("score (of %g)" % top)
    axes.set_ylabel("submissions")
    axes.set_title("Scores of %d submissions (mean %.1f, median %.1f)"
                   % (len(data.scores), data.mean, data.median))
    figure.tight_layout()
    figure.savefig(path, metadata={"Software": None})
    plt.close(figure)


def draw_pass_rates(data: ReportData, path: Path) -> None:
    """Horizontal bars: share of readable notebooks passing each function, in assignment order."""
    plt = _pyplot()
    functions = list(reversed(data.functions))
    figure, axes = plt.subplots(figsize=(7, 0.45 * max(len(functions), 1) + 1.2), dpi=100)
    rates = [100 * f.pass_rate for f in functions]
    axes.barh([f.name for f in functions], rates, color="#5a9e5a")
    for position, (rate, stats) in enumerate(zip(rates, functions, strict=True)):
        axes.text(min(rate + 1, 88), position, "%.0f%% (%d/%d)" % (rate, stats.passed, stats.graded),
                  va="center", fontsize=8)
    axes.set_xlim(0, 100)
    axes.set_xlabel("% of readable notebooks passing")
    axes.set_title("Pass rate per function")
    figure.tight_layout()
    figure.savefig(path, metadata={"Software": None})
    plt.close(figure)


def has_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def render_html(data: ReportData, charts: bool = True) -> str:
    """The report page; it links the two PNG files written beside it (without ``charts``, it
    says why there are none)."""
    esc = html.escape
    counts = ", ".join("%s %d" % (esc(status.replace("_", " ")), n)
                       for status, n in sorted(data.statuses.items()))
    function_rows = "".join(
        "<tr><td><code>%s</code></td><td>%.1f%%</td><td>%d / %d</td><td>%.2f / %g</td></tr>" % (
            esc(f.name), 100 * f.pass_rate, f.passed, f.graded, f.mean_score, f.max_score)
        for f in data.functions)
    failure_rows = "".join(
        "<tr><td>%d</td><td><code>%s</code></td><td>%s</td></tr>" % (count, esc(function), esc(message))
        for function, message, count in data.failures)
    failure_rows = failure_rows or "<tr><td colspan=\"3\">No failures.</td></tr>"
    title = esc(data.title or "Grades")
    if charts:
        scores_chart = '<h2>Scores</h2><img src="%s" alt="histogram of scores">' % SCORES_PNG
        rates_chart = '<img src="%s" alt="pass rate per function">' % PASS_RATES_PNG
    else:
        scores_chart, rates_chart = "<p><em>%s</em></p>" % esc(MSG_NO_CHARTS), ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}: batch report</title>
<style>body{{font-family:sans-serif;max-width:62em;margin:2em auto}}
td,th{{padding:.25em .8em;text-align:left}}table{{border-collapse:collapse}}
tr:nth-child(even){{background:#f4f4f4}}img{{max-width:100%}}</style>
</head><body>
<h1>{title}: batch report</h1>
<p>{sum(data.statuses.values())} submissions ({counts}); {data.timeouts} hit a time limit.
Mean score {data.mean:.1f}, median {data.median:.1f}, out of {data.max_score:g}.</p>
{scores_chart}
<h2>Pass rate per function</h2>{rates_chart}
<table><tr><th>Function</th><th>Pass rate</th><th>Passed</th><th>Mean score</th></tr>{function_rows}</table>
<h2>Most common failures</h2>
<p>The first failing check of each failing function, grouped by message.</p>
<table><tr><th>Count</th><th>Function</th><th>Message</th></tr>{failure_rows}</table>
</body></html>
"""


def write_report(gradebook: str | Path, out: str | Path, charts: bool | None = None) -> list[Path]:
    """Write the HTML summary and its charts into the folder ``out``; return the paths written
    (the page last). ``charts``: draw them (None: when matplotlib is installed).

    Everything is written into a new folder beside ``out`` first and moved into place at the end,
    so a failure (a missing gradebook, a full disk) leaves ``out`` as it was."""
    from graders.assignment import for_gradebook

    with Gradebook(gradebook, must_exist=True) as book:
        data = read_report_data(book, for_gradebook(book).title)
    charts = has_matplotlib() if charts is None else charts
    folder = Path(out)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".%s-" % folder.name, dir=folder.parent))
    try:
        names = [SCORES_PNG, PASS_RATES_PNG, INDEX] if charts else [INDEX]
        if charts:
            draw_histogram(data, staging / SCORES_PNG)
            draw_pass_rates(data, staging / PASS_RATES_PNG)
        (staging / INDEX).write_text(render_html(data, charts), encoding="utf-8")
        folder.mkdir(exist_ok=True)
        for name in names:
            (staging / name).replace(folder / name)
        if not charts:  # charts of an earlier report would not match this page
            for name in (SCORES_PNG, PASS_RATES_PNG):
                (folder / name).unlink(missing_ok=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [folder / name for name in names]
