"""Draw a :class:`~graders.similarity.SimilarityRun`: ``index.html`` (top pairs per function and
overall), one side-by-side page per pair with the matching regions highlighted, and
``pairs.csv``. Only draws: every number comes from the run."""

from __future__ import annotations

import csv
import html
from pathlib import Path

from graders.similarity import Pair, SimilarityRun

INDEX = "index.html"
CSV_FILE = "pairs.csv"
PAIRS_DIR = "pairs"

EVIDENCE_NOTE = (
    "This page is evidence for a person to read, not a verdict: it never changes a grade. Similar "
    "code can be innocent (a study group, a shared hint, the lecture's own example). Read both sides, "
    "and talk to the students, before concluding anything."
)
HOW_SCORED = (
    "Docstrings, blank lines, comments and the starter code (the released notebook and older course "
    "templates) are removed, and every name is treated as a placeholder, so renamed variables still "
    "match. Code that more than {share:.0%} of the class wrote the same way counts for nothing; each "
    "rarer fragment a pair shares adds more the fewer students have it. Shared unusual names, strings "
    "and comments add to it; shared wrong code counts {both_wrong:g} times, the same mistake "
    "{same_mistake:g} times."
)

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1400px; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: .6em 1em; }
table { border-collapse: collapse; margin: .5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.sides { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1em; }
pre { background: #fafafa; border: 1px solid #ddd; padding: .6em; overflow-x: auto; font-size: 13px; }
mark { background: #ffd54f; }
.tag { font-size: 85%; background: #fde0dc; padding: 0 .4em; border-radius: 3px; }
"""


def _page(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s</title>"
            "<style>%s</style></head><body>\n%s\n</body></html>\n" % (html.escape(title), _STYLE, body))


def _pair_files(run: SimilarityRun) -> dict[tuple[str, str], str]:
    keys = sorted({(p.a, p.b) for pairs in run.details.values() for p in pairs}
                  | {(p.a, p.b) for p in run.overall})
    return {key: "%s/pair-%04d.html" % (PAIRS_DIR, number) for number, key in enumerate(keys, 1)}


def _tags(pair: Pair) -> str:
    tags = []
    if pair.same_mistake:
        tags.append("same mistake")
    elif pair.both_wrong:
        tags.append("both wrong")
    return " ".join('<span class="tag">%s</span>' % tag for tag in tags)


def highlighted(source: str, spans) -> str:
    """``source`` as HTML with ``spans`` (character ranges) inside ``<mark>``."""
    out, at = [], 0
    for start, end in sorted(spans):
        start = max(start, at)
        if end <= start:
            continue
        out.append(html.escape(source[at:start]))
        out.append("<mark>%s</mark>" % html.escape(source[start:end]))
        at = end
    out.append(html.escape(source[at:]))
    return "".join(out)


def write_similarity_report(run: SimilarityRun, out: str | Path, title: str = "") -> Path:
    """Write the report into ``out``; return the path of its ``index.html``."""
    folder = Path(out)
    (folder / PAIRS_DIR).mkdir(parents=True, exist_ok=True)
    files = _pair_files(run)
    settings = run.settings
    body = ["<h1>Similar code%s</h1>" % (": " + html.escape(title) if title else ""),
            '<p class="note">%s</p>' % html.escape(EVIDENCE_NOTE),
            "<p>%s</p>" % html.escape(HOW_SCORED.format(share=settings.get("common_share", 0.1),
                                                        both_wrong=settings.get("both_wrong", 1.5),
                                                        same_mistake=settings.get("same_mistake", 2.0))),
            "<p>%d students; compared per function: %s.</p>" % (
                len(run.students), ", ".join("%s %d" % (html.escape(f), n) for f, n in run.compared.items()))]
    if run.missing:
        body.append("<h2>Not compared</h2><ul>%s</ul>" % "".join(
            "<li>%s: %s</li>" % (html.escape(sid), html.escape(why)) for sid, why in sorted(run.missing.items())))
    body.append('<h2 id="overall">Overall</h2>')
    if run.overall:
        rows = "".join(
            '<tr><td class="num">%d</td><td><a href="%s">%s &amp; %s</a></td><td class="num">%.1f</td><td>%s</td></tr>'
            % (rank, files[(p.a, p.b)], html.escape(p.a), html.escape(p.b), p.score,
               ", ".join("%s %.1f" % (html.escape(f), v) for f, v in p.functions))
            for rank, p in enumerate(run.overall, 1))
        body.append("<table><tr><th>#</th><th>pair</th><th>score</th><th>from</th></tr>%s</table>" % rows)
    else:
        body.append("<p>No two submissions share unusual code.</p>")
    for function in run.functions:
        body.append('<h2 id="%s">%s</h2>' % (html.escape(function), html.escape(function)))
        pairs = run.pairs.get(function, [])
        if not pairs:
            body.append("<p>No two submissions share unusual code here.</p>")
            continue
        rows = "".join(
            '<tr><td class="num">%d</td><td><a href="%s#%s">%s &amp; %s</a> %s</td><td class="num">%.1f</td>'
            '<td class="num">%d</td><td>%s</td></tr>'
            % (rank, files[(p.a, p.b)], html.escape(function), html.escape(p.a), html.escape(p.b), _tags(p),
               p.score, p.shared_fragments, html.escape("; ".join(p.odd_shared)))
            for rank, p in enumerate(pairs, 1))
        body.append("<table><tr><th>#</th><th>pair</th><th>score</th><th>rare fragments</th>"
                    "<th>shared unusual names, strings, comments, lines</th></tr>%s</table>" % rows)
    index = folder / INDEX
    index.write_text(_page("Similar code", "\n".join(body)), encoding="utf-8")

    by_pair: dict[tuple[str, str], list[Pair]] = {}
    for function in run.functions:
        for pair in run.details.get(function, []):
            by_pair.setdefault((pair.a, pair.b), []).append(pair)
    for key, name in files.items():
        a, b = key
        sections = ['<p><a href="../%s">&larr; all pairs</a></p>' % INDEX,
                    "<h1>%s &amp; %s</h1>" % (html.escape(a), html.escape(b)),
                    '<p class="note">%s</p>' % html.escape(EVIDENCE_NOTE)]
        for pair in sorted(by_pair.get(key, []), key=lambda p: -p.score):
            sources = run.sources.get(pair.function, {})
            sections.append('<h2 id="%s">%s <small>score %.1f</small> %s</h2>' % (
                html.escape(pair.function), html.escape(pair.function), pair.score, _tags(pair)))
            if pair.odd_shared:
                sections.append("<p>Shared: %s</p>" % html.escape("; ".join(pair.odd_shared)))
            sections.append('<div class="sides"><div><h3>%s</h3><pre>%s</pre></div><div><h3>%s</h3><pre>%s</pre>'
                            "</div></div>" % (html.escape(a), highlighted(sources.get(a, ""), pair.spans_a),
                                              html.escape(b), highlighted(sources.get(b, ""), pair.spans_b)))
        (folder / name).write_text(_page("%s & %s" % (a, b), "\n".join(sections)), encoding="utf-8")

    with open(folder / CSV_FILE, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["function", "rank", "student_a", "student_b", "score", "rare_fragments", "both_wrong",
                         "same_mistake", "shared_unusual"])
        for rank, overall in enumerate(run.overall, 1):
            writer.writerow(["*", rank, overall.a, overall.b, overall.score, "", "", "", ""])
        for function in run.functions:
            for rank, pair in enumerate(run.pairs.get(function, []), 1):
                writer.writerow([function, rank, pair.a, pair.b, pair.score, pair.shared_fragments,
                                 int(pair.both_wrong), int(pair.same_mistake), "; ".join(pair.odd_shared)])
    return index
