"""Benchmark: batch throughput and single-notebook latency against the kernel-per-notebook baseline.

Everything runs in one invocation on the same machine, so the ratios compare like with like:

1. ``N`` varied submissions are generated from the reference (correct, partly wrong, broken, a
   few slow ones).
2. ``dnngrade batch`` grades them cold (a new gradebook), sandbox on, every hidden case, with 1
   worker and with one worker per core; peak memory is the largest sum of RSS over the process
   tree (grader, pool, sandboxed workers and their children), sampled every 20 ms.
3. The baseline runs the same kind of notebooks the way nbgrader and otter-grader do: nbclient
   executes each notebook in a fresh Jupyter kernel, in one Python process (and in one process per
   core for the all-core figure). It runs on a subsample and is extrapolated per notebook; the
   report says so. It only executes the notebooks, grading nothing, so it flatters the baseline.
4. A cold ``dnngrade grade`` of one notebook, as a student or a Gradescope run calls it.
5. The same batch (1 pool process) run by a virtual environment under each of ``--venv-places``
   (default ``/tmp`` and ``/srv``), each holding its own NumPy as a real one does: the kit must be
   as fast wherever it is installed, so the ratio should be about 1.
6. The similarity report's comparison (``dnngrade similarity``) of a class of each of
   ``--similarity`` sizes, built from the reference and the mistake library with copies planted in
   it (``tools/similarity_sample.large_class``), in one process per core: its time, its cost per
   submission as a share of grading one, and where the planted copies rank overall.

``--quick`` runs a small version for CI; it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from graders.kit.nbbuild import edited_source, notebook_bytes, solution_cells
from graders.sandbox.limits import available_cores, default_workers

KIT_ROOT = Path(__file__).resolve().parent.parent
DNN_UTILS = KIT_ROOT / "reference" / "dnn_utils.py"

# (weight, kind, how to build it)
WRONG_EDITS = [
    ("linear_backward", "dW = np.dot(dZ, A_prev.T) / m", "dW = np.dot(dZ, A_prev.T)"),
    ("linear_backward", "axis=1, keepdims=True", "axis=1"),
    ("compute_cost", "cost = np.squeeze(cost)", "pass"),
    ("linear_forward", "Z = np.dot(W, A) + b", "Z = np.dot(W, A)"),
    ("update_parameters", "- learning_rate", "+ learning_rate"),
    ("L_model_forward", 'activation="sigmoid"', 'activation="relu"'),
]


def make_submissions(count: int, seed: int = 7) -> list[tuple[str, bytes]]:
    """``count`` notebooks: ~71% correct, ~20% with one or two wrong functions, ~8% broken
    (truncated JSON, a syntax error), and a few slow ones (~0.5%, a cell that sleeps 0.3 s)."""
    rng = random.Random(seed)
    notebooks = []
    for index in range(count):
        roll = rng.random()
        name = "student%05d.ipynb" % index
        if roll < 0.715:
            data = notebook_bytes(solution_cells())
        elif roll < 0.915:
            edits = rng.sample(WRONG_EDITS, rng.choice((1, 2)))
            replace = {}
            for function, old, new in edits:
                replace[function] = edited_source(function, old, new)
            data = notebook_bytes(solution_cells(replace))
        elif roll < 0.955:
            data = notebook_bytes(solution_cells())[: rng.randrange(200, 2000)]
        elif roll < 0.995:
            data = notebook_bytes(solution_cells({"compute_cost": edited_source(
                "compute_cost", "m = Y.shape[1]", "m = Y.shape[1")}))
        else:
            data = notebook_bytes(solution_cells() + ["import time\ntime.sleep(0.3)\n"])
        notebooks.append((name, data))
    return notebooks


def write_submissions(folder: Path, notebooks: list[tuple[str, bytes]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in notebooks:
        (folder / name).write_bytes(data)


class TreeMemory:
    """Samples the summed RSS of a process and all its descendants; keeps the peak (MiB)."""

    def __init__(self, pid: int, interval: float = 0.02):
        self.pid, self.interval, self.peak = pid, interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_mib(self.pid))
            time.sleep(self.interval)


def tree_rss_mib(root: int) -> float:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        rss[pid] = int(fields[21])
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


def timed_command(argv: list[str], cwd: Path) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run ``argv``; return (seconds, peak tree RSS in MiB, completed process)."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with TreeMemory(proc.pid) as memory:
        out, err = proc.communicate()
    seconds = time.perf_counter() - started
    completed = subprocess.CompletedProcess(argv, proc.returncode, out, err)
    if proc.returncode != 0:
        raise SystemExit("%s failed:\n%s" % (" ".join(argv), err.decode(errors="replace")[-2000:]))
    return seconds, memory.peak, completed


def dnngrade_argv() -> list[str]:
    return [sys.executable, "-m", "graders.cli"]


def bench_batch(folder: Path, workers: int | None, work: Path, kit: Path = KIT_ROOT) -> dict:
    """``dnngrade batch`` into a new gradebook; ``workers`` None: the batch's default pool; ``kit``:
    the checkout whose code runs (another one's, for :func:`bench_against`)."""
    gradebook = work / ("gradebook-%d.sqlite" % time.monotonic_ns())
    argv = dnngrade_argv() + ["batch", str(folder), "--gradebook", str(gradebook), "--quiet", "--sandbox", "auto"]
    if workers is not None:
        argv += ["--workers", str(workers)]
    else:
        workers = default_workers()
    seconds, peak, _ = timed_command(argv, kit)
    count = len(list(folder.glob("*.ipynb")))
    return {"workers": workers, "notebooks": count, "seconds": seconds, "per_second": count / seconds,
            "ms_per_notebook": 1000 * seconds / count, "peak_mib": peak}


def make_venv(place: Path) -> Path:
    """A virtual environment in ``place`` with its own copy of NumPy, as a real one has (the rest
    from this Python's site-packages); returns its interpreter."""
    import numpy

    venv = Path(tempfile.mkdtemp(prefix="dnnbench-venv-", dir=place))
    os.chmod(venv, 0o755)
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    source = Path(numpy.__file__).resolve().parent
    for folder in [source] + sorted(source.parent.glob("numpy*.libs")):
        shutil.copytree(folder, Path(site) / folder.name, symlinks=True)
    return python


def bench_venv_places(folder: Path, work: Path, places: list[str], repeat: int) -> list[dict]:
    """``dnngrade batch`` (1 pool process) run by a virtual environment in each of ``places``."""
    rows = []
    for place in places:
        if not os.path.isdir(place) or not os.access(place, os.W_OK):
            print("venv under %s: skipped (not a writable folder)" % place, flush=True)
            continue
        python = make_venv(Path(place))
        try:
            def measure(python=python, place=place):
                gradebook = work / ("gradebook-%d.sqlite" % time.monotonic_ns())
                argv = [str(python), "-m", "graders.cli", "batch", str(folder), "--gradebook", str(gradebook),
                        "--quiet", "--sandbox", "auto", "--workers", "1"]
                seconds, peak, _ = timed_command(argv, KIT_ROOT)
                count = len(list(folder.glob("*.ipynb")))
                return {"place": place, "notebooks": count, "seconds": seconds, "per_second": count / seconds,
                        "peak_mib": peak}
            row = best_of(repeat, measure)
        finally:
            shutil.rmtree(python.parent.parent, ignore_errors=True)
        rows.append(row)
        print("dnngrade batch, 1 pool process, venv under %s: %.1f notebooks/s (best of %d)" % (
            place, row["per_second"], row["repeats"]), flush=True)
    return rows


def bench_single(notebook: Path, repeats: int) -> dict:
    times = []
    for _ in range(repeats):
        seconds, peak, _ = timed_command(dnngrade_argv() + ["grade", str(notebook), "--json"], KIT_ROOT)
        times.append(seconds)
    return {"median_seconds": statistics.median(times), "min_seconds": min(times), "repeats": repeats}


def _nbclient_loop(paths: list[str]) -> float:
    """Execute each notebook in a fresh kernel (what nbgrader/otter do); return the seconds taken."""
    import nbformat
    from nbclient import NotebookClient

    started = time.perf_counter()
    for path in paths:
        try:
            notebook = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 - an unreadable notebook costs the baseline nothing
            continue
        client = NotebookClient(notebook, timeout=60, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": os.path.dirname(path)}})
        client.execute()
    return time.perf_counter() - started


def _quiet_stderr() -> None:
    """Kernels inherit stderr and warn on every start; keep the benchmark's output readable."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)


def bench_baseline(notebooks: list[tuple[str, bytes]], work: Path, sample: int, workers: int) -> dict:
    folder = work / "baseline"
    folder.mkdir(exist_ok=True)
    shutil.copy(DNN_UTILS, folder / "dnn_utils.py")
    chosen = notebooks[:sample]
    paths = []
    for name, data in chosen:
        (folder / name).write_bytes(data)
        paths.append(str(folder / name))
    chunks = [paths[i::workers] for i in range(workers)]
    started = time.perf_counter()
    with ProcessPoolExecutor(workers, initializer=_quiet_stderr) as pool:
        list(pool.map(_nbclient_loop, chunks))
    seconds = time.perf_counter() - started
    return {"workers": workers, "notebooks": len(paths), "seconds": seconds, "per_second": len(paths) / seconds,
            "ms_per_notebook": 1000 * seconds / len(paths)}


def bench_similarity(size: int, workers: int) -> dict:
    from graders.similarity import TOP_PAIRS, compare_class
    from tools.similarity_sample import FUNCTIONS, large_class, starter_code

    students, planted = large_class(size)
    shown = max(TOP_PAIRS, 2 * len(planted))
    start = time.perf_counter()
    run = compare_class(students, FUNCTIONS, starter_code(), top=shown, workers=workers)
    seconds = time.perf_counter() - start
    order = [(pair.a, pair.b) for pair in run.overall]
    ranks = sorted(order.index(pair) + 1 if pair in order else shown + 1
                   for pair in (tuple(sorted(item)) for item in planted.items()))
    return {"students": len(students), "workers": workers, "seconds": seconds,
            "ms_per_submission": 1000 * seconds / len(students), "planted": len(planted), "planted_ranks": ranks,
            "shown": shown}


def bench_against(folder: Path, work: Path, other: Path, rounds: int) -> dict:
    """The default-pool batch of this checkout and of ``other`` (another checkout of the kit, say an
    older commit's worktree), alternating, ``rounds`` each: a cost stated as a ratio measured in one
    run, which a busy or noisy machine moves far less than two separate runs."""
    mine: list[float] = []
    theirs: list[float] = []
    for round_ in range(rounds):
        order = [(KIT_ROOT, mine), (other, theirs)]
        for kit, times in order if round_ % 2 == 0 else order[::-1]:
            times.append(bench_batch(folder, None, work, kit)["seconds"])
    return {"other": str(other), "rounds": rounds, "seconds": mine, "other_seconds": theirs,
            "median_ratio": statistics.median(mine) / statistics.median(theirs),
            "min_ratio": min(mine) / min(theirs)}


def best_of(repeat: int, measure, *args) -> dict:
    """Run ``measure`` ``repeat`` times and keep the fastest run (the least disturbed by the rest
    of the machine); both sides of every ratio are measured this way."""
    runs = [measure(*args) for _ in range(max(1, repeat))]
    best = min(runs, key=lambda row: row["seconds"])
    best["repeats"] = len(runs)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=int, default=1000, help="batch size (default %(default)s)")
    parser.add_argument("--baseline-sample", type=int, default=12, help="notebooks run by the baseline")
    parser.add_argument("--scaling", default="100,1000,5000", help="batch sizes for the linearity check ('' to skip)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timing; the fastest is kept")
    parser.add_argument("--quick", action="store_true", help="small sizes for CI; asserts nothing")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--similarity", default="1000",
                        help="class sizes for the similarity comparison ('' to skip)")
    parser.add_argument("--against", metavar="CHECKOUT",
                        help="also time the default-pool batch of another checkout of the kit, alternating")
    parser.add_argument("--rounds", type=int, default=6, help="batches of each checkout for --against")
    parser.add_argument("--venv-places", default="/tmp,/srv",
                        help="folders to put a virtual environment in, one batch each ('' to skip)")
    options = parser.parse_args(argv)
    if options.quick:
        options.notebooks, options.baseline_sample, options.scaling, options.repeat = 20, 2, "10,20", 1
        options.similarity = "40"
    cores = available_cores()
    report: dict = {"cores": cores, "notebooks": options.notebooks}
    with tempfile.TemporaryDirectory(prefix="dnnbench-") as tmp:
        work = Path(tmp)
        notebooks = make_submissions(options.notebooks)
        folder = work / "submissions"
        write_submissions(folder, notebooks)
        print("generated %d submissions in %s" % (len(notebooks), folder), flush=True)

        # one pool process, then the batch's default pool for all cores (a process per core, plus one)
        report["batch"] = [best_of(options.repeat, bench_batch, folder, workers, work) for workers in (1, None)]
        labels = ("1 pool process", "default pool, %d processes on %d cores" % (default_workers(), cores))
        for row, label in zip(report["batch"], labels):
            print("dnngrade batch, %s: %.1f notebooks/s, %.2f ms/notebook, peak %.0f MiB (best of %d)" % (
                label, row["per_second"], row["ms_per_notebook"], row["peak_mib"], row["repeats"]), flush=True)

        if options.against:
            row = report["against"] = bench_against(folder, work, Path(options.against).resolve(), options.rounds)
            print("against %s: this checkout's batch takes %.3fx its time (median of %d rounds each; %.3fx by "
                  "the fastest)" % (row["other"], row["median_ratio"], row["rounds"], row["min_ratio"]), flush=True)

        report["baseline"] = [best_of(options.repeat, bench_baseline, notebooks, work, options.baseline_sample, workers)
                              for workers in (1, cores)]
        for row in report["baseline"]:
            print("nbclient, fresh kernel per notebook, %d process(es): %.2f notebooks/s, %.0f ms/notebook "
                  "(measured on %d notebooks, extrapolated per notebook)" % (
                      row["workers"], row["per_second"], row["ms_per_notebook"], row["notebooks"]), flush=True)
        report["ratio"] = [b["per_second"] / n["per_second"] for b, n in zip(report["batch"], report["baseline"])]
        report["ratio_to_one_process"] = report["batch"][1]["per_second"] / report["baseline"][0]["per_second"]
        print("throughput ratio to the baseline: %.0fx (1 pool process to 1 nbclient process), %.0fx (default "
              "pool to %d nbclient processes), %.0fx (default pool to the 1-process nbclient loop)" % (
                  report["ratio"][0], report["ratio"][1], cores, report["ratio_to_one_process"]), flush=True)

        single = folder / notebooks[0][0]
        report["single"] = bench_single(single, 3 if options.quick else 7)
        print("cold `dnngrade grade` of one notebook: median %.3f s (min %.3f s over %d runs)" % (
            report["single"]["median_seconds"], report["single"]["min_seconds"], report["single"]["repeats"]),
            flush=True)

        places = [p for p in options.venv_places.split(",") if p.strip()]
        report["venv_places"] = bench_venv_places(folder, work, places, options.repeat)
        if len(report["venv_places"]) > 1:
            rates = [row["per_second"] for row in report["venv_places"]]
            print("venv place ratio (slowest to fastest): %.2f" % (min(rates) / max(rates)), flush=True)

        report["scaling"] = []
        for size in [int(s) for s in options.scaling.split(",") if s.strip()]:
            scaled = work / ("scale-%d" % size)
            write_submissions(scaled, make_submissions(size, seed=size))
            row = bench_batch(scaled, None, work)
            report["scaling"].append(row)
            print("scaling: %5d notebooks in %.2f s, %.2f ms/notebook, peak %.0f MiB" % (
                size, row["seconds"], row["ms_per_notebook"], row["peak_mib"]), flush=True)
            shutil.rmtree(scaled)

        report["similarity"] = []
        sizes = [int(s) for s in options.similarity.split(",") if s.strip()]
        try:
            import copydetect  # noqa: F401
        except ImportError:
            sizes and print("similarity: skipped, copydetect is not installed (the similarity extra)", flush=True)
            sizes = []
        grading_ms = report["batch"][1]["ms_per_notebook"]
        for size in sizes:
            row = bench_similarity(size, cores)
            row["share_of_grading"] = row["ms_per_submission"] / grading_ms
            report["similarity"].append(row)
            print("similarity: %d students in %.1f s with %d processes, %.1f ms/submission (%.2fx the batch's "
                  "grading time per notebook); %d planted copies rank %s overall (of %d shown)" % (
                      row["students"], row["seconds"], row["workers"], row["ms_per_submission"],
                      row["share_of_grading"], row["planted"], ",".join(map(str, row["planted_ranks"])),
                      row["shown"]), flush=True)
    if options.json:
        Path(options.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
