"""``dnngrade audit``: grade every known mistake and correct alternative; fail on survivors."""

from __future__ import annotations

import argparse
import json
import sys

from graders.errors import UserError

HELP = (
    "grade every known wrong variant and correct alternative of the graded functions; exit 1 if a "
    "wrong variant keeps full marks or a correct alternative loses points"
)
MSG_UNKNOWN_FUNCTION = "no variants for a function named {name!r}; the graded functions are: {names}"


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--function", metavar="NAME", help="audit only the variants of this graded function")
    parser.add_argument("--json", action="store_true",
                        help="print the full report as JSON instead of the table")


def _cmd_audit(args: argparse.Namespace) -> int:
    from graders.audit import run_audit, select_variants, to_text
    from reference.dnn import GRADED_FUNCTIONS

    if args.function and args.function not in GRADED_FUNCTIONS:
        raise UserError(MSG_UNKNOWN_FUNCTION.format(name=args.function, names=", ".join(GRADED_FUNCTIONS)))
    report = run_audit(select_variants(args.function))
    if args.json:
        json.dump(report.to_dict(), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(to_text(report))
    return 0 if report.ok else 1


def register(subparsers, _register) -> None:
    """Add the ``audit`` subcommand (called by :func:`graders.cli.build_parser`)."""
    _register(subparsers, "audit", _cmd_audit, HELP, _configure)
