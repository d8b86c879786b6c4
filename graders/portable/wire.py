"""Plain-data transfer of values across the trust boundary, without pickle.

A *frame* carries one JSON header and one binary blob::

    [u32 header length][u64 blob length][header: UTF-8 JSON][blob: raw array bytes]

Values become JSON trees in the header; arrays are referenced by index into ``header["arrays"]``,
whose entries ``[dtype, shape, offset, nbytes, class name]`` locate their bytes in the blob. So all
values of a submission travel in one packed transfer and are rebuilt with ``numpy.frombuffer``.

Tree nodes::

    null / true / 1 / 1.5 / "text"      None, bool, int, float, str (str cut to MAX_TEXT)
    {"nd": i}                           numpy array number i
    {"np": "float64", "v": 1.5}         a NumPy scalar (``v`` as a Python number)
    {"t": [...]}  / [...]               tuple / list (subclasses carry "cls")
    {"d": [[key, node], ...]}           dict (keys must be str)
    {"o": "type name", "why": "..."}    anything that cannot cross as data

Encoding runs in the untrusted worker, so it must survive hostile objects: it dispatches on
``type(value)``, never calls methods a student can override, and caps sizes. Decoding runs in the
grader and trusts nothing: it checks every dtype, shape and offset and rebuilds fresh base arrays.
This module imports only NumPy and the standard library; the sandbox mounts it alone.
"""

import json
import struct

import numpy as np

MAX_DEPTH = 12
MAX_ITEMS = 2000
MAX_TEXT = 200
MAX_ARRAY_ELEMENTS = 1_000_000
MAX_FRAME_BYTES = 256 * 1024 * 1024
ALLOWED_KINDS = "biufc"  # bool, signed, unsigned, float, complex
_HEAD = struct.Struct("<IQ")

_ndarray = np.ndarray
_ndarray_view = np.ndarray.view
_ndarray_tobytes = np.ndarray.tobytes
_dict_items = dict.items
_np_generic = np.generic
_json_dumps = json.dumps
_type = type
_issubclass = issubclass
_len = len
_isinstance = isinstance


# the usual dtypes, and how the wire names them; any other is checked as met
_TAGS = {np.dtype(name): np.dtype(name).str for name in (
    "float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint64", "uint32", "uint16", "uint8",
    "bool", "complex128", "complex64")}


class _Packer:
    def __init__(self, max_bytes):
        self.arrays = []
        self.chunks = []
        self.offset = 0
        self.max_bytes = max_bytes

    def add_array(self, value):
        cls = _type(value)
        base = value if cls is _ndarray else _ndarray_view(value, _ndarray)
        dtype = base.dtype
        tag = _TAGS.get(dtype)
        if tag is None:
            if dtype.kind not in ALLOWED_KINDS or dtype.fields is not None:
                return {"o": "numpy array of dtype %s" % str(dtype)[:40], "why": "dtype"}
            tag = dtype.str
        if base.size > MAX_ARRAY_ELEMENTS:
            return {"o": "numpy array with %d elements" % base.size, "why": "too large"}
        data = _ndarray_tobytes(base, "C")
        size = _len(data)
        if self.offset + size > self.max_bytes:
            return {"o": "numpy array", "why": "output too large"}
        entry = [tag, base.shape, self.offset, size]  # the shape tuple is written as a JSON list
        if cls is not _ndarray:
            entry.append("%s.%s" % (cls.__module__, cls.__qualname__))
        self.arrays.append(entry)
        self.chunks.append(data)
        self.offset += size
        return {"nd": _len(self.arrays) - 1}

    def node(self, value, depth=0):
        cls = _type(value)
        if cls is _ndarray:  # by far the most common value: first
            return self.add_array(value)
        if value is None or cls is bool or cls is int or cls is float:
            if cls is int and not (-(2**63) <= value < 2**63):
                return {"o": "int", "why": "too large"}
            return value
        if cls is str:
            return value[:MAX_TEXT]
        if depth > MAX_DEPTH:
            return {"o": cls.__name__, "why": "nested too deeply"}
        if _issubclass(cls, _ndarray):
            return self.add_array(value)
        if _issubclass(cls, _np_generic):
            dtype = np.dtype(cls)
            if dtype.kind not in "biuf":  # complex scalars have no JSON form: the ladder reports them
                return {"o": "numpy scalar %s" % cls.__name__, "why": "dtype"}
            return {"np": dtype.name, "v": self.node(value.item(), depth + 1)}
        if _issubclass(cls, (tuple, list)):
            items = tuple.__iter__(value) if _issubclass(cls, tuple) else list.__iter__(value)
            nodes = []
            for item in items:
                if _len(nodes) >= MAX_ITEMS:
                    return {"o": cls.__name__, "why": "too many items"}
                nodes.append(self.node(item, depth + 1))
            if cls is tuple:
                return {"t": nodes}
            if cls is list:
                return nodes
            return {"t" if _issubclass(cls, tuple) else "l": nodes, "cls": cls.__name__[:MAX_TEXT]}
        if _issubclass(cls, dict):
            pairs = []
            for key, item in _dict_items(value):
                if _len(pairs) >= MAX_ITEMS:
                    return {"o": cls.__name__, "why": "too many items"}
                if _type(key) is not str:
                    return {"o": cls.__name__, "why": "a key that is not a string"}
                pairs.append([key[:MAX_TEXT], self.node(item, depth + 1)])
            node = {"d": pairs}
            if cls is not dict:
                node["cls"] = cls.__name__[:MAX_TEXT]
            return node
        return {"o": ("%s.%s" % (cls.__module__, cls.__qualname__))[:MAX_TEXT]}


def encode_frame(header, values=None, max_bytes=MAX_FRAME_BYTES, payload=None):
    """Pack ``header`` plus ``values`` (a dict of name -> value) into one frame.

    The encoded values land in ``header["values"]`` and their arrays in ``header["arrays"]``.
    With ``payload`` (bytes, e.g. another frame) instead of values, the payload is the blob.
    """
    packer = _Packer(max_bytes)
    if values is not None:
        header = dict(header)
        header["values"] = {name: packer.node(value) for name, value in _dict_items(values)}
        header["arrays"] = packer.arrays
    text = _json_dumps(header, separators=(",", ":"), check_circular=False).encode("utf-8")
    blob = b"".join(packer.chunks) if payload is None else payload
    return frame_head(_len(text), _len(blob)) + text + blob


HEAD_SIZE = _HEAD.size  #: the bytes of a frame's head (the two lengths)


def frame_head(text_len, blob_len):
    """The head of a frame whose header and blob have these lengths."""
    return _HEAD.pack(text_len, blob_len)


def frame_lengths(head, start=0, max_bytes=MAX_FRAME_BYTES, max_header=None):
    """``(header length, blob length)`` from the head at ``start`` of ``head``; ``ValueError`` when
    over ``max_bytes`` in all or ``max_header`` for the header (None: no cap)."""
    text_len, blob_len = _HEAD.unpack_from(head, start)
    if max_header is not None and text_len > max_header:
        raise ValueError("frame header of %d bytes is over the %d-byte cap" % (text_len, max_header))
    if max_bytes is not None and text_len + blob_len > max_bytes:
        raise ValueError("frame of %d bytes is over the %d-byte cap" % (text_len + blob_len, max_bytes))
    return text_len, blob_len


def frame_at(buffer, start=0, max_bytes=MAX_FRAME_BYTES, max_header=None):
    """The one frame reader: the frame that starts at ``start`` of ``buffer`` (bytes, or a growing
    bytearray), as ``(header text, blob, end)``, the header not parsed; None while the buffer does
    not hold it whole yet. Raises ``ValueError`` for a frame over ``max_bytes``, or a header over
    ``max_header`` bytes, before anything past the head is looked at."""
    if len(buffer) - start < _HEAD.size:
        return None
    text_len, blob_len = frame_lengths(buffer, start, max_bytes, max_header)
    body = start + _HEAD.size
    end = body + text_len + blob_len
    if len(buffer) < end:
        return None
    return bytes(buffer[body:body + text_len]), buffer[body + text_len:end], end


def parse_header(text, parse_float=None):
    """A frame's header text as a dict (``parse_float`` is handed to :func:`json.loads`); raises
    ``ValueError`` when it is not a JSON object."""
    header = json.loads(text.decode("utf-8"), parse_float=parse_float)
    if type(header) is not dict:
        raise ValueError("frame header is not an object")
    return header


def frame_parts(data, max_header=None):
    """``(header text, blob)`` of one whole frame held in ``data``, the header not parsed; raises
    ``ValueError`` if the frame's head does not match it or the header is over ``max_header`` bytes."""
    if len(data) < _HEAD.size:
        raise ValueError("frame shorter than its head")
    found = frame_at(data, 0, None, max_header)
    if found is None or found[2] != len(data):
        raise ValueError("frame length does not match its head")
    return found[0], found[1]


def split_frame(data, parse_float=None, max_header=None):
    """``(header, blob)`` of one whole frame held in ``data`` (bytes); raises ``ValueError`` if malformed.

    ``parse_float`` is handed to :func:`json.loads` (it sees every float of the header); a header
    longer than ``max_header`` bytes is refused before it is parsed.
    """
    text, blob = frame_parts(data, max_header)
    return parse_header(text, parse_float), blob


def read_frame(stream, max_bytes=MAX_FRAME_BYTES):
    """Read one frame from a binary stream; return ``(header, blob)`` or ``None`` at end of stream."""
    head = _read_exact(stream, _HEAD.size)
    if head is None:
        return None
    text_len, blob_len = frame_lengths(head, 0, max_bytes)  # before reading the rest
    rest = _read_exact(stream, text_len + blob_len) if text_len + blob_len else b""
    if rest is None:
        raise ValueError("stream ended inside a frame")
    return parse_header(rest[:text_len]), rest[text_len:]


def roundtrip(values):
    """Encode ``values`` into a frame and decode it again, in memory: what the grader would see."""
    return decode_values(*split_frame(encode_frame({}, values)))


def _read_exact(stream, size):
    chunks, remaining = [], size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


class Foreign:
    """A value that could not cross as data (an arbitrary object, an object array, an oversized array)."""

    __slots__ = ("type_name", "why")

    def __init__(self, type_name, why=""):
        self.type_name = str(type_name)[:MAX_TEXT]
        self.why = str(why)[:MAX_TEXT]

    def __repr__(self):
        return "<%s%s>" % (self.type_name, (" (%s)" % self.why) if self.why else "")


class Subclassed:
    """Marks an array, sequence or dict whose type was a subclass; ``value`` is the plain data."""

    __slots__ = ("value", "cls")

    def __init__(self, value, cls):
        self.value = value
        self.cls = str(cls)[:MAX_TEXT]

    def __repr__(self):
        return "<%s %r>" % (self.cls, self.value)


def decode_values(header, blob, copy=True):
    """Rebuild the values of a frame written by :func:`encode_frame`, validating every array.

    Returns a dict name -> value, where values are None/bool/int/float/str, fresh base
    ``numpy.ndarray`` objects, NumPy scalars, tuples, lists, dicts, :class:`Foreign` or
    :class:`Subclassed`. Malformed input raises ``ValueError``. With ``copy=False`` arrays are
    read-only views of ``blob`` (the grader only reads them); by default they are writable copies.
    """
    reader = ValueReader(header, blob, copy)
    for index in range(len(reader.entries)):  # every array, referred to or not
        reader._array(index)
    return {str(name): reader.get(name) for name in reader.values}


class ValueReader:
    """Rebuilds the values of one frame one at a time, reading only the arrays each refers to.

    Where :func:`decode_values` refuses a whole frame for one malformed part, a reader refuses only
    the value that holds or refers to it (:meth:`get` raises ``ValueError``); an array no value
    refers to is never read. Arrays are read once, then shared by the values that refer to them.
    """

    def __init__(self, header, blob, copy=True):
        values, entries = header.get("values", {}), header.get("arrays", [])
        if type(values) is not dict or type(entries) is not list:
            raise ValueError("malformed frame header")
        self.values, self.entries, self.blob, self.copy = values, entries, blob, copy
        self._arrays = {}

    def __contains__(self, name):
        return name in self.values

    def get(self, name):
        """The value called ``name``, rebuilt and validated; ``KeyError`` if the frame has none."""
        return _decode_node(self.values[name], self._array, 0)

    def _array(self, index):
        if type(index) is not int or not 0 <= index < len(self.entries):
            raise ValueError("bad array reference")
        found = self._arrays.get(index)
        if found is None:
            found = self._arrays[index] = _decode_array(self.entries[index], self.blob, self.copy)
        return found


_DTYPES: dict = {}


def _allowed_dtype(text):
    dtype = _DTYPES.get(text)
    if dtype is None:
        dtype = np.dtype(str(text))
        if dtype.kind not in ALLOWED_KINDS or dtype.fields is not None or dtype.hasobject:
            raise ValueError("array dtype %s is not allowed" % dtype)
        if len(_DTYPES) < 64:
            _DTYPES[text] = dtype
    return dtype


def _decode_array(entry, blob, copy=True):
    if type(entry) is not list or len(entry) not in (4, 5):
        raise ValueError("bad array entry")
    dtype_str, shape, offset, nbytes = entry[0], entry[1], entry[2], entry[3]
    if type(dtype_str) is not str or type(shape) is not list or len(shape) > 32:
        raise ValueError("bad array entry")
    dtype = _allowed_dtype(dtype_str)
    count = 1
    for n in shape:
        if type(n) is not int or n < 0:
            raise ValueError("bad array shape")
        count *= n
    if count > MAX_ARRAY_ELEMENTS or type(offset) is not int or type(nbytes) is not int:
        raise ValueError("bad array size")
    if nbytes != count * dtype.itemsize or offset < 0 or offset + nbytes > len(blob):
        raise ValueError("array bytes out of range")
    array = np.frombuffer(blob, dtype=dtype, count=count, offset=offset).reshape(shape)
    if copy:
        array = array.copy()
    if len(entry) == 5:
        return Subclassed(array, entry[4])
    return array


def _decode_node(node, array, depth):
    """Rebuild one tree node; ``array(index)`` gives (and validates) the arrays it refers to."""
    if depth > MAX_DEPTH + 2:
        raise ValueError("value nested too deeply")
    kind = type(node)
    if node is None or kind in (bool, int, float, str):
        return node
    if kind is list:
        return [_decode_node(item, array, depth + 1) for item in node[:MAX_ITEMS]]
    if kind is not dict:
        raise ValueError("bad node")
    if "nd" in node:
        return array(node["nd"])
    if "np" in node:
        dtype = np.dtype(str(node["np"]))
        if dtype.kind not in ALLOWED_KINDS:
            raise ValueError("bad scalar dtype")
        raw = node.get("v")
        if type(raw) not in (bool, int, float):
            raise ValueError("bad scalar value")
        return dtype.type(raw)
    if "t" in node or "l" in node:
        items = [_decode_node(item, array, depth + 1) for item in (node.get("t") or node.get("l") or [])]
        value = tuple(items) if "t" in node else items
        return Subclassed(value, node["cls"]) if "cls" in node else value
    if "d" in node:
        value = {}
        for pair in node["d"][:MAX_ITEMS]:
            if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
                raise ValueError("bad dict entry")
            value[pair[0]] = _decode_node(pair[1], array, depth + 1)
        return Subclassed(value, node["cls"]) if "cls" in node else value
    if "o" in node:
        return Foreign(node["o"], node.get("why", ""))
    raise ValueError("unknown node")
