"""``dnngrade assign``: build the exercise kit's release, or check and refresh the kept notebooks.

    dnngrade assign --out DIR     build student/, solution/, otter/ and gradescope/ into DIR
    dnngrade assign --check       fail, naming the files, if the kept notebooks or figures are stale
    dnngrade assign --update      rewrite the kept notebooks and figures in assignments/dnn_step_by_step/
"""

from __future__ import annotations

import argparse

from graders.errors import UserError, report_stale

HELP = "build the student, solution, Otter and Gradescope release of the assignment"


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="DIR", help="folder to build the release into")
    parser.add_argument("--check", action="store_true",
                        help="rebuild the kept notebooks and figures in memory and fail if they differ")
    parser.add_argument("--update", action="store_true",
                        help="rewrite the kept notebooks and figures in assignments/dnn_step_by_step/")


MSG_NEEDS_KIT = (
    "`dnngrade assign` needs the kit extra ({missing} is not installed): from a clone of the kit, "
    "run `python -m pip install -e \".[kit]\"` (or `pip install \"dnn-step-by-step-grader[kit]\"`), then try again"
)


def _cmd_assign(args: argparse.Namespace) -> int:
    try:
        from tools import release
    except ModuleNotFoundError as error:
        if error.name and error.name.split(".")[0] in ("nbformat", "matplotlib", "tools"):
            raise UserError(MSG_NEEDS_KIT.format(missing=error.name)) from None
        raise

    if not (args.out or args.check or args.update):
        raise UserError("say what to do: `dnngrade assign --out DIR` builds a release; "
                        "--check and --update look after the kept notebooks")
    if args.update:
        for path in release.update_kept():
            print("wrote %s" % path)
    if args.check:
        if report_stale(release.stale_kept(), "The kept notebooks or figures", "dnngrade assign --update",
                        "kept notebooks and figures are up to date"):
            return 1
    if args.out:
        built = release.build_release(args.out)
        print("built the release in %s (%d files):" % (built.root, len(built.files)))
        for part, use in release.PARTS.items():
            print("  %-12s %s" % (part + "/", use))
    return 0


def register(subparsers, _register) -> None:
    """Add the ``assign`` subcommand to the ``dnngrade`` parser."""
    _register(subparsers, "assign", _cmd_assign, HELP, _configure)
