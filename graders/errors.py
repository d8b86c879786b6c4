"""The one exception type for errors meant for users; the CLI prints it as a one-line message."""


import sys


def report_stale(problems: list[str], what: str, fix: str, current: str) -> int:
    """Print the result of a ``--check`` of generated files: 0 when current, else 1 with each
    problem and the command that regenerates them."""
    if not problems:
        print(current)
        return 0
    print("%s differ from what the sources generate now:" % what, file=sys.stderr)
    for problem in problems:
        print("  " + problem, file=sys.stderr)
    print("Run `%s` to rewrite them, then commit the result." % fix, file=sys.stderr)
    return 1


class UserError(Exception):
    """Something the user can fix: a bad path, a bad option, an out-of-date file.

    The message says what happened and what to run next; the CLI prints it and exits with 1.
    """


class UsageError(UserError):
    """The command was called the wrong way (exit status 2, as for an unknown option)."""
