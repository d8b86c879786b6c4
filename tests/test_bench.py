"""The benchmark keeps working: a quick run produces every figure (it asserts nothing about time)."""

import json

from tools.bench import KIT_ROOT, main, make_submissions


def test_quick_benchmark_reports_every_figure(tmp_path):
    out = tmp_path / "bench.json"
    # --against: a change's cost as a ratio to another checkout (here the same one), alternating
    assert main(["--quick", "--against", str(KIT_ROOT), "--rounds", "1", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    against = report["against"]
    assert against["rounds"] == 1 and len(against["seconds"]) == len(against["other_seconds"]) == 1
    assert against["median_ratio"] > 0 and against["min_ratio"] > 0
    assert [row["workers"] for row in report["batch"]] == [1, report["cores"] + 1]
    assert all(row["notebooks"] == report["notebooks"] for row in report["batch"])
    assert all(row["per_second"] > 0 and row["peak_mib"] > 0 for row in report["batch"])
    assert len(report["baseline"]) == 2 and all(row["notebooks"] >= 1 for row in report["baseline"])
    assert len(report["ratio"]) == 2 and report["ratio_to_one_process"] > 0 and report["single"]["repeats"] >= 1
    assert [row["notebooks"] for row in report["scaling"]] == [10, 20]


def test_generated_submissions_are_varied_and_reproducible():
    from graders.kit.nbbuild import notebook_bytes, solution_cells

    first, again = make_submissions(1000), make_submissions(1000)
    assert first == again
    correct = notebook_bytes(solution_cells())
    assert 600 < sum(data == correct for _, data in first) < 800
    assert any(b"time.sleep" in data for _, data in first)
    assert any(not data.rstrip().endswith(b"}") for _, data in first)  # truncated ones
    assert len({data for _, data in first}) > 10  # several different mistakes


def test_quick_benchmark_times_the_similarity_comparison_and_ranks_the_planted_copies(tmp_path):
    import pytest

    pytest.importorskip("copydetect")
    from tools.bench import bench_similarity

    row = bench_similarity(40, 2)
    assert row["students"] == 40 and row["planted"] == 4 and row["seconds"] > 0
    # every copy is among the pairs shown, and the strongest is first (independent students who
    # drew the same uncommon mistake can outrank a weak copy: that is what the ranks are for)
    assert row["planted_ranks"][0] == 1 and row["planted_ranks"][-1] <= row["shown"]
