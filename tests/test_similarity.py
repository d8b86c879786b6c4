"""The similarity report's comparison: planted copies rank first, independent code and the
starter code do not pair, and the same class always gives the same comparison."""

from __future__ import annotations

import pytest

pytest.importorskip("copydetect")

from graders.assignment import current
from graders.similarity import Submission, compare_class, normalise, score_function  # noqa: E402
from graders.similarity_job import starter_code as pack_starter_code  # noqa: E402
from graders.sources import definitions, function_sources  # noqa: E402
from tools.similarity_sample import COPIERS, FUNCTIONS, PLANTED, STUBS, planted_class, starter_code  # noqa: E402


@pytest.fixture(scope="module")
def klass():
    return planted_class()


@pytest.fixture(scope="module")
def comparison(klass):
    return compare_class(klass, FUNCTIONS, starter_code(), workers=2)


def planted_pairs() -> set[tuple[str, str]]:
    return {tuple(sorted(pair)) for pair in PLANTED.items()}


def test_every_kind_of_planted_copy_changes_the_code_it_copies(klass):
    by_id = {s.student_id: s for s in klass}
    for copy, original in PLANTED.items():
        changed = [f for f in FUNCTIONS if by_id[copy].sources[f] != by_id[original].sources[f]]
        assert bool(changed) == (copy != "copy_verbatim"), copy


def test_the_planted_copies_are_the_top_pairs_by_a_wide_margin(comparison):
    top = [(p.a, p.b) for p in comparison.overall]
    assert set(top[:len(PLANTED)]) == planted_pairs()
    weakest_copy = min(p.score for p in comparison.overall if (p.a, p.b) in planted_pairs())
    strongest_other = max(p.score for p in comparison.overall if (p.a, p.b) not in planted_pairs())
    assert weakest_copy > 3 * strongest_other


def test_a_copied_wrong_function_is_listed_under_that_function_as_the_same_mistake(klass, comparison):
    by_id = {s.student_id: s for s in klass}
    near_top = checked = 0
    for copy, original in PLANTED.items():
        for function in FUNCTIONS:
            if by_id[original].lost_points[function]:
                key = tuple(sorted((copy, original)))
                ranked = [(p.a, p.b) for p in comparison.pairs[function]]
                assert key in ranked, (copy, function)
                assert comparison.pairs[function][ranked.index(key)].same_mistake
                near_top += ranked.index(key) < len(PLANTED)
                checked += 1
    assert checked >= 8 and near_top >= 0.8 * checked


def test_independent_correct_solutions_written_differently_stay_far_below_the_copies(comparison):
    from assignments.dnn_step_by_step.mistakes import CORRECT, VARIANTS
    from graders.kit.nbbuild import solution_source

    totals: dict[tuple[str, str], float] = {}
    for function in FUNCTIONS:
        ways = [solution_source(function)] + [v.source for v in VARIANTS if v.function == function and v.kind == CORRECT]  # noqa: E501
        students = [Submission("way%d" % n, {function: text}) for n, text in enumerate(ways)]
        # the rest of a class of 40 writes the reference, as most students do
        students += [Submission("usual%d" % n, {function: solution_source(function)}) for n in range(40 - len(ways))]
        for pair, score in score_function(function, students, starter_code()[function]).scores.items():
            if not any(sid.startswith("usual") for sid in pair):
                totals[pair] = totals.get(pair, 0.0) + score
    weakest_copy = min(p.score for p in comparison.overall if (p.a, p.b) in planted_pairs())
    assert max(totals.values(), default=0.0) < weakest_copy / 5


def test_the_starter_code_alone_creates_no_pair(klass):
    stub_pairs = {(a, b) for a in STUBS for b in STUBS if a < b}
    for function in FUNCTIONS:
        scores = score_function(function, klass, starter_code()[function]).scores
        assert not stub_pairs & set(scores), function
        # without the starter code removed, the same untouched templates do pair: the check can fail
        assert stub_pairs <= set(score_function(function, klass, []).scores), function


def test_the_packs_starter_code_covers_the_released_notebook_and_the_older_templates():
    found = pack_starter_code(current().spec)
    assert set(found) == set(FUNCTIONS)
    assert all(len(texts) >= 3 for texts in found.values())  # released stub + two course layouts


def test_the_same_class_always_gives_the_same_comparison(klass, comparison):
    again = compare_class(klass, FUNCTIONS, starter_code(), workers=1)
    assert again.to_dict() == comparison.to_dict()


def test_the_highlighted_regions_are_inside_each_source(comparison):
    for function, pairs in comparison.details.items():
        for pair in pairs:
            for student, spans in ((pair.a, pair.spans_a), (pair.b, pair.spans_b)):
                text = comparison.sources[function][student]
                assert all(0 <= start < end <= len(text) for start, end in spans)
    first = comparison.pairs[FUNCTIONS[0]][0]
    assert first.spans_a and first.spans_b


def test_copies_survive_each_transformation_alone():
    from assignments.dnn_step_by_step.mistakes import VARIANTS, WRONG

    source = next(v.source for v in VARIANTS if v.id.startswith("L_model_backward.") and v.kind == WRONG)
    for copy, transform in COPIERS.items():
        from graders.kit.nbbuild import solution_source

        students = [Submission("original", {"L_model_backward": source}),
                    Submission("copy", {"L_model_backward": transform(source)})]
        students += [Submission("usual%d" % n, {"L_model_backward": solution_source("L_model_backward")})
                     for n in range(20)]
        scores = score_function("L_model_backward", students, starter_code()["L_model_backward"]).scores
        assert scores.get(("copy", "original"), 0) > 0, copy
        assert max(scores, key=scores.get) == ("copy", "original"), copy


def test_the_graded_definition_is_the_last_one_and_docstrings_do_not_count():
    cells = ["import numpy as np",
             "def linear_forward(A, W, b):\n    return 1\n",
             "%timeit x\n@decorated\ndef linear_forward(A, W, b):\n    '''doc'''\n    Z = W @ A + b\n\n    return Z, (A, W, b)\nx = 1\n",  # noqa: E501
             "def linear_backward(dZ, cache:\n    broken\nprint(1)\n"]
    found = function_sources(cells, ["linear_forward", "linear_backward"])
    assert found["linear_forward"].startswith("@decorated\ndef linear_forward")
    assert "x = 1" not in found["linear_forward"]
    assert found["linear_backward"] == "def linear_backward(dZ, cache:\n    broken\n"  # cut by indentation
    assert len(definitions(cells, ["linear_forward"])["linear_forward"]) == 2
    assert normalise(found["linear_forward"]) == "@decorated\ndef linear_forward(A, W, b):\n    Z = W @ A + b\n    return Z, (A, W, b)\n"  # noqa: E501


FINGERPRINTS_OF_ONE_SOURCE = """
import sys
from graders.similarity import _fingerprint, normalise
from graders.kit.nbbuild import solution_source
print(sorted(int(h) for h in _fingerprint(normalise(solution_source("L_model_backward")), None).hashes))
"""


def test_fingerprints_do_not_depend_on_the_processs_string_hash_seed(tmp_path):
    """A Dask worker's hash seed is random: the fingerprints must not use Python's ``hash``."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    outputs = set()
    for seed in ("1", "2", "random"):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(root))
        outputs.add(subprocess.run([sys.executable, "-c", FINGERPRINTS_OF_ONE_SOURCE], capture_output=True,
                                   text=True, env=env, cwd=tmp_path, check=True).stdout)
    assert len(outputs) == 1 and len(outputs.pop()) > 100


def test_a_dask_cluster_gives_the_same_comparison_as_the_local_pool(klass, comparison):
    distributed = pytest.importorskip("distributed")
    import logging

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=logging.ERROR) as cluster:
        on_dask = compare_class(klass, FUNCTIONS, starter_code(), scheduler=cluster.scheduler_address)
    assert on_dask.to_dict() == comparison.to_dict()
