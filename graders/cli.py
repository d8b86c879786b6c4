"""``dnngrade``: a thin command line over the grading library.

Each subcommand parses its options and calls one library function. Errors meant for users
(:class:`graders.errors.UserError`) print as one line and exit with status 1 (2 for a command
called the wrong way, :class:`~graders.errors.UsageError`); ``--verbose`` shows the traceback.
"""

from __future__ import annotations

import argparse
import sys

from graders.errors import UsageError, UserError, report_stale


def _cmd_cases(args: argparse.Namespace) -> int:
    from graders.cases import stale_case_files, write_case_files
    from graders.spec import load_spec

    spec = load_spec()
    if args.check:
        return report_stale(stale_case_files(spec), "The stored cases", "dnngrade cases", "cases are up to date")
    for path in write_case_files(spec):
        print("wrote %s" % path)
    return 0


def _version() -> str:
    import graders

    return graders.__version__


COMMANDS: dict = {}


def _register(subparsers, name, handler, help_text, configure=None):
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    if configure:
        configure(parser)
    parser.set_defaults(handler=handler)
    COMMANDS[name] = handler
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="dnngrade",
        description="Grade and build 'Building a Deep Neural Network: Step by Step'.",
    )
    parser.add_argument("--verbose", action="store_true", help="show tracebacks for errors")
    parser.add_argument("--version", action="version", version="dnngrade %s" % _version())
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")

    def cases_options(p):
        p.add_argument("--check", action="store_true",
                       help="regenerate in memory and fail, naming the differences, if the stored files are stale")

    _register(subparsers, "cases", _cmd_cases, "write the public and hidden test cases from the reference",
              cases_options)
    for extension in _EXTENSIONS:
        extension(subparsers, _register)
    return parser


def _extensions():
    """Subcommands that live in their own modules (grade, batch, assign, ...), imported lazily."""
    found = []
    for module_name in ("graders.cli_grade", "graders.cli_batch", "graders.cli_assign", "graders.cli_audit"):
        try:
            module = __import__(module_name, fromlist=["register"])
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue
        found.append(module.register)
    return found


_EXTENSIONS = _extensions()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dnngrade`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
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
