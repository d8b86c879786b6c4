"""Answers sealed by their question: the grader's answers to stand-in calls it can foresee.

When a caller is graded again with a correct helper standing in (see :mod:`graders.rerun`), the
grader knows the calls a correct caller makes on each case: it runs the reference caller on the
case's inputs and records each call of the helper with its answer. Sending those answers ahead
saves the child a round trip to the grader per call, but an answer sent in the clear would let the
submission read the helper's results on arguments it never computed (for a whole-model backward pass,
every layer's gradients, which are its expected output).

So each answer is sealed by the exact bytes of the call that asks for it: the table maps
``sha256("index" + call)`` to the answer XOR ``shake_256("key" + call)``. The child finds and
opens an answer only by making that very call, with every argument equal to the last bit; it
learns nothing from the table that the same call sent to the grader would not tell it. Any other
call (other arguments, another rounding, keywords the reference caller passes positionally) finds
nothing and is asked as before, so sealing changes the cost of a run, never its verdicts.

This module runs on both sides of the trust boundary and imports only the standard library and
:mod:`graders.portable.wire`.
"""

import binascii
import hashlib

from .wire import encode_frame

_INDEX = b"dnngrade sealed answer index\0"
_KEY = b"dnngrade sealed answer key\0"
MAX_TABLE_BYTES = 4 * 1024 * 1024  #: sealed answers sent for one run at most (more are asked for)


def call_bytes(params, args, kwargs):
    """The bytes that name one call of a helper with parameters ``params`` (a list of names),
    whichever way its arguments were passed; None when they do not bind to ``params`` or are not
    plain data."""
    if params is None or len(args) > len(params):
        return None
    bound = dict(zip(params, args))
    for name, value in kwargs.items():
        if name not in params or name in bound:
            return None
        bound[name] = value
    try:
        return encode_frame({}, {"call": [[name, bound[name]] for name in params if name in bound]},
                            max_bytes=16 * 1024 * 1024)
    except (ValueError, TypeError, OverflowError, RecursionError):
        return None


def _stream(call, size):
    return hashlib.shake_256(_KEY + call).digest(size)


def _xor(data, pad):
    return (int.from_bytes(data, "little") ^ int.from_bytes(pad, "little")).to_bytes(len(data), "little")


def index_of(call):
    return hashlib.sha256(_INDEX + call).hexdigest()


def seal(call, answer):
    """``(index, sealed)`` of ``answer`` (bytes) for the call named by ``call`` (bytes); ``sealed``
    is base64 text, as a run's limits carry it."""
    return index_of(call), binascii.b2a_base64(_xor(answer, _stream(call, len(answer))), newline=False).decode()


def unseal(table, call):
    """The answer sealed in ``table`` (index -> sealed text, see :func:`seal`) for ``call``, or None."""
    sealed = table.get(index_of(call)) if type(table) is dict else None
    if type(sealed) is not str:
        return None
    try:
        data = binascii.a2b_base64(sealed)
    except (binascii.Error, ValueError):
        return None
    return _xor(data, _stream(call, len(data)))
