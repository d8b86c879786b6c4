"""The check ladder: one verdict per case, from the first rung that fails.

Rungs, in order::

    defined -> callable -> structure -> types -> shapes -> dtype -> values -> inputs_unmodified -> precision

Both the grader (on values that came back from the worker as plain data) and the students'
self-check (on their own values, passed through the same plain-data path) call :func:`judge`, so
a student sees the same verdict and message in the notebook as in the grade.

Message templates are module constants, so tests import them instead of copying their text.
"""

import re

import numpy as np

from .wire import Foreign, Subclassed

RUNGS = ("defined", "callable", "structure", "types", "shapes", "dtype", "values", "inputs_unmodified",
         "precision")
PASSED = "passed"
NOT_JUDGED = "not_judged"

# Partial credit: the steps a case can reach, each named after the rung that ends it (the keys of
# ``[partial_credit]`` in assignment.toml). A case that fails at ``dtype`` or ``values`` has the
# right structure and shapes; one that fails at ``inputs_unmodified`` also has the right values;
# one that fails at ``precision`` has the right values, in float32 (or float16), and left its inputs alone.
CREDIT_STEPS = ("shapes", "values", "inputs_unmodified", "precision")
_STEPS_REACHED = {PASSED: CREDIT_STEPS, "precision": CREDIT_STEPS[:3], "inputs_unmodified": CREDIT_STEPS[:2],
                  "values": CREDIT_STEPS[:1], "dtype": CREDIT_STEPS[:1]}
#: how close a float32 result of the right formula comes (float32 keeps about 7 digits)
LOW_PRECISION_RTOL = 2e-5
LOW_PRECISION_ATOL = 1e-6


def steps_reached(rung):
    """The credit steps a case that stopped at ``rung`` has reached, in order."""
    return _STEPS_REACHED.get(rung, ())


def step_shares(partial_credit):
    """Each credit step's share of a case, ``{"shapes": 0.2, "values": 0.7, ...}``: the increments of
    the cumulative ``partial_credit`` fractions, the last step ending at the whole case."""
    levels = [float(partial_credit.get(step, 0.0)) for step in CREDIT_STEPS[:-1]] + [1.0]
    return {step: level - below for step, level, below in zip(CREDIT_STEPS, levels, [0.0] + levels[:-1])}

# Names used in messages, from the assignment (its ``names()``, stored in the case files too, so the
# self-check reads them from there): what each function returns (one name, or one per item of a
# returned tuple), what its arguments are called, which keys of a returned dict are graded (by
# prefix: other keys never cost points) and what the items of nested containers are.
RETURN_NAMES: dict = {}
ARG_NAMES: dict = {}
GRADED_KEY_PREFIXES: dict = {}
CONTAINER_ITEMS: dict = {}


def use_names(names):
    """Take the names of ``names`` (``{"functions": {name: {"returns", "arguments",
    "graded_keys"}}, "container_items": {...}}``) for every message from now on."""
    for table in (RETURN_NAMES, ARG_NAMES, GRADED_KEY_PREFIXES, CONTAINER_ITEMS):
        table.clear()
    for name, entry in (names or {}).get("functions", {}).items():
        returns = entry.get("returns", "the result")
        RETURN_NAMES[name] = tuple(returns) if isinstance(returns, list) else returns
        ARG_NAMES[name] = tuple(entry.get("arguments", ()))
        if entry.get("graded_keys"):
            GRADED_KEY_PREFIXES[name] = tuple(entry["graded_keys"])
    CONTAINER_ITEMS.update((names or {}).get("container_items", {}))


def parameter_names(function):
    """The names of ``function``'s positional parameters, as its ``def`` line says (the messages
    use the student's own); empty for a callable without plain code."""
    try:
        code = function.__code__
        return [name for name in code.co_varnames[:code.co_argcount] if type(name) is str][:16]
    except Exception:  # noqa: BLE001 - any callable may come from student code
        return []


def graded_part(name, value):
    """The part of a returned value that is graded: a dict keeps only its graded keys (so that
    versions that number the ``dA`` entries differently compare alike)."""
    prefixes = GRADED_KEY_PREFIXES.get(name)
    if prefixes and isinstance(value, dict):
        return {key: item for key, item in value.items() if isinstance(key, str) and key.startswith(prefixes)}
    return value

MSG_MISSING = (
    "{name} is not defined. Run the cell that defines it, and check the spelling of the name "
    "(it must be exactly `{name}`)."
)
MSG_NOT_CALLABLE = "{name} is defined, but as a {kind}, not a function. Did a later cell reuse the name?"
MSG_RAISED = (
    "{name}({args}) raised {error}. Read the error, then check the line it points to; "
    "the inputs were {shapes}."
)
MSG_TIMEOUT = (
    "{name} did not finish within {seconds:g} s on this case and was stopped. Look for a loop that "
    "never ends or work that grows with the data far more than it should."
)
MSG_CRASHED = "{name} crashed the process that ran it ({detail}). Nothing was graded for this case."
MSG_NOT_RUN = "{name} was not run on this case: {detail}"
MSG_NOT_IMPLEMENTED = (
    "{name} returned None: it looks not implemented yet. Write your code between the "
    "`YOUR CODE STARTS HERE` and `YOUR CODE ENDS HERE` lines and return {returns}."
)
MSG_STUB = (
    "{name} still holds the template's placeholders ({what}): it looks not implemented yet. "
    "Replace each placeholder with your code."
)
STUB_RAISES = "`raise NotImplementedError()`"
STUB_NONE = "a `None` where your code goes"
MSG_WRONG_CONTAINER = "{path} should be a {expected}, but it is {got}."
MSG_WRONG_LENGTH = "{path} should have {expected} items ({names}), but it has {got}."
MSG_MISSING_KEY = "{path} is missing the key {key!r}. It has the keys {keys}."
MSG_KEY_CASE = " Its key {found!r} differs only in case: keys are case-sensitive, so write {key!r}."
MSG_NOT_ARRAY = "{path} should be a NumPy array, but it is {got}. {hint}"
MSG_NOT_SCALAR = "{path} should be a single number, but it is {got}."
MSG_SHAPE = "{path} has shape {got}, but it should have shape {expected}. {hint}"
MSG_SCALAR_SHAPE = (
    "{path} should be a scalar, but it is an array of shape {got}. Use np.squeeze(...) to turn "
    "[[x]] into x."
)
MSG_DTYPE = "{path} has dtype {got}; it should hold floating-point numbers. {hint}"
MSG_PRECISION = (
    "{path} holds {got} numbers, which keep about {digits} significant digits; NumPy computes in "
    "float64 unless told otherwise, and so does the grader. The values are right to {got}'s "
    "precision, but it shows at the edges: in float32, 1 - AL is 0 once AL is within 6e-8 of 1, and "
    "the cost becomes inf. {hint}"
)
HINT_LOW_PRECISION = "Look for dtype=np.float32, .astype(np.float32) or np.float32(...) in your code and drop it."
MSG_NOT_FINITE = (
    "{path} contains {what}. Look for log(0), a division by zero or an overflow; NaN and inf never "
    "count as right."
)
MSG_VALUES_PUBLIC = "{path} has the wrong values.\n  got:      {got}\n  expected: {expected}\n{hint}"
MSG_VALUES_HIDDEN = "{path} has the wrong values on a hidden case ({label}): {how}. {hint}"
MSG_MUTATED = (
    "{name} changed its argument {path} in place. Work on new arrays (for example "
    "`W = W - learning_rate * dW`, or copy.deepcopy) so the caller's values stay as they were."
)
MSG_MUTATED_IN_PLACE = (
    "{name} changed the caller's arrays in place ({path} holds other values after the call): "
    "`-=`, `+=` or a slice assignment writes into the array it was given. Build a new array "
    "instead (for example `W = W - learning_rate * dW`), so the caller's values stay as they were."
)
MSG_MUTATED_REBOUND = (
    "{name} stored new values in the caller's {arg} itself ({path} was replaced), so the caller's "
    "{arg} changed too. Work on a copy ({copy} = {arg}.copy() at the start, as the template "
    "does) and change only the copy."
)
MSG_PASSED = "{name}: passed."

HINT_VALUES = "Compare your code with the formula for this step, one term at a time."
HINT_LIST = "Build it with NumPy operations (np.dot, np.zeros, ...) rather than Python lists."
HINT_WHOLE_TUPLE = (
    "A tuple of arrays where one array belongs is usually all that a function returned, stored "
    "whole: unpack it first (a, b, c = f(...)) and keep the part that goes here."
)
HINT_SUBCLASS = "Use plain NumPy arrays (np.asarray(...)), not a subclass such as np.matrix."
HINT_SHAPE_KEEPDIMS = "If you summed over an axis, keepdims=True keeps the result 2-D."
HINT_SHAPE_TRANSPOSED = "The shape is transposed: check the order of the dimensions (or a missing .T)."
HINT_INT_DTYPE = "An integer array usually comes from np.zeros(..., dtype=int) or integer-only arithmetic."


class Verdict:
    """The outcome of one case: the rung it stopped at, whether it passed, and the message."""

    __slots__ = ("rung", "passed", "message")

    def __init__(self, rung, passed, message):
        self.rung = rung
        self.passed = passed  # True, False, or None when the case could not be judged
        self.message = message

    def __repr__(self):
        return "Verdict(%r, %r, %r)" % (self.rung, self.passed, self.message)


class _Fail(Exception):
    def __init__(self, rung, message):
        super().__init__(message)
        self.rung = rung
        self.message = message


class Call:
    """One case to judge: the function, what the worker reported, and the trusted expectations.

    Parameters
    ----------
    name : str
        The graded function.
    outcome : dict
        What the worker reported: ``{"status": "ok" | "missing" | "not_callable" | "error" |
        "timeout" | "crashed" | "not_run", "detail": str, "seconds": float}``.
    expected : object
        The reference output for this case (trusted).
    args : list
        The case's inputs, as sent.
    value, args_after : object
        The returned value and the arguments after the call, as plain data (``args_after`` may be
        None when it was not collected).
    rtol, atol : float
        Tolerance of the values rung.
    hidden : bool
        Hidden cases never show expected values.
    label : str
        What the case varies, named in hidden-case messages.
    may_change_if_first : tuple of str
        When the student's first parameter has one of these names (a published version's template
        that updates the caller's argument), changing the arguments is not a mistake. The worker
        reports the names (``outcome["arg_names"]``) and how the arguments changed
        (``outcome["changes"]``: ``"rebound"``, ``"in_place"``) when a call changed them.
    squeezable : tuple of str
        Returned items (``g``, or keys such as ``grads["g2"]``) that may come back 1-D where a
        column is expected, under a published version's convention the notebook follows.
    stub : bool
        The function's source still holds a course template's placeholder line (``W1 = None``):
        an error about ``None``, or a ``None`` returned, then means "not implemented yet".
    """

    __slots__ = ("name", "outcome", "expected", "args", "value", "args_after", "rtol", "atol", "hidden", "label",
                 "may_change_if_first", "squeezable", "stub")

    def __init__(self, name, outcome, expected, args, value=None, args_after=None, rtol=1e-5, atol=1e-8,
                 hidden=False, label="", may_change_if_first=(), squeezable=(), stub=False):
        self.name, self.outcome, self.expected, self.args = name, outcome, expected, args
        self.stub = stub
        self.squeezable = tuple(squeezable)
        self.value, self.args_after = value, args_after
        self.rtol, self.atol, self.hidden, self.label = rtol, atol, hidden, label
        self.may_change_if_first = tuple(may_change_if_first)


def judge_outcome(name, outcome, expected, args, value=None, args_after=None, rtol=1e-5, atol=1e-8,
                  hidden=False, label="", may_change_if_first=()):
    """Judge one call of ``name`` (see :class:`Call` for the parameters); returns a :class:`Verdict`."""
    return judge_calls([Call(name, outcome, expected, args, value, args_after, rtol, atol, hidden, label,
                             may_change_if_first)])[0]


# -- chain cases --------------------------------------------------------------------------------
#
# An initialiser's result is what the student's next functions take on. A chain case (``then`` in
# a case file) gives the result of an initialiser's case to the student's own next functions when
# that result holds keys the expected one does not (``parameters["L"]``, say); the case fails when
# one of them, right on its own cases, goes wrong on it. A result with exactly the expected keys
# and right values is what those functions' own cases give them: if they fail on it, that mistake
# is theirs, and costs points in their own cases.

MSG_CHAIN = (
    "{name} returns the right values here, but your {step}, which passes its own cases, {what} when "
    "given the dict {name} returned.{why}"
)
MSG_CHAIN_EXTRA_KEYS = (
    " That dict has keys besides the W and b of each layer ({keys}). The course's functions count "
    "the layers as len(parameters) // 2, so extra keys change the count: keep them out of the dict."
)
MSG_CHAIN_EXTRA_KEY = (
    " That dict has keys besides the W and b of each layer ({keys}), which your {step} does not "
    "expect: keep them out of the dict."
)
MSG_CHAIN_WRONG = "returned other values than it does on a dict of the W and b entries alone"
MAX_CHAIN_STEPS = 4


def chain_args(step, result, inputs):
    """The arguments of one step of a chain case: ``"result"`` is the initialiser's result,
    ``{"input": k}`` the k-th of the case's ``then_args``."""
    args = []
    for ref in step["args"]:
        if ref == "result":
            args.append(result)
        elif isinstance(ref, dict) and type(ref.get("input")) is int and 0 <= ref["input"] < len(inputs):
            args.append(inputs[ref["input"]])
        else:
            raise ValueError("bad chain argument %r" % (ref,))
    return args


def extra_keys(result, reference_result):
    """The keys of the dict ``result`` that the dict ``reference_result`` lacks, in ``result``'s
    order (empty unless both are dicts)."""
    if not isinstance(result, dict) or not isinstance(reference_result, dict):
        return []
    return [key for key in dict.keys(result) if key not in reference_result]


def judge_chain(name, steps, runs, expected, tolerances, fine, result=None, reference_result=None):
    """The failing verdict of a chain case whose own value passed, or None when every step that
    can be judged is right.

    ``steps`` are the case's ``then``; ``runs`` what each step did, ``(status, value_or_detail)``
    with status ``"ok"``, ``"error"``, ``"timeout"`` or ``"missing"`` (trusted callers validate
    them); ``expected`` what the reference's steps return; ``tolerances`` step -> ``(rtol, atol)``;
    ``fine`` the step functions that pass their own cases (a step that fails its own cases is
    not judged here: that mistake costs points in its own function). ``result`` and
    ``reference_result`` are the returned dict and the expected one: only a result with keys the
    expected one lacks is judged here (see above), and the message names those keys.
    """
    if not extra_keys(result, reference_result):
        return None
    for step, run, wanted in zip(steps[:MAX_CHAIN_STEPS], runs, expected):
        function = step["function"]
        if function not in fine:
            continue
        status, detail = run
        if status == "ok":
            rtol, atol = tolerances.get(function, (1e-5, 1e-8))
            verdict = judge_calls([Call(function, {"status": "ok"}, wanted, [], detail, None, rtol, atol,
                                        hidden=True)])[0]
            if verdict.passed:
                continue
            what = MSG_CHAIN_WRONG
        elif status == "error":
            what = "raised %s" % str(detail)[:400]
        elif status == "timeout":
            what = "did not finish"
        else:
            continue  # not defined (its own cases say so)
        return Verdict("structure", False, MSG_CHAIN.format(name=name, step=function, what=what,
                                                             why=_chain_why(result, reference_result, function)))
    return None


def _chain_why(result, reference_result, step):
    extra = extra_keys(result, reference_result)
    words = ", ".join(repr(key)[:30] for key in extra[:4]) + (", ..." if len(extra) > 4 else "")
    if len(result) // 2 != len(reference_result) // 2:
        return MSG_CHAIN_EXTRA_KEYS.format(keys=words)
    return MSG_CHAIN_EXTRA_KEY.format(keys=words, step=step)


def judge_calls(calls, words=True):
    """Judge many calls at once; the values rung runs as one vectorised pass over all of them.

    Returns one :class:`Verdict` per call, in order. ``words=False``: a caller that needs only
    each verdict's rung gets the values rung's message left empty (describing a difference is
    most of the cost of judging a wrong value).
    """
    verdicts = [None] * len(calls)
    pending = []
    for index, call in enumerate(calls):
        early = _outcome_verdict(call.name, call.outcome, call.args, call.stub)
        if early is not None:
            verdicts[index] = early
            continue
        if call.stub and _holds_none(call.value):
            verdicts[index] = Verdict("structure", False, MSG_STUB.format(name=call.name, what=STUB_NONE))
            continue
        try:
            leaves = _structure(call.name, call.expected, call.value, call.squeezable)
        except _Fail as failure:
            verdicts[index] = Verdict(failure.rung, False, failure.message)
            continue
        pending.append((index, leaves))
    leaf_ok = _values_pass(calls, pending)
    for (index, leaves), ok in zip(pending, leaf_ok):
        call = calls[index]
        try:
            low = None
            for leaf, good in zip(leaves, ok):
                narrow = _low_precision(leaf[1], leaf[2])
                if narrow and low is None:
                    low = (leaf[0], narrow)
                if not good and not (narrow and _close_in_low_precision(leaf[1], leaf[2], call.rtol, call.atol)):
                    _check_values(leaf[0], leaf[1], leaf[2], call.rtol, call.atol, call.hidden, call.label, words)
            if call.args_after is not None:
                _check_unmodified(call)
            if low is not None:
                digits = 3 if low[1] == "float16" else 7
                raise _Fail("precision", MSG_PRECISION.format(path=low[0], got=low[1], digits=digits,
                                                              hint=HINT_LOW_PRECISION))
        except _Fail as failure:
            verdicts[index] = Verdict(failure.rung, False, failure.message)
            continue
        verdicts[index] = Verdict(PASSED, True, MSG_PASSED.format(name=call.name))
    return verdicts


def item_calls(call, items):
    """The calls that judge each returned item of ``call`` on its own: ``[(item, Call), ...]``, or
    ``[]`` when the returned value does not split (it is not a tuple or dict of the expected form).

    ``items`` is ``"keys"`` (one item per graded key of a returned dict) or the names of the items
    of a returned tuple, in order. Each call's value is the expected one with that single item
    replaced by the student's, so what it finds wrong is that item's doing; its arguments after the
    call are the student's, so an item whose values are right still answers for the inputs.
    """
    expected, value = call.expected, call.value
    parts = []
    if items == "keys":
        if type(expected) is not dict or type(value) is not dict:
            return []
        for key in graded_part(call.name, expected):
            got = dict(expected)
            if key in value:
                got[key] = value[key]
            else:
                del got[key]
            parts.append((key, got))
    else:
        if (type(expected) is not tuple or type(value) not in (tuple, list) or len(value) != len(expected)
                or len(items) != len(expected)):
            return []
        for index, item in enumerate(items):
            got = list(expected)
            got[index] = value[index]
            parts.append((item, type(value)(got)))
    return [(item, Call(call.name, call.outcome, call.expected, call.args, got, call.args_after, call.rtol,
                        call.atol, call.hidden, call.label, call.may_change_if_first, call.squeezable, call.stub))
            for item, got in parts]


def _holds_none(value):
    """None itself, an array of Python objects (``np.squeeze(None)``), or a container with None
    among its items (one level down)."""
    if value is None or (isinstance(value, Foreign) and value.type_name == "numpy array of dtype object"):
        return True
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
    return any(item is None for item in items)


def _outcome_verdict(name, outcome, args, stub=False):
    """The verdict for a call that returned no value, or None when it returned normally."""
    status = outcome.get("status")
    detail = outcome.get("detail", "")
    if status == "error" and str(detail).startswith("NotImplementedError"):
        return Verdict("callable", False, MSG_STUB.format(name=name, what=STUB_RAISES))
    if status == "error" and stub and "NoneType" in str(detail):
        return Verdict("callable", False, MSG_STUB.format(name=name, what=STUB_NONE))
    if status == "ok":
        return None
    if status == "missing":
        return Verdict("defined", False, MSG_MISSING.format(name=name))
    if status == "not_callable":
        return Verdict("defined", False, MSG_NOT_CALLABLE.format(name=name, kind=detail or "value"))
    if status == "error":
        names = _their_names(outcome, name, args)
        return Verdict("callable", False, MSG_RAISED.format(
            name=name, args=", ".join(names), error=detail, shapes=describe_inputs(name, args, names))
            + _key_case_hint(str(detail), args, names))
    if status == "timeout":
        return Verdict("callable", False, MSG_TIMEOUT.format(name=name, seconds=outcome.get("seconds", 0)))
    if status == "crashed":
        return Verdict("callable", False, MSG_CRASHED.format(name=name, detail=detail))
    return Verdict(NOT_JUDGED, None, MSG_NOT_RUN.format(name=name, detail=detail or "no result"))


MSG_KEY_ERROR_CASE = " The dict {path} has the key {found!r}: dictionary keys are case-sensitive."
_KEY_ERROR = re.compile(r"^KeyError: '([^']{1,40})'")


def _key_case_hint(detail, args, names):
    """For a KeyError whose key an input dict holds in another case (``'k1'`` for ``'K1'``), the
    sentence that says so (``names``: the student's names of the arguments); else ""."""
    found = _KEY_ERROR.match(detail)
    if not found:
        return ""
    wanted = found.group(1)
    for index, arg in enumerate(args or ()):
        if isinstance(arg, dict):
            match = next((k for k in arg if type(k) is str and k != wanted and k.lower() == wanted.lower()), None)
            if match is not None:
                path = names[index] if index < len(names) else "argument %d" % (index + 1)
                return MSG_KEY_ERROR_CASE.format(path=path, found=match)
    return ""


def _values_pass(calls, pending):
    """For every pending call, a list saying which of its leaves are within tolerance (and finite).

    All leaves of all calls are compared in one vectorised pass.
    """
    got_parts, expected_parts, rtols, atols, sizes = [], [], [], [], []
    for index, leaves in pending:
        call = calls[index]
        for _, expected, got in leaves:
            if isinstance(expected, str):
                got_parts.append(_EMPTY)
                expected_parts.append(_EMPTY)
                sizes.append(0)
                continue
            got_array = got if type(got) is np.ndarray else np.asarray(_as_number_array(got))
            if got_array.dtype.kind == "c":
                got_array = np.full(got_array.shape, np.nan)  # complex never passes; the message says why
            got_parts.append(got_array.astype(np.float64, copy=False).ravel())
            expected_parts.append(_flat(expected))
            sizes.append(got_parts[-1].size)
        rtols.append(call.rtol)
        atols.append(call.atol)
    if not sizes:
        return [[] for _ in pending]
    got = np.concatenate(got_parts) if got_parts else _EMPTY
    expected = np.concatenate(expected_parts) if expected_parts else _EMPTY
    per_call_sizes, position = [], 0
    for _, leaves in pending:
        per_call_sizes.append(sum(sizes[position:position + len(leaves)]))
        position += len(leaves)
    rtol = np.repeat(np.array(rtols), per_call_sizes)
    atol = np.repeat(np.array(atols), per_call_sizes)
    bad = ~close_entries(got, expected, rtol, atol)  # NaN compares False
    bad_before = np.concatenate(([0], np.cumsum(bad)))
    ends = np.cumsum(sizes)
    bad_counts = bad_before[ends] - bad_before[ends - np.array(sizes)]
    good = (bad_counts == 0).tolist()
    result, position = [], 0
    for _, leaves in pending:
        result.append(good[position:position + len(leaves)])
        position += len(leaves)
    return result


_EMPTY = np.zeros(0)
_FLAT: dict = {}


def _flat(expected):
    """``expected`` as a flat float64 array; remembered per object, since the grader's cases are
    judged again for every submission (the entry keeps the object alive, so its id stays unique)."""
    known = _FLAT.get(id(expected))
    if known is not None and known[0] is expected:
        return known[1]
    flat = np.asarray(expected, dtype=np.float64).ravel()
    if len(_FLAT) < 100_000:
        _FLAT[id(expected)] = (expected, flat)
    return flat


def _their_names(outcome, name, args):
    """The student's own parameter names when the worker reported them (one per argument), else
    the template's."""
    theirs = outcome.get("arg_names")
    if isinstance(theirs, list) and len(theirs) == len(args) and all(isinstance(n, str) for n in theirs):
        return [n[:40] for n in theirs]
    return list(ARG_NAMES.get(name, ()))


def describe_inputs(name, args, names=None):
    """The inputs of a call in a few words, for error messages:
    ``A (3, 2), W (1, 3), b (1, 1)``, ``cache (a tuple of (5, 4), (3, 5), (3, 1))``,
    ``parameters (a dict of 4 arrays)``, ``activation = 'tanh'``, ``sizes = [5, 4, 3]``."""
    names = ARG_NAMES.get(name, ()) if names is None else names
    parts = []
    for index, arg in enumerate(args):
        label = names[index] if index < len(names) else "#%d" % (index + 1)
        parts.append("%s %s" % (label, _input_words(arg)) if not _is_plain(arg) else
                     "%s = %s" % (label, _plain_words(arg)))
    return ", ".join(parts) if parts else "none"


def _is_plain(value):
    return isinstance(value, (bool, int, float, str)) or (
        isinstance(value, list) and len(value) <= 8 and all(isinstance(v, (int, float)) for v in value))


def _plain_words(value):
    text = repr(value) if not isinstance(value, float) else "%g" % value
    return text if len(text) <= 40 else text[:37] + "..."


def _input_words(value):
    if isinstance(value, np.ndarray):
        return str(tuple(value.shape))
    if isinstance(value, (tuple, list)):
        inner = ", ".join(str(tuple(v.shape)) if isinstance(v, np.ndarray) else type(v).__name__
                          for v in value[:4])
        return "(a %s of %d: %s%s)" % (type(value).__name__, len(value), inner, ", ..." if len(value) > 4 else "")
    if isinstance(value, dict):
        arrays = sum(1 for v in value.values() if isinstance(v, np.ndarray))
        if arrays == len(value) and arrays:
            return "(a dict of %d array%s)" % (arrays, "s" * (arrays != 1))
        return "(a dict of %d item%s)" % (len(value), "s" * (len(value) != 1))
    return "(%s)" % type(value).__name__


# -- the structural walk ------------------------------------------------------------------------


def _root_names(name):
    names = RETURN_NAMES.get(name, "the result")
    return names if isinstance(names, tuple) else None, names if isinstance(names, str) else "the result"


def _describe(value):
    if value is None:
        return "None"
    if isinstance(value, Foreign):
        return "an object of type %s" % value.type_name
    if isinstance(value, Subclassed):
        return "a %s" % value.cls
    if isinstance(value, np.ndarray):
        return "a NumPy array of shape %s" % (tuple(value.shape),)
    if isinstance(value, (list, tuple, dict)):
        return "a %s of %d items" % (type(value).__name__, len(value))
    return "a %s" % type(value).__name__


def looks_unimplemented(value):
    if value is None:
        return True
    if isinstance(value, (tuple, list)) and value and all(item is None for item in value):
        return True
    return False


def _returns_text(name):
    names = RETURN_NAMES.get(name)
    if isinstance(names, tuple):
        return ", ".join(names)
    return names or "the result"


def _structure(name, expected, got, squeezable=()):
    """Rungs structure, types, shapes and dtype; returns the leaves ``(path, expected, got)``."""
    if looks_unimplemented(got) and not looks_unimplemented(expected):
        raise _Fail("structure", MSG_NOT_IMPLEMENTED.format(name=name, returns=_returns_text(name)))
    leaves = []
    tuple_names, root = _root_names(name)
    if tuple_names:
        if not isinstance(got, (tuple, list)) or isinstance(got, Subclassed):
            raise _Fail("structure", MSG_WRONG_CONTAINER.format(
                path="the value %s returns" % name, expected="tuple (%s)" % ", ".join(tuple_names),
                got=_describe(got)))
        if len(got) != len(expected):
            raise _Fail("structure", MSG_WRONG_LENGTH.format(
                path="the tuple %s returns" % name, expected=len(expected), names=", ".join(tuple_names),
                got=len(got)))
        for item_name, exp_item, got_item in zip(tuple_names, expected, got):
            _walk(name, item_name, exp_item, got_item, leaves)
    else:
        _walk(name, root, expected, got, leaves)
    if squeezable:
        leaves = [(path, exp_leaf, _unsqueezed(exp_leaf, got_leaf) if _is_item(path, squeezable) else got_leaf)
                  for path, exp_leaf, got_leaf in leaves]
    if not all(_leaf_fits(exp_leaf, got_leaf) for _, exp_leaf, got_leaf in leaves):
        for rung_check in (_check_types, _check_shapes, _check_dtypes):
            for path, exp_leaf, got_leaf in leaves:
                rung_check(path, exp_leaf, got_leaf)
    return leaves


def _leaf_fits(expected, got):
    """The usual case, decided at once: a plain array of the right shape and a fitting dtype."""
    return (type(got) is np.ndarray and type(expected) is np.ndarray and got.shape == expected.shape
            and expected.ndim > 0 and (got.dtype.kind == "f" or expected.dtype.kind != "f"))


def _is_item(path, items):
    """Whether ``path`` names one of ``items``: ``g`` itself, or a key such as ``grads["g2"]``."""
    for item in items:
        if path == item or re.search(r'\["%s\d*"\]$' % re.escape(item), path):
            return True
    return False


def restore_squeezed(name, expected, got, squeezable):
    """``got`` with each ``squeezable`` item that came back 1-D (or as one number, for a column of
    one entry) given back in the expected column's shape, the way the rungs judge it; the rest of
    ``got`` as it is. For comparing the student's values with other code's (the mistake library)."""
    if not squeezable:
        return got

    def walk(path, exp, value):
        if isinstance(exp, dict) and isinstance(value, dict):
            return {key: walk('%s["%s"]' % (path, key), exp[key], item) if key in exp else item
                    for key, item in value.items()}
        if not _is_item(path, squeezable) or type(exp) is not np.ndarray:
            return value
        if isinstance(value, (float, np.floating)) or (type(value) is np.ndarray and value.ndim == 0):
            return np.full(exp.shape, float(value)) if exp.size == 1 else value
        return _unsqueezed(exp, value)

    tuple_names, root = _root_names(name)
    if tuple_names and isinstance(got, (tuple, list)) and isinstance(expected, (tuple, list)) \
            and len(got) == len(expected) == len(tuple_names):
        return type(got)(walk(item, exp, value) for item, exp, value in zip(tuple_names, expected, got))
    return walk(root, expected, got)


def _unsqueezed(expected, got):
    """A 1-D array holding the entries of an expected column, given back as that column."""
    if (type(expected) is np.ndarray and type(got) is np.ndarray and expected.ndim == 2 and got.ndim == 1
            and expected.shape == (got.shape[0], 1)):
        return got.reshape(expected.shape)
    return got


def _walk(name, path, expected, got, leaves):
    if got is expected:
        return  # an item judged on its own holds the expected value itself everywhere else (item_calls)
    if isinstance(expected, dict):
        value = got.value if isinstance(got, Subclassed) and isinstance(got.value, dict) else got
        if not isinstance(value, dict):
            raise _Fail("structure", MSG_WRONG_CONTAINER.format(path=path, expected="dict", got=_describe(got)))
        prefixes = GRADED_KEY_PREFIXES.get(name)
        for key in expected:
            if prefixes and not key.startswith(prefixes):
                continue
            if key not in value:
                keys = ", ".join(repr(k) for k in sorted(value)[:12]) or "none"
                message = MSG_MISSING_KEY.format(path=path, key=key, keys=keys)
                found = next((k for k in value if type(k) is str and k.lower() == key.lower()), None)
                if found is not None:
                    message += MSG_KEY_CASE.format(found=found, key=key)
                raise _Fail("structure", message)
            _walk(name, '%s["%s"]' % (path, key), expected[key], value[key], leaves)
        return
    if isinstance(expected, (tuple, list)):
        value = got.value if isinstance(got, Subclassed) and isinstance(got.value, (tuple, list)) else got
        kind = "tuple" if isinstance(expected, tuple) else "list"
        if not isinstance(value, (tuple, list)):
            raise _Fail("structure", MSG_WRONG_CONTAINER.format(
                path=path, expected="%s of %d items" % (kind, len(expected)), got=_describe(got)))
        if len(value) != len(expected):
            raise _Fail("structure", MSG_WRONG_LENGTH.format(
                path=path, expected=len(expected), names=_item_names(path, expected), got=len(value)))
        for index, (exp_item, got_item) in enumerate(zip(expected, value)):
            _walk(name, "%s[%d]" % (path, index), exp_item, got_item, leaves)
        return
    if (type(expected) is np.ndarray and expected.size == 1 and expected.ndim > 0
            and not isinstance(got, bool) and isinstance(got, (int, float, np.number, np.ndarray))
            and np.ndim(got) == 0):
        # a single number where the expected array has one entry (db of a one-unit layer as a
        # float, as the first published version's template returns it) is judged by its value
        got = np.asarray(got).reshape(expected.shape)
    leaves.append((path, expected, got))


def _item_names(path, expected):
    """What the items of the container at ``path`` are, as the assignment names them."""
    for container, items in CONTAINER_ITEMS.items():
        if path.endswith(container):
            if isinstance(items, dict):
                named = items.get(str(len(expected)))
                if named:
                    return named
            elif items:
                return items
    return "see the docstring"


# -- leaf rungs ---------------------------------------------------------------------------------


def _is_scalar_expected(expected):
    return not isinstance(expected, np.ndarray) or expected.ndim == 0


def _as_number_array(got):
    """A 0-d array for number-like values (float, int, NumPy scalar, 0-d array), else None."""
    if isinstance(got, bool):
        return None
    if isinstance(got, (int, float, np.number)):
        return np.asarray(got)
    if isinstance(got, np.ndarray):
        return got
    return None


def _check_types(path, expected, got):
    if _is_scalar_expected(expected):
        if isinstance(expected, str):
            return
        if _as_number_array(got) is None:
            raise _Fail("types", MSG_NOT_SCALAR.format(path=path, got=_describe(got)))
        return
    if isinstance(got, np.ndarray):
        return
    if isinstance(got, Subclassed) and isinstance(got.value, np.ndarray):
        hint = HINT_SUBCLASS
    elif type(got) is tuple and len(got) > 1 and all(isinstance(item, np.ndarray) for item in got):
        hint = HINT_WHOLE_TUPLE
    elif isinstance(got, (list, tuple)):
        hint = HINT_LIST
    else:
        hint = ""
    raise _Fail("types", MSG_NOT_ARRAY.format(path=path, got=_describe(got), hint=hint).strip())


def _check_shapes(path, expected, got):
    if isinstance(expected, str):
        return
    got = _as_number_array(got)
    expected = np.asarray(expected)
    if expected.ndim == 0:
        if got.size != 1 or got.ndim > 0:
            raise _Fail("shapes", MSG_SCALAR_SHAPE.format(path=path, got=tuple(got.shape)))
        return
    if got.shape != expected.shape:
        hint = ""
        if got.shape == expected.shape[::-1]:
            hint = HINT_SHAPE_TRANSPOSED
        elif expected.ndim == 2 and expected.shape[1] == 1 and got.ndim == 1:
            hint = HINT_SHAPE_KEEPDIMS
        raise _Fail("shapes", MSG_SHAPE.format(
            path=path, got=tuple(got.shape), expected=tuple(expected.shape), hint=hint).strip())


def _check_dtypes(path, expected, got):
    if isinstance(expected, str):
        return
    got = _as_number_array(got)
    if np.asarray(expected).dtype.kind == "f" and got.dtype.kind != "f" and got.ndim > 0:
        hint = HINT_INT_DTYPE if got.dtype.kind in "iub" else ""
        raise _Fail("dtype", MSG_DTYPE.format(path=path, got=got.dtype, hint=hint).strip())


def tolerance_band(expected, rtol, atol):
    """How far each entry may be from ``expected``: ``atol + rtol * |expected|`` (the one tolerance
    of the kit: the values rung, the quick judge, the likely-mistake matcher and the messages use it)."""
    return atol + rtol * np.abs(expected)


def close_entries(got, expected, rtol, atol):
    """Entry by entry, whether ``got`` is within :func:`tolerance_band` of ``expected`` (NaN never
    is; arrays broadcast as NumPy does)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.abs(got - expected) <= tolerance_band(expected, rtol, atol)


def within_tolerance(expected, got, rtol, atol):
    """Whether every entry of ``got`` is within tolerance of ``expected`` (:func:`close_entries`)."""
    return bool(np.all(close_entries(got, expected, rtol, atol)))


def _low_precision(expected, got):
    """``"float32"`` or ``"float16"`` when ``got`` holds floats narrower than the float64 expected."""
    if isinstance(expected, str):
        return None
    dtype = getattr(got, "dtype", None)
    if (dtype is None or not isinstance(dtype, np.dtype) or dtype.kind != "f" or dtype.itemsize >= 8
            or np.asarray(expected).dtype != np.float64):
        return None
    return dtype.name


def _close_in_low_precision(expected, got, rtol, atol):
    """Within what a narrower float of the right formula reaches (and finite)."""
    expected = np.asarray(expected, dtype=np.float64)
    got = np.asarray(got).astype(np.float64)
    return bool(np.isfinite(got).all()) and within_tolerance(
        expected, got, max(rtol, LOW_PRECISION_RTOL), max(atol, LOW_PRECISION_ATOL))


def _check_values(path, expected, got, rtol, atol, hidden, label, words=True):
    if isinstance(expected, str):
        return
    expected = np.asarray(expected, dtype=np.float64)
    got = np.asarray(_as_number_array(got))
    if got.dtype.kind == "c":
        raise _Fail("dtype", MSG_DTYPE.format(path=path, got=got.dtype, hint="").strip())
    got = got.astype(np.float64)
    finite = np.isfinite(got)
    if not finite.all():
        what = "NaN" if np.isnan(got).any() else "inf"
        raise _Fail("values", MSG_NOT_FINITE.format(path=path, what=what))
    if within_tolerance(expected, got, rtol, atol):
        return
    if not words:
        raise _Fail("values", "")
    if hidden:
        raise _Fail("values", MSG_VALUES_HIDDEN.format(
            path=path, label=label or "hidden", how=describe_difference(expected, got, rtol, atol, hidden=True),
            hint=HINT_VALUES))
    raise _Fail("values", MSG_VALUES_PUBLIC.format(
        path=path, got=_fmt(got), expected=_fmt(expected),
        hint="  (%s) %s" % (describe_difference(expected, got, rtol, atol), HINT_VALUES)))


def _fmt(array):
    text = np.array2string(np.asarray(array), precision=8, separator=" ", threshold=40)
    return text.replace("\n", "\n            ")


#: factors said in words for hidden cases; any other factor is only "too large" or "too small"
_NICE_FACTORS = {2: "twice", 3: "3 times", 4: "4 times", 5: "5 times", 10: "10 times"}
_NICE_FRACTIONS = {2: "half", 3: "a third of", 4: "a quarter of", 5: "a fifth of", 10: "a tenth of"}


def _factor_words(factor, within=0.03):
    """A coarse name for ``factor`` (within 3% of 2, 1/3, ...), or None."""
    for number, words in _NICE_FACTORS.items():
        if abs(factor / number - 1) < within:
            return "too large: about %s the right value" % words
    for number, words in _NICE_FRACTIONS.items():
        if abs(factor * number - 1) < within:
            return "too small: about %s the right value" % words
    return None


def describe_difference(expected, got, rtol=1e-5, atol=1e-8, hidden=False):
    """Say how ``got`` differs from ``expected`` without printing ``expected``.

    Recognises a flipped sign, a constant factor, a transposed square matrix and a constant
    offset; otherwise counts the entries that are off. With ``hidden`` (a hidden case, whose
    expected value the student must not learn), no number that would let ``expected`` be worked
    out from ``got`` is said: a factor only in coarse words ("about twice", "too large"), an
    offset or the largest difference not at all.
    """
    def close(a, b):
        return within_tolerance(b, a, rtol, atol)

    if np.any(expected != 0) and close(-got, expected):
        return "every entry has the opposite sign"
    single = int(np.count_nonzero(expected)) < 2  # one number: any difference "is" a factor
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.abs(got - expected) / np.where(expected != 0, np.abs(expected), np.nan)
    near = bool(np.all(np.isfinite(relative))) and float(np.max(relative)) < 0.01
    if near:  # a small constant added (an epsilon in a log, a clip), not a scale or a sign
        if hidden:
            return "the values are close to the right ones, but outside the tolerance"
        return ("%s within %.2g%% of the right value, but outside the tolerance: look for a small constant "
                "added, a clip or a rounding step" % ("the value is" if expected.size == 1 else "every entry is",
                                                      100 * float(np.max(relative))))
    denominator = float(np.sum(expected * expected))
    if denominator > 0:
        factor = float(np.sum(got * expected)) / denominator
        # for a single number only a round factor (m, 2, 1/2, ...) says something about the code
        meaningful = not single or _factor_words(abs(factor), within=1e-3) is not None
        if abs(factor) > 1e-12 and meaningful and close(got, factor * expected):
            if hidden:
                words = _factor_words(factor) if factor > 0 else None
                if words:
                    return "%s %s" % ("the value is" if expected.size == 1 else "every entry is", words)
                subject = "the value is" if expected.size == 1 else "every entry is"
                if factor < 0:
                    return "%s the right one times a negative factor: wrong sign and size" % subject
                return "%s the right one times a factor: too %s" % (subject, "large" if factor > 1 else "small")
            subject = "the value is" if expected.size == 1 else "every entry is"
            if factor > 1:
                return "%s about %.4g times too large" % (subject, factor)
            return "%s about %.4g times the right value (%.4g times too small)" % (subject, factor, 1 / factor)
    if expected.ndim == 2 and expected.shape[0] == expected.shape[1] and close(got.T, expected):
        return "the values are transposed"
    offset = got - expected
    if expected.size > 1 and close(offset, np.full_like(offset, offset.flat[0])):
        if hidden:
            return "every entry is off by the same amount (too %s)" % ("large" if offset.flat[0] > 0 else "small")
        return "every entry is off by the same amount, %.4g" % offset.flat[0]
    if expected.size == 1:
        if hidden:
            return "the value is too %s" % ("large" if float(np.sum(got - expected)) > 0 else "small")
        return "the value is off by %.3g" % float(np.sum(got - expected))
    wrong = int(np.sum(~close_entries(got, expected, rtol, atol)))
    if hidden:
        return "%d of %d entries are off" % (wrong, expected.size)
    return "%d of %d entries are off, the largest by %.3g" % (
        wrong, expected.size, float(np.max(np.abs(got - expected))))


# -- inputs -------------------------------------------------------------------------------------


def _check_unmodified(call):
    name, args, args_after = call.name, call.args, call.args_after
    theirs = call.outcome.get("arg_names")
    theirs = [n for n in theirs if isinstance(n, str)] if isinstance(theirs, list) else []
    if theirs and theirs[0] in call.may_change_if_first:
        return  # this version's template updates the caller's argument
    arg_names = theirs if len(theirs) >= len(args) else ARG_NAMES.get(name, ())
    changes = call.outcome.get("changes")
    changes = changes if isinstance(changes, list) else []
    for index, before in enumerate(args):
        after = args_after[index] if isinstance(args_after, (list, tuple)) and index < len(args_after) else None
        arg_name = arg_names[index] if index < len(arg_names) else "#%d" % (index + 1)
        changed = _first_change(arg_name, before, after)
        if not changed:
            continue
        if "in_place" in changes:
            message = MSG_MUTATED_IN_PLACE.format(name=name, path=changed)
        elif "rebound" in changes and changed != arg_name:
            returned = RETURN_NAMES.get(name)
            copy = returned if isinstance(returned, str) and returned != arg_name else "new_" + arg_name
            message = MSG_MUTATED_REBOUND.format(name=name, arg=arg_name, path=changed, copy=copy)
        else:
            message = MSG_MUTATED.format(name=name, path=changed)
        raise _Fail("inputs_unmodified", message)


def _first_change(path, before, after):
    if isinstance(after, Subclassed):
        after = after.value
    if isinstance(before, np.ndarray):
        if not isinstance(after, np.ndarray) or after.shape != before.shape or after.dtype != before.dtype:
            return path
        return None if before.tobytes() == after.tobytes() else path
    if isinstance(before, dict):
        if not isinstance(after, dict) or set(after) != set(before):
            return path
        for key in before:
            changed = _first_change('%s["%s"]' % (path, key), before[key], after[key])
            if changed:
                return changed
        return None
    if isinstance(before, (list, tuple)):
        if not isinstance(after, (list, tuple)) or len(after) != len(before):
            return path
        for index, (b, a) in enumerate(zip(before, after)):
            changed = _first_change("%s[%d]" % (path, index), b, a)
            if changed:
                return changed
        return None
    return None
