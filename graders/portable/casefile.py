"""Read and write test cases as JSON that a person can open and that round-trips float64 exactly.

Values are encoded as JSON trees: numbers, strings, booleans and null as themselves; lists as
lists; dicts (string keys) as objects; and two tagged forms::

    {"__ndarray__": [[1.0, 2.0]], "dtype": "float64", "shape": [1, 2]}
    {"__tuple__": [ ... ]}

Python's ``repr`` of a float is the shortest string that parses back to the same double, and
``json`` uses it, so every float64 survives a write/read cycle bit for bit.

This module depends on NumPy and the standard library only: it is shipped to students inside the
self-check module.
"""

import json

import numpy as np

CASEFILE_FORMAT = 1
_FLOAT_KINDS = {"float64", "float32"}
_INT_KINDS = {"int64", "int32", "int8", "int16", "uint8", "bool"}


def encode_value(value):
    """Turn a case value (arrays, tuples, lists, dicts, scalars) into a JSON-ready tree."""
    if isinstance(value, np.ndarray):
        dtype = str(value.dtype)
        if dtype not in _FLOAT_KINDS | _INT_KINDS:
            raise TypeError("cases hold numeric arrays only, not dtype %s" % dtype)
        return {"__ndarray__": value.tolist(), "dtype": dtype, "shape": list(value.shape)}
    if isinstance(value, tuple):
        return {"__tuple__": [encode_value(item) for item in value]}
    if isinstance(value, list):
        return [encode_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): encode_value(item) for key, item in value.items()}
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError("cannot store a %s in a case file" % type(value).__name__)


def decode_value(tree):
    """Inverse of :func:`encode_value`: rebuild arrays, tuples, lists and dicts."""
    if isinstance(tree, dict):
        if "__ndarray__" in tree:
            array = np.array(tree["__ndarray__"], dtype=tree["dtype"])
            return array.reshape(tree["shape"])
        if "__tuple__" in tree:
            return tuple(decode_value(item) for item in tree["__tuple__"])
        return {key: decode_value(item) for key, item in tree.items()}
    if isinstance(tree, list):
        return [decode_value(item) for item in tree]
    return tree


def dumps_cases(document):
    """Serialise a case document deterministically (sorted keys, fixed indentation, final newline)."""
    return json.dumps(document, indent=1, sort_keys=True, allow_nan=False) + "\n"


def load_cases(path):
    """Read a case file written by :func:`dumps_cases` and return its document (values still encoded)."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
