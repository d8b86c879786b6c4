"""The one exception type for errors meant for users; the CLI prints it as a one-line message."""


class UserError(Exception):
    """Something the user can fix: a bad path, a bad option, an out-of-date file.

    The message says what happened and what to run next; the CLI prints it and exits with 1.
    """
