"""Diagnosis by layer: where a multi-layer function first goes wrong, and how.

When ``L_model_forward`` or ``L_model_backward`` loses points and no known mistake matches, the
grader compares the student's per-layer values with the reference's, in this trusted process, on
the first failing case: the first layer whose values are wrong (from the input for the forward
pass, from the output for the backward pass), and what that layer was given instead, tested by
running the reference's own layer function on the likely wrong inputs (the wrong activation, the
neighbouring layer's cache, dAL or the last layer's gradient fed again, X or a Z fed forward).

Sentences name layers and keys only, never a value, so they may be said about hidden cases.
"""

from __future__ import annotations

import warnings

import numpy as np

import reference.dnn as ref
from graders.portable.checks import within_tolerance

MSG_BACKWARD_LAST = (
    "The last layer's gradients dW{L} and db{L} are already wrong: look at dAL and at the sigmoid "
    "layer's call, linear_activation_backward(dAL, caches[{L1}], \"sigmoid\"){how}."
)
MSG_BACKWARD_LAYER = (
    "{right} are right; dW{k} and db{k} are the first that are wrong (layer {k}){how}."
)
HOW_BACKWARD = {
    "activation": ": layer {k} uses the sigmoid's backward, but hidden layers are ReLU layers",
    "last_activation": ": the last layer uses the ReLU's backward, but it is the sigmoid layer",
    "dAL": ": layer {k} is given dAL, but the gradient reaching it is the one layer {k1} produced",
    "dAL_sigmoid": ": layer {k} is differentiated as the sigmoid layer, from dAL, but it is a ReLU layer whose "
                   "gradient is the one layer {k1} produced (grads[\"dA{k}\"] in W4A1's numbering, "
                   "grads[\"dA{k1}\"] in the earlier versions')",
    "last_gradient": ": layer {k} is given the gradient the last layer produced, but the gradient reaching it "
                     "is the one layer {k1} produced (a dA_prev_temp or grads key the loop never updates?)",
    "next_cache": ": layer {k} is given caches[{k}], the cache of layer {k1}; its own is caches[{k_1}]",
    "previous_cache": ": layer {k} is given caches[{k_2}], the cache of layer {k_1}; its own is caches[{k_1}]",
    "other_cache": ": layer {k} is given caches[{j}], the cache of layer {j1}; its own is caches[{k_1}]",
    "": ": the gradient reaching layer {k} is not the one layer {k1} produced, or it is not combined with "
        "caches[{k_1}] and \"relu\"",
}
MSG_FORWARD_LAYER = "{right}layer {k} is the first whose cache is wrong{how}."
HOW_FORWARD = {
    "params": ": it uses W{j} and b{j}, the parameters of layer {j}, instead of W{k} and b{k}",
    "other_params": ": its W and b are not parameters[\"W{k}\"] and parameters[\"b{k}\"]",
    "fed_X": ": it is fed X, but its input is the A that layer {k_1} produced",
    "fed_Z": ": it is fed layer {k_1}'s Z, before its ReLU, but its input is the A after it",
    "input": ": its input A_prev is not the A that layer {k_1} produced",
    "Z": ": its Z = W A_prev + b is wrong although W, b and A_prev are right",
    "": "",
}
MSG_FORWARD_OUTPUT = "Every layer's cache is right, but AL is not{how}."
HOW_OUTPUT = {
    "Z": ": AL is the last layer's Z; the output layer needs its sigmoid",
    "relu": ": the output layer uses ReLU; it is the sigmoid layer",
    "": ": AL is the last layer's A, sigmoid(Z_L)",
}


def layer_note(function: str, case, value, rtol: float, atol: float) -> str | None:
    """One sentence on where ``function``'s ``value`` on ``case`` first goes wrong, or None."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if function == "L_model_backward":
                return _backward(case, value, rtol, atol)
            if function == "L_model_forward":
                return _forward(case, value, rtol, atol)
    except Exception:  # noqa: BLE001 - a value of an unexpected form: no layer to name
        return None
    return None


def _close(expected, got, rtol, atol) -> bool:
    if not isinstance(got, np.ndarray) and not np.isscalar(got):
        return False
    got = np.asarray(got)
    expected = np.asarray(expected)
    if got.dtype.kind not in "fiub" or got.size != expected.size:
        return False
    # a squeezed db (the first version's template) is judged by its values
    return within_tolerance(expected.astype(np.float64), got.reshape(expected.shape).astype(np.float64), rtol, atol)


def _layer_backward(dA, cache, activation):
    _, dW, db = ref.linear_activation_backward(np.array(dA, dtype=float), cache, activation)
    return dW, db


def _backward(case, value, rtol, atol):
    AL, Y, caches = case.args
    expected = case.expected
    L = len(caches)
    wanted = [key for layer in range(1, L + 1) for key in ("dW%d" % layer, "db%d" % layer)]
    if not isinstance(value, dict) or any(not isinstance(value.get(key), (np.ndarray, float, np.floating))
                                          for key in wanted):
        return None  # a missing key, or a tuple stored whole, is the structure rungs' to name, not a wrong layer

    def right(l):
        return all(_close(expected[key], value.get(key), rtol, atol) for key in ("dW%d" % l, "db%d" % l))

    first = next((l for l in range(L, 0, -1) if not right(l)), None)
    if first is None:
        return None
    got = (value.get("dW%d" % first), value.get("db%d" % first))

    def same(dW_db):
        return _close(dW_db[0], got[0], rtol, atol) and _close(dW_db[1], got[1], rtol, atol)

    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    if first == L:
        how = HOW_BACKWARD["last_activation"] if _tries(same, dAL, caches[L - 1], "relu") else ""
        return MSG_BACKWARD_LAST.format(L=L, L1=L - 1, how=how)
    # the gradient that truly reaches each layer: what the reference's layer above produced
    reaching = {L: dAL}
    for l in range(L, 0, -1):
        reaching[l - 1] = ref.linear_activation_backward(reaching[l], caches[l - 1],
                                                         "sigmoid" if l == L else "relu")[0]
    k = first
    # what layer k may have been given instead of (reaching[k], caches[k - 1], "relu")
    tries = [("dAL_sigmoid", dAL, caches[k - 1], "sigmoid"),
             ("activation", reaching[k], caches[k - 1], "sigmoid"),
             ("dAL", dAL, caches[k - 1], "relu"),
             ("next_cache", reaching[k], caches[k], "relu")]  # (k < L here)
    if k < L - 1:  # (for layer L - 1 the last layer's gradient is the right one)
        tries.append(("last_gradient", reaching[L - 1], caches[k - 1], "relu"))
    if k >= 2:
        tries.append(("previous_cache", reaching[k], caches[k - 2], "relu"))
    how = next((name for name, dA, cache, activation in tries if _tries(same, dA, cache, activation)), "")
    j = None
    if not how:  # another layer's cache (a mirrored index such as caches[L - 2 - l])
        j = next((j for j in range(L) if j not in (k - 2, k - 1, k) and _tries(same, reaching[k], caches[j], "relu")),
                 None)
        how = "other_cache" if j is not None else ""
    if L - k == 1:
        right_text = "dW%d and db%d" % (L, L)
    elif L - k == 2:
        right_text = "dW%d, db%d, dW%d and db%d" % (k + 1, k + 1, L, L)
    else:
        right_text = "dW%d to dW%d and db%d to db%d" % (k + 1, L, k + 1, L)
    return MSG_BACKWARD_LAYER.format(right=right_text, k=k, how=HOW_BACKWARD[how].format(
        k=k, k1=k + 1, k_1=k - 1, k_2=k - 2, j=j, j1=(j or 0) + 1))


def _tries(same, dA, cache, activation):
    try:
        return same(_layer_backward(dA, cache, activation))
    except Exception:  # noqa: BLE001 - shapes that do not fit: not this mistake
        return False


def _forward(case, value, rtol, atol):
    X, parameters = case.args
    AL_expected, caches_expected = case.expected
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return None
    AL, caches = value
    if not isinstance(caches, (tuple, list)) or len(caches) != len(caches_expected):
        return None
    L = len(caches_expected)
    for k in range(1, L + 1):
        j = None
        (A_prev_e, W_e, b_e), Z_e = caches_expected[k - 1]
        try:
            (A_prev, W, b), Z = caches[k - 1]
        except (TypeError, ValueError):
            return None
        if not (_close(W_e, W, rtol, atol) and _close(b_e, b, rtol, atol)):
            j = next((j for j in range(1, L + 1) if _close(parameters["W%d" % j], W, rtol, atol)
                      and _close(parameters["b%d" % j], b, rtol, atol)), None)
            how = HOW_FORWARD["params"] if j is not None else HOW_FORWARD["other_params"]
        elif not _close(A_prev_e, A_prev, rtol, atol):
            if _close(X, A_prev, rtol, atol):
                how = HOW_FORWARD["fed_X"]
            elif k >= 2 and _close(caches_expected[k - 2][1], A_prev, rtol, atol):
                how = HOW_FORWARD["fed_Z"]
            else:
                how = HOW_FORWARD["input"]
        elif not _close(Z_e, Z, rtol, atol):
            how = HOW_FORWARD["Z"]
        else:
            continue
        right = "Layers 1 to %d are right; " % (k - 1) if k > 2 else "Layer 1 is right; " if k == 2 else ""
        sentence = MSG_FORWARD_LAYER.format(right=right, k=k, how=how.format(j=j, k=k, k_1=k - 1))
        return sentence[0].upper() + sentence[1:]
    if _close(AL_expected, AL, rtol, atol):
        return None
    Z_last = caches_expected[-1][1]
    how = ("Z" if _close(Z_last, AL, rtol, atol) else "relu" if _close(np.maximum(0, Z_last), AL, rtol, atol)
           else "")
    return MSG_FORWARD_OUTPUT.format(how=HOW_OUTPUT[how])
