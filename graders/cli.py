"""``dnngrade``: a thin command line over the grading library.

Every subcommand is listed once, in :data:`COMMANDS` at the end of this module: its name, the
function that runs it, its help line and the function that adds its options. A handler parses
nothing itself and calls one library function; the library is imported inside the handler, so
``dnngrade --help`` and a mistyped command answer at once. Errors meant for users
(:class:`graders.errors.UserError`) print as one line and exit with status 1 (2 for a command
called the wrong way, :class:`~graders.errors.UsageError`); ``--verbose`` shows the traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from graders.errors import UsageError, UserError, report_stale
from graders.sandbox.limits import default_workers

DEFAULT_GRADEBOOK = "gradebook.sqlite"


# -- cases ---------------------------------------------------------------------------------------

def _cmd_cases(args: argparse.Namespace) -> int:
    from graders.assignment import current
    from graders.kit.casegen import stale_case_files, write_case_files

    spec = current().spec
    if args.check:
        return report_stale(stale_case_files(spec), "The stored cases", "dnngrade cases", "cases are up to date")
    for path in write_case_files(spec):
        print("wrote %s" % path)
    return 0


def _configure_cases(parser) -> None:
    parser.add_argument("--check", action="store_true",
                        help="regenerate in memory and fail, naming the differences, if the stored files are stale")


# -- grade ---------------------------------------------------------------------------------------

def limits_from_args(args):
    """The :class:`~graders.sandbox.limits.Limits` that the options of :func:`add_limit_options` ask for."""
    from graders.sandbox.limits import Limits

    return Limits(cell_seconds=args.cell_timeout, call_seconds=args.call_timeout,
                  notebook_seconds=args.notebook_timeout, memory_mb=args.memory_mb,
                  processes=args.processes, disk_mb=args.disk_mb)


def add_limit_options(parser) -> None:
    """Options shared by ``grade`` and ``batch``, with defaults from :class:`graders.sandbox.limits.Limits`."""
    from graders.sandbox.limits import Limits

    defaults = Limits()
    parser.add_argument("--cell-timeout", type=float, default=defaults.cell_seconds, metavar="S",
                        help="seconds a notebook cell may run (default %(default)s)")
    parser.add_argument("--call-timeout", type=float, default=defaults.call_seconds, metavar="S",
                        help="seconds one call of a graded function may run (default %(default)s)")
    parser.add_argument("--notebook-timeout", type=float, default=defaults.notebook_seconds, metavar="S",
                        help="seconds the whole notebook may run (default %(default)s)")
    parser.add_argument("--memory-mb", type=int, default=defaults.memory_mb, metavar="MB",
                        help="memory limit of the process running student code (default %(default)s)")
    parser.add_argument("--processes", type=int, default=defaults.processes, metavar="N",
                        help="processes and threads student code may run at once (default %(default)s)")
    parser.add_argument("--disk-mb", type=int, default=defaults.disk_mb, metavar="MB",
                        help="size of the sandbox's private /tmp (default %(default)s)")
    parser.add_argument("--sandbox", choices=("auto", "bwrap", "process"), default="auto",
                        help="isolation of student code: bubblewrap if available (auto), required, or a plain process")


def _cmd_grade(args) -> int:
    from graders.errors import UsageError
    from graders.sandbox.launch import start_early

    if Path(args.notebook).is_dir():
        raise UsageError("%s is a folder; `dnngrade grade` takes one notebook. To grade every notebook in "
                         "it, run: dnngrade batch %s --gradebook gradebook.sqlite" % (args.notebook, args.notebook))

    if Path(args.notebook).exists():
        from graders.assignment import current

        # the worker starts while NumPy and the cases load here
        start_early(args.sandbox, args.disk_mb, current().worker_helpers())
    from graders.grade import grade_notebook
    from graders.render.results import to_gradescope, to_text

    path = Path(args.notebook)
    if not path.exists():
        raise UserError("no file at %s; give the path of a student's .ipynb" % path)
    result = grade_notebook(path, public_only=args.public_only, limits=limits_from_args(args), sandbox=args.sandbox)
    payload = to_gradescope(result)
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    if args.json:
        json.dump(payload, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif not args.out or args.verbose_report:
        print(to_text(result))
    return 0


def _configure_grade(parser) -> None:
    parser.add_argument("notebook", help="the student's .ipynb")
    parser.add_argument("--json", action="store_true", help="print Gradescope-shaped JSON instead of the report")
    parser.add_argument("--out", metavar="FILE", help="also write the Gradescope-shaped JSON to FILE")
    parser.add_argument("--public-only", action="store_true", help="run only the public cases (the self-check)")
    parser.add_argument("--report", dest="verbose_report", action="store_true",
                        help="print the readable report even with --out")
    add_limit_options(parser)


# -- batch, similarity, export, report -----------------------------------------------------------

def _cmd_batch(args) -> int:
    from graders.batch.run import run_batch
    from graders.batch.summary import format_summary
    from graders.render.results import gradebook_feedback

    if args.workers is not None and args.workers < 1:
        raise UserError("--workers must be at least 1 (got %d)" % args.workers)
    limits = limits_from_args(args)
    summary = run_batch(args.submissions, args.gradebook, roster=args.roster, workers=args.workers,
                        scheduler=args.scheduler, regrade=args.regrade, limits=limits, sandbox=args.sandbox,
                        show_progress=False if args.quiet else None, wait=args.wait,
                        feedback=gradebook_feedback)
    if not args.quiet:
        print(format_summary(summary))
    if args.similarity:
        from graders.similarity import TOP_PAIRS

        _similarity(args.gradebook, args.similarity, args.submissions, top=TOP_PAIRS, workers=args.workers,
                    scheduler=args.scheduler)
    return 0


def _similarity(gradebook, out, submissions, top, workers, scheduler) -> None:
    from graders.similarity_job import run_similarity

    run, index = run_similarity(gradebook, out, submissions=submissions, top=top,
                                workers=workers or default_workers(), scheduler=scheduler)
    compared = len(run.students)
    print("wrote %s (%d students compared%s; the top pair scores %s)" % (
        index, compared, ", %d not compared: see the page" % len(run.missing) if run.missing else "",
        "%.1f" % run.overall[0].score if run.overall else "nothing: no two share unusual code"))


def _cmd_similarity(args) -> int:
    if args.top < 1:
        raise UserError("--top must be at least 1 (got %d)" % args.top)
    _similarity(args.gradebook, args.out, args.submissions, args.top, args.workers, args.scheduler)
    return 0


def _cmd_export(args) -> int:
    from graders.render.exports import export_grades, write_feedback

    if not args.out and not args.feedback and not args.changes:
        raise UserError("nothing to write: give --out FILE (with --format), --feedback DIR and/or --changes FILE")
    if args.out:
        count = export_grades(args.gradebook, args.format, args.out, assignment=args.column,
                              warn=lambda message: print("dnngrade: note: %s" % message, file=sys.stderr))
        print("wrote %s (%s, %d students)" % (args.out, args.format, count))
    if args.changes:
        from graders.render.exports import export_changes

        changed = export_changes(args.gradebook, args.changes)
        print("wrote %s (%d students whose score changed in the latest run that changed any)" % (args.changes, changed))
    if args.feedback:
        paths = write_feedback(args.gradebook, args.feedback)
        print("wrote %d feedback files to %s" % (len(paths), args.feedback))
    return 0


def _cmd_report(args) -> int:
    from graders.render.report import MSG_NO_CHARTS, write_report

    paths = write_report(args.gradebook, args.out)
    print("wrote %s" % paths[-1])
    if len(paths) == 1:
        print(MSG_NO_CHARTS)
    return 0


def _gradebook_option(parser, help_text) -> None:
    parser.add_argument("--gradebook", default=DEFAULT_GRADEBOOK, metavar="FILE",
                        help="%s (default: %%(default)s)" % help_text)


def _configure_batch(parser) -> None:
    parser.add_argument("submissions", metavar="SUBMISSIONS",
                        help="folder or .zip of notebooks: <student>.ipynb files or one folder "
                             "per student")
    _gradebook_option(parser, "SQLite gradebook to fill; created if missing, resumed if present")
    parser.add_argument("--roster", metavar="CSV",
                        help="CSV with student_id and optionally name, email, canvas_id, sis_user_id, "
                             "sis_login_id, section; reports missing submissions")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="local grading processes (default: one per core, plus one: %d here)"
                             % default_workers())
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="grade on a Dask distributed cluster, e.g. tcp://10.0.0.5:8786 "
                             "(needs the dask extra)")
    parser.add_argument("--regrade", action="store_true",
                        help="grade every submission again, even those already graded with the "
                             "same content and cases")
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    parser.add_argument("--wait", action="store_true",
                        help="if another batch is grading into the same gradebook, wait for it to "
                             "finish instead of stopping")
    parser.add_argument("--similarity", metavar="DIR",
                        help="after grading, also write a similarity report of the class to DIR "
                             "(see `dnngrade similarity`)")
    add_limit_options(parser)


def _configure_similarity(parser) -> None:
    _gradebook_option(parser, "gradebook written by `dnngrade batch`")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="folder for index.html, the side-by-side pages and pairs.csv")
    parser.add_argument("--submissions", metavar="PATH",
                        help="folder or .zip the class was graded from (default: the one the latest "
                             "batch read)")
    parser.add_argument("--top", type=int, default=25, metavar="N",
                        help="pairs shown per function and overall (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="processes comparing functions (default: one per core, plus one)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="compare on a Dask distributed cluster (one task per function)")


def _configure_export(parser) -> None:
    from graders.render.exports import FORMATS

    _gradebook_option(parser, "gradebook written by `dnngrade batch`")
    parser.add_argument("--format", choices=FORMATS, default="csv",
                        help="canvas or moodle gradebook import, plain csv (per function), or json "
                             "(Gradescope-shaped results); default %(default)s")
    parser.add_argument("--out", metavar="FILE", help="file to write the grades to")
    parser.add_argument("--column", metavar="HEADER",
                        help="grade column header for canvas/moodle (default: the assignment title); "
                             "for an existing Canvas assignment use its exported header, "
                             "e.g. 'Step by Step (1234)'")
    parser.add_argument("--changes", metavar="FILE",
                        help="CSV of the students whose score the latest regrade changed: old and new, "
                             "total and per function")
    parser.add_argument("--feedback", metavar="DIR",
                        help="also write <student>.md and <student>.html feedback")


def _configure_report(parser) -> None:
    _gradebook_option(parser, "gradebook written by `dnngrade batch`")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="folder for index.html and its PNG charts")


# -- assign ----------------------------------------------------------------------------------------

MSG_NEEDS_KIT = (
    "`dnngrade assign` needs the kit extra ({missing} is not installed): from a clone of the kit, "
    "run `python -m pip install -e \".[kit]\"` (or `pip install \"dnn-step-by-step-grader[kit]\"`), then try again"
)


def _cmd_assign(args: argparse.Namespace) -> int:
    try:
        from graders.kit import release
    except ModuleNotFoundError as error:
        if error.name and error.name.split(".")[0] in ("nbformat", "matplotlib"):
            raise UserError(MSG_NEEDS_KIT.format(missing=error.name)) from None
        raise

    if not (args.out or args.check or args.update):
        raise UserError("say what to do: `dnngrade assign --out DIR` builds a release; "
                        "--check and --update look after the kept notebooks")
    if args.update:
        from graders.kit.bundles import REPO_ROOT

        if not (REPO_ROOT / "pyproject.toml").exists():
            raise UserError("--update rewrites the kit's own notebooks and figures (%s): run it in a checkout "
                            "of the kit, not in an installed copy" % release.kept_dir())
        for path in release.update_kept():
            print("wrote %s" % path)
    if args.check:
        if report_stale(release.stale_kept(), "The kept notebooks or figures", "dnngrade assign --update",
                        "kept notebooks and figures are up to date"):
            return 1
    if args.out:
        built = release.build_release(args.out)
        print("built the release in %s (%d files):" % (built.root, len(built.files)))
        for part, use in release.parts().items():
            print("  %-12s %s" % (part + "/", use))
    return 0


def _configure_assign(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="DIR", help="folder to build the release into")
    parser.add_argument("--check", action="store_true",
                        help="rebuild the kept notebooks and figures in memory and fail if they differ")
    parser.add_argument("--update", action="store_true",
                        help="rewrite the kept notebooks and figures in the pack's folder")


# -- audit -----------------------------------------------------------------------------------------

MSG_UNKNOWN_FUNCTION = "no variants for a function named {name!r}; the graded functions are: {names}"


def _configure_audit(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--function", metavar="NAME", help="audit only the variants of this graded function")
    parser.add_argument("--json", action="store_true",
                        help="print the full report as JSON instead of the table")


def _cmd_audit(args: argparse.Namespace) -> int:
    from graders.assignment import current
    from graders.audit import run_audit, select_variants, to_text

    GRADED_FUNCTIONS = current().graded_functions
    if args.function and args.function not in GRADED_FUNCTIONS:
        raise UserError(MSG_UNKNOWN_FUNCTION.format(name=args.function, names=", ".join(GRADED_FUNCTIONS)))
    report = run_audit(select_variants(args.function))
    if args.json:
        json.dump(report.to_dict(), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(to_text(report))
    return 0 if report.ok else 1


# -- list ------------------------------------------------------------------------------------------


def _cmd_list(args: argparse.Namespace) -> int:
    from graders.assignment import installed_assignments
    from graders.portable.casefile import load_cases

    packs = installed_assignments()
    if not packs:
        raise UserError("no assignment packs are installed (no assignment.toml under the kit's assignments/)")
    for pack in packs:
        folder, spec = pack.folder, pack.spec
        counts = []
        for kind in ("public", "hidden"):
            path = folder / "cases" / ("%s.json" % kind)
            counts.append(len(load_cases(path)["cases"]) if path.exists() else 0)
        print("%s  %s" % (spec.name, spec.title))
        print("  %d graded functions, %g points, %d public and %d hidden cases; %s"
              % (len(spec.functions), spec.total_points, counts[0], counts[1], folder))
    return 0


def _configure_list(parser: argparse.ArgumentParser) -> None:
    """No options."""


# -- the command line -------------------------------------------------------------------------------

#: every subcommand: name -> (handler, help line, options); a new command is one more entry here
COMMANDS = {
    "grade": (_cmd_grade, "grade one notebook and print the report", _configure_grade),
    "batch": (_cmd_batch, "grade a folder or .zip of notebooks into a gradebook (resumable)", _configure_batch),
    "export": (_cmd_export, "export grades (Canvas, Moodle, CSV, JSON) and per-student feedback", _configure_export),
    "similarity": (_cmd_similarity, "find submissions that share unusual code, per function (evidence for a "
                                    "person to read; never changes a grade)", _configure_similarity),
    "report": (_cmd_report, "write an HTML summary with charts of a gradebook", _configure_report),
    "assign": (_cmd_assign, "build the student, solution, Otter and Gradescope release of the assignment",
               _configure_assign),
    "audit": (_cmd_audit, "grade every known wrong variant and correct alternative of the graded functions; "
                          "exit 1 if a wrong variant keeps full marks or a correct alternative loses points",
              _configure_audit),
    "cases": (_cmd_cases, "write the public and hidden test cases from the reference", _configure_cases),
    "list": (_cmd_list, "list the installed assignment packs, with their functions, points and cases",
             _configure_list),
}


def _version() -> str:
    import graders

    return graders.__version__


NO_PACK_COMMANDS = ("list",)  #: commands that work on no one assignment pack
#: commands that read a gradebook, which says whose grades it holds (--assignment only checks it)
GRADEBOOK_COMMANDS = ("export", "report", "similarity")


def _assignment_option(parser) -> None:
    parser.add_argument("--assignment", metavar="NAME|DIR", default=None,
                        help="the assignment pack: an installed pack's name (see `dnngrade list`) or a "
                             "pack's folder (default: the only installed pack)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="dnngrade",
        description="Grade and build the notebooks of a course, one assignment pack at a time.",
    )
    parser.add_argument("--verbose", action="store_true", help="show tracebacks for errors")
    parser.add_argument("--version", action="version", version="dnngrade %s" % _version())
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (handler, help_text, configure) in COMMANDS.items():
        command = subparsers.add_parser(name, help=help_text, description=help_text)
        if name not in NO_PACK_COMMANDS:
            _assignment_option(command)
        configure(command)
        command.set_defaults(handler=handler)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dnngrade`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        if args.command not in NO_PACK_COMMANDS and (args.assignment or args.command not in GRADEBOOK_COMMANDS):
            from graders.assignment import select

            select(args.assignment)
        return int(args.handler(args) or 0)
    except UserError as error:
        if args.verbose:
            raise
        print("dnngrade: %s" % error, file=sys.stderr)
        return 2 if isinstance(error, UsageError) else 1
    except BrokenPipeError:  # the reader went away (e.g. `| head`): not an error of ours
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("dnngrade: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
