"""What the bubblewrap sandbox costs per notebook in batch mode.

Grades the same N notebooks with ``sandbox="bwrap"`` and ``sandbox="process"`` in one run, one warm
worker per mode (the way ``dnngrade batch`` grades), and prints the wall time per notebook of each
and the difference. The rounds alternate between the modes and the median round counts, so a busy
moment of the machine does not land on one mode only. Starting a worker is a one-time cost per
worker and is reported apart.

    python tools/bench_sandbox.py                 # 100 notebooks, 3 rounds
    python tools/bench_sandbox.py --notebooks 200 --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assignments.dnn_step_by_step.mistakes import VARIANTS  # noqa: E402
from graders.grade import Grader  # noqa: E402
from graders.kit.nbbuild import notebook_bytes, solution_cells  # noqa: E402
from graders.sandbox.launch import worker_launch  # noqa: E402

MODES = ("bwrap", "process")


def notebooks(count: int) -> list[bytes]:
    """``count`` student-like notebooks: the solution with one known mistake or alternative each."""
    made = [notebook_bytes(solution_cells())]
    for index in range(1, count):
        variant = VARIANTS[index % len(VARIANTS)]
        made.append(notebook_bytes(solution_cells(replace={variant.function: variant.source})))
    return made


def one_round(mode: str, batch: list[bytes]) -> tuple[float, float]:
    """Seconds to start a worker, and seconds per notebook once it is warm."""
    started = time.perf_counter()
    with Grader(sandbox=mode) as grader:
        grader.start()
        grader.grade_bytes(batch[0], "warm-up.ipynb")
        warm = time.perf_counter()
        for index, data in enumerate(batch):
            grader.grade_bytes(data, "student%04d.ipynb" % index)
        done = time.perf_counter()
    return warm - started, (done - warm) / len(batch)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notebooks", type=int, default=100, help="notebooks per round (default 100)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per mode (default 3)")
    options = parser.parse_args(argv)
    if worker_launch("auto").mode != "bwrap":
        print("bubblewrap is not available here: %s" % worker_launch("auto").note)
        return 1
    batch = notebooks(options.notebooks)
    starts: dict[str, list[float]] = {mode: [] for mode in MODES}
    per_notebook: dict[str, list[float]] = {mode: [] for mode in MODES}
    for _ in range(options.rounds):
        for mode in MODES:
            start, each = one_round(mode, batch)
            starts[mode].append(start)
            per_notebook[mode].append(each)
    median = {mode: statistics.median(per_notebook[mode]) * 1000 for mode in MODES}
    print("%d notebooks x %d rounds, median round" % (options.notebooks, options.rounds))
    for mode in MODES:
        print("  %-8s %7.2f ms/notebook   (worker start %5.0f ms)"
              % (mode, median[mode], statistics.median(starts[mode]) * 1000))
    print("  sandbox cost: %+.2f ms/notebook" % (median["bwrap"] - median["process"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
