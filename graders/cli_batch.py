"""``dnngrade batch``, ``dnngrade export`` and ``dnngrade report``: a class's worth of notebooks."""

from __future__ import annotations

import sys

from graders.errors import UserError
from graders.limits import default_workers

DEFAULT_GRADEBOOK = "gradebook.sqlite"



def _cmd_batch(args) -> int:
    from graders.batch import run_batch
    from graders.batch_summary import format_summary
    from graders.cli_grade import limits_from_args

    if args.workers is not None and args.workers < 1:
        raise UserError("--workers must be at least 1 (got %d)" % args.workers)
    limits = limits_from_args(args)
    summary = run_batch(args.submissions, args.gradebook, roster=args.roster, workers=args.workers,
                        scheduler=args.scheduler, regrade=args.regrade, limits=limits, sandbox=args.sandbox,
                        show_progress=False if args.quiet else None, wait=args.wait)
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
    from graders.exports import export_grades, write_feedback

    if not args.out and not args.feedback and not args.changes:
        raise UserError("nothing to write: give --out FILE (with --format), --feedback DIR and/or --changes FILE")
    if args.out:
        count = export_grades(args.gradebook, args.format, args.out, assignment=args.assignment,
                              warn=lambda message: print("dnngrade: note: %s" % message, file=sys.stderr))
        print("wrote %s (%s, %d students)" % (args.out, args.format, count))
    if args.changes:
        from graders.exports import export_changes

        changed = export_changes(args.gradebook, args.changes)
        print("wrote %s (%d students whose score changed in the latest run that changed any)" % (args.changes, changed))
    if args.feedback:
        paths = write_feedback(args.gradebook, args.feedback)
        print("wrote %d feedback files to %s" % (len(paths), args.feedback))
    return 0


def _cmd_report(args) -> int:
    from graders.report import MSG_NO_CHARTS, write_report

    paths = write_report(args.gradebook, args.out)
    print("wrote %s" % paths[-1])
    if len(paths) == 1:
        print(MSG_NO_CHARTS)
    return 0


def register(subparsers, register_command) -> None:
    """Add ``batch``, ``export`` and ``report`` to the CLI."""
    from graders.cli_grade import add_limit_options
    from graders.exports import FORMATS

    def gradebook_option(parser, help_text):
        parser.add_argument("--gradebook", default=DEFAULT_GRADEBOOK, metavar="FILE",
                            help="%s (default: %%(default)s)" % help_text)

    def configure_batch(parser):
        parser.add_argument("submissions", metavar="SUBMISSIONS",
                            help="folder or .zip of notebooks: <student>.ipynb files or one folder "
                                 "per student")
        gradebook_option(parser, "SQLite gradebook to fill; created if missing, resumed if present")
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

    def configure_similarity(parser):
        gradebook_option(parser, "gradebook written by `dnngrade batch`")
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

    def configure_export(parser):
        gradebook_option(parser, "gradebook written by `dnngrade batch`")
        parser.add_argument("--format", choices=FORMATS, default="csv",
                            help="canvas or moodle gradebook import, plain csv (per function), or json "
                                 "(Gradescope-shaped results); default %(default)s")
        parser.add_argument("--out", metavar="FILE", help="file to write the grades to")
        parser.add_argument("--assignment", metavar="COLUMN",
                            help="grade column header for canvas/moodle (default: the assignment title); "
                                 "for an existing Canvas assignment use its exported header, "
                                 "e.g. 'Step by Step (1234)'")
        parser.add_argument("--changes", metavar="FILE",
                            help="CSV of the students whose score the latest regrade changed: old and new, "
                                 "total and per function")
        parser.add_argument("--feedback", metavar="DIR",
                            help="also write <student>.md and <student>.html feedback")

    def configure_report(parser):
        gradebook_option(parser, "gradebook written by `dnngrade batch`")
        parser.add_argument("--out", required=True, metavar="DIR",
                            help="folder for index.html and its PNG charts")

    register_command(subparsers, "batch", _cmd_batch,
                     "grade a folder or .zip of notebooks into a gradebook (resumable)", configure_batch)
    register_command(subparsers, "export", _cmd_export,
                     "export grades (Canvas, Moodle, CSV, JSON) and per-student feedback", configure_export)
    register_command(subparsers, "similarity", _cmd_similarity,
                     "find submissions that share unusual code, per function (evidence for a person "
                     "to read; never changes a grade)", configure_similarity)
    register_command(subparsers, "report", _cmd_report,
                     "write an HTML summary with charts of a gradebook", configure_report)
