"""Plain-data transfer: what crosses is data, hostile objects arrive as labelled placeholders."""

import io

import numpy as np
import pytest

from graders.portable import wire


class LyingArray(np.ndarray):
    def __eq__(self, other):
        return True

    def __len__(self):
        return 10**9


class PretendsToBeArray:
    def __array__(self, dtype=None, copy=None):
        return np.ones((2, 2))

    def __eq__(self, other):
        return True


def test_round_trip_of_the_shapes_grading_needs():
    value = {"W1": np.arange(6.0).reshape(2, 3), "caches": [((np.ones((2, 1)), np.zeros((1, 2)), 3.5), np.float64(2))],
             "n": 3, "flag": True, "none": None, "name": "relu"}
    back = wire.roundtrip({"v": value})["v"]
    assert np.array_equal(back["W1"], value["W1"]) and back["W1"].flags.writeable
    assert isinstance(back["caches"], list) and isinstance(back["caches"][0], tuple)
    assert back["caches"][0][1] == 2.0 and isinstance(back["caches"][0][1], np.float64)
    assert back["n"] == 3 and back["flag"] is True and back["none"] is None and back["name"] == "relu"


def test_nan_and_inf_cross_as_values():
    back = wire.roundtrip({"v": np.array([np.nan, np.inf, -np.inf])})["v"]
    assert np.isnan(back[0]) and np.isposinf(back[1]) and np.isneginf(back[2])


def test_subclass_arrives_as_plain_data_marked_subclassed():
    value = np.ones((2, 2)).view(LyingArray)
    back = wire.roundtrip({"v": value})["v"]
    assert isinstance(back, wire.Subclassed) and type(back.value) is np.ndarray
    assert "LyingArray" in back.cls


@pytest.mark.parametrize("value,label", [
    (PretendsToBeArray(), "PretendsToBeArray"),
    (np.array([object(), 1], dtype=object), "dtype object"),
    (np.zeros(wire.MAX_ARRAY_ELEMENTS + 1, dtype=np.int8), "elements"),
    ({1: "non-string key"}, "dict"),
    (lambda: 1, "function"),
])
def test_values_that_cannot_cross_become_foreign(value, label):
    back = wire.roundtrip({"v": value})["v"]
    assert isinstance(back, wire.Foreign) and label in repr(back)


def test_deep_nesting_is_cut():
    value = []
    for _ in range(100):
        value = [value]
    back = wire.roundtrip({"v": value})["v"]
    node = back
    depth = 0
    while isinstance(node, list) and node:
        node, depth = node[0], depth + 1
    assert isinstance(node, wire.Foreign) and depth <= wire.MAX_DEPTH + 1


def frame(header, blob=b""):
    text = __import__("json").dumps(header).encode()
    return wire._HEAD.pack(len(text), len(blob)) + text + blob


@pytest.mark.parametrize("arrays", [
    [["|O", [1], 0, 8]],            # object dtype
    [["<f8", [2], 0, 8]],           # bytes do not match the shape
    [["<f8", [1], 8, 8]],           # offset past the blob
    [["<f8", [-1], 0, 8]],          # negative dimension
    [["<f8", [10**7], 0, 8 * 10**7]],  # over the size cap
    ["not a list"],
])
def test_decoder_refuses_malformed_arrays(arrays):
    header = {"values": {"v": {"nd": 0}}, "arrays": arrays}
    with pytest.raises((ValueError, TypeError)):
        wire.decode_values(header, b"\x00" * 8)


def test_decoder_refuses_bad_references_and_nodes():
    with pytest.raises(ValueError):
        wire.decode_values({"values": {"v": {"nd": 5}}, "arrays": []}, b"")
    with pytest.raises(ValueError):
        wire.decode_values({"values": {"v": {"weird": 1}}}, b"")
    with pytest.raises(ValueError):
        wire.decode_values({"values": {"v": {"np": "object", "v": 1}}}, b"")


def test_read_frame_handles_end_of_stream_and_caps():
    data = wire.encode_frame({"op": "x"}, {"a": np.ones(3)})
    stream = io.BytesIO(data + data[:5])
    header, blob = wire.read_frame(stream)
    assert header["op"] == "x" and len(blob) == 24
    assert wire.read_frame(stream) is None
    with pytest.raises(ValueError):
        wire.read_frame(io.BytesIO(data), max_bytes=10)
