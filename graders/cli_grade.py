"""``dnngrade grade``: grade one notebook."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from graders.errors import UserError


def limits_from_args(args):
    """The :class:`~graders.limits.Limits` that the options of :func:`add_limit_options` ask for."""
    from graders.limits import Limits

    return Limits(cell_seconds=args.cell_timeout, call_seconds=args.call_timeout,
                  notebook_seconds=args.notebook_timeout, memory_mb=args.memory_mb,
                  processes=args.processes, disk_mb=args.disk_mb)


def add_limit_options(parser) -> None:
    """Options shared by ``grade`` and ``batch``, with defaults from :class:`graders.limits.Limits`."""
    from graders.limits import Limits

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
    from graders.sandbox import start_early

    if Path(args.notebook).is_dir():
        raise UsageError("%s is a folder; `dnngrade grade` takes one notebook. To grade every notebook in "
                         "it, run: dnngrade batch %s --gradebook gradebook.sqlite" % (args.notebook, args.notebook))

    if Path(args.notebook).exists():
        start_early(args.sandbox, args.disk_mb)  # the worker starts while NumPy and the cases load here
    from graders.grade import grade_notebook
    from graders.render import to_gradescope, to_text

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


def register(subparsers, register_command) -> None:
    """Add ``dnngrade grade`` to the CLI."""

    def configure(parser):
        parser.add_argument("notebook", help="the student's .ipynb")
        parser.add_argument("--json", action="store_true", help="print Gradescope-shaped JSON instead of the report")
        parser.add_argument("--out", metavar="FILE", help="also write the Gradescope-shaped JSON to FILE")
        parser.add_argument("--public-only", action="store_true", help="run only the public cases (the self-check)")
        parser.add_argument("--report", dest="verbose_report", action="store_true",
                            help="print the readable report even with --out")
        add_limit_options(parser)

    register_command(subparsers, "grade", _cmd_grade, "grade one notebook and print the report", configure)
