"""Time ``dnngrade batch`` on a generated batch of N notebooks and print notebooks per second.

The batch cycles through the sample submissions (right, wrong, stubs, unreadable; the
infinite-loop sample is left out unless ``--with-timeouts``, since one hung function costs its
time limit several times over and would measure the limit, not the grader). The time includes
starting the pool and its warm workers, as a real batch does.

    python -m tools.bench_batch --count 500
    python -m tools.bench_batch --count 500 --workers 4 --scheduler tcp://host:8786
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from graders.batch import default_workers, run_batch
from tools.samples import SAMPLES_DIR, SUBMISSIONS, graded_samples

SLOW = {"infinite_loop_in_update_parameters"}


def make_batch(folder: Path, count: int, with_timeouts: bool = False) -> Path:
    """Write ``count`` notebooks named ``student0001.ipynb`` ... cycling through the samples."""
    pool = [s for s in graded_samples() if with_timeouts or s.student_id not in SLOW]
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        sample = pool[index % len(pool)]
        data = (SAMPLES_DIR / SUBMISSIONS / sample.path).read_bytes()
        (folder / ("student%04d.ipynb" % (index + 1))).write_bytes(data)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench_batch", description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500, help="notebooks in the batch (default %(default)s)")
    parser.add_argument("--workers", type=int, default=None, help="pool size (default: the number of cores)")
    parser.add_argument("--scheduler", default=None, help="Dask scheduler address instead of the local pool")
    parser.add_argument("--sandbox", default="auto", choices=("auto", "bwrap", "process"))
    parser.add_argument("--with-timeouts", action="store_true", help="include the infinite-loop sample")
    args = parser.parse_args(argv)
    workers = args.workers or default_workers()
    with tempfile.TemporaryDirectory(prefix="dnngrade-bench-") as scratch:
        folder = make_batch(Path(scratch) / "submissions", args.count, args.with_timeouts)
        started = time.perf_counter()
        summary = run_batch(folder, Path(scratch) / "gradebook.sqlite", workers=workers,
                            scheduler=args.scheduler, sandbox=args.sandbox, show_progress=None)
        seconds = time.perf_counter() - started
    where = "Dask at %s" % args.scheduler if args.scheduler else "%d local workers" % workers
    print("graded %d notebooks in %.1f s on %s: %.1f notebooks/s (could not grade: %d)" % (
        summary.graded_now, seconds, where, summary.graded_now / seconds,
        summary.statuses.get("could_not_grade", 0)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
