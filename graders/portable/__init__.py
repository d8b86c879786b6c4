"""The grader's portable core: plain-data transfer, case files, the check ladder and the self-check.

Every module here imports only NumPy, the standard library and each other (relatively), because
this folder travels: the sandbox mounts it for the worker, and the student bundle ships it,
byte for byte, as the ``dnn_check`` package.
"""


def check(function, *args, **kwargs):
    """Run the public cases of ``function`` and print one line of feedback (see :mod:`.selfcheck`)."""
    from .selfcheck import check as _check

    return _check(function, *args, **kwargs)
