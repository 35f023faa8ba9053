"""The only form in which values cross between a grading kernel and the trusted grader.

The kernel runs student code, so whatever it sends is untrusted: it is JSON text, never a
pickle, and decoding it builds nothing but plain data, within limits of size, nesting and
item count. Plain data is None, bool, int, float (nan and inf included), str, numpy arrays
and numpy scalars of bool, integer, float or complex dtype, and lists, tuples and dicts of
those. Dict keys are None, bool, int, float, str or tuples of those. Everything else is
sent as a reference to an object that stays where it lives (``Ref``).

JSON carries None, bool, int, float, str, list and str-keyed dict as they are; the rest is
tagged by an object with a key starting with "$":

    {"$array": "<base64 of .npy bytes>"}      numpy array (written with allow_pickle=False)
    {"$scalar": "<base64 of .npy bytes>"}     numpy scalar, as a 0-d array
    {"$tuple": [...]}                          tuple
    {"$dtype": "float32"}                      a numpy scalar type (dtype=np.float32)
    {"$dict": [[key, value], ...]}             dict with a non-str key or a key starting "$"
    {"$ref": 7, "type": "Affine", "kind": "object", "name": null}   an object of the kernel
    {"$lent": 3, "type": "_Tanh", "kind": "object", "name": null}   an object of the grader
                                               lent to the kernel (a checker's helper layer)
    {"$kept": ["<digest>", "<base64 of .npy bytes>"]}   a large array the receiver keeps
    {"$cached": "<digest>"}                    that array again, sent before as $kept

The grader sends the same large arrays (a training set) to a kernel call after call; the
kernel keeps each one it is sent as $kept (SentArrays decides which), and every $cached
decodes to a fresh copy of it, so code that changes its argument in place changes a copy.

This module needs the standard library and numpy only: it is also installed into grading
kernels (see judge.bootstrap_code).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

_DTYPE_KINDS = "biufc"  # bool, signed and unsigned integers, floats, complex
_DTYPE_NAMES = frozenset(np.dtype(t).name for t in (
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
    np.uint64, np.float16, np.float32, np.float64, np.longdouble, np.complex64,
    np.complex128, np.clongdouble))
_ATOMS = (type(None), bool, int, float, str)  # exact types: subclasses are not plain
KINDS = ("function", "class", "object")
_NAME_LENGTH = 1000  # type and qualified names of remote objects


class CodecError(ValueError):
    """The value cannot be encoded, or the text is not a payload this codec accepts."""


@dataclass(frozen=True)
class Limits:
    """What decoding accepts: nesting depth, length of the JSON text, and number of items
    (every value, key and container counts as one; array elements do not)."""

    depth: int = 32
    bytes: int = 256 * 2**20
    items: int = 1_000_000


@dataclass(frozen=True)
class Ref:
    """A reference to an object that lives on the other side.

    ``kind`` is "class" for a class, "function" for anything else that is callable, and
    "object" for the rest; ``type`` is the name of the object's class and ``name`` the
    qualified name of a function or class (None for other objects).
    """

    id: int
    type: str
    kind: str
    name: str | None = None
    lent: bool = False  # the grader's object (lent to the kernel), not the kernel's


class SentArrays:
    """The sender's side of the array cache: which large arrays the receiver keeps."""

    def __init__(self, threshold: int = 64 * 2**10):
        self.threshold = threshold  # bytes of array data from which an array is kept
        self.digests: set[str] = set()

    @staticmethod
    def digest(array: np.ndarray) -> str:
        hasher = hashlib.blake2b(digest_size=16)
        hasher.update(f"{array.dtype.str}{array.shape}".encode())
        hasher.update(np.ascontiguousarray(array).data)
        return hasher.hexdigest()


class KeptArrays:
    """The receiver's side of the array cache: digest -> array, at most ``size`` of them
    (when full, it forgets them all; the sender then sends them again)."""

    def __init__(self, size: int = 32):
        self.size = size
        self.arrays: dict[str, np.ndarray] = {}

    def keep(self, digest: str, array: np.ndarray) -> None:
        if len(self.arrays) >= self.size:
            self.arrays.clear()
        self.arrays[digest] = array.copy()


UNKNOWN_CACHED = "unknown cached array"  # the fault that makes the sender send in full


def encode(value, ref: Callable[[object], Ref] | None = None, arrays: list | None = None,
           sent: SentArrays | None = None) -> str:
    """JSON text for ``value``.

    Args:
        ref: called with each part of ``value`` that is not plain data; returns the Ref
            to send instead. Without it, such a part raises CodecError.
        arrays: when given, every numpy array encoded is appended to it in encoding
            order, which is also the order in which ``decode`` collects them.
        sent: the arrays the receiver keeps; large arrays are sent as $kept or $cached.
    """
    packed = _Writer(ref, arrays, sent).pack(value, 0)
    try:
        return json.dumps(packed, separators=(",", ":"))
    except ValueError as error:  # an int of more digits than Python will print
        raise CodecError(f"cannot encode: {error}") from None


def decode(text: str, ref: Callable[[Ref], object] | None = None, arrays: list | None = None,
           limits: Limits = Limits(), kept: KeptArrays | None = None) -> object:
    """The value encoded in ``text``, which may come from an untrusted process.

    Args:
        ref: called with each Ref decoded; its result stands in the value. Without it,
            Refs are returned as they are.
        arrays: when given, every numpy array decoded is appended to it (see ``encode``).
        limits: the bounds of a payload accepted.
        kept: the arrays kept from earlier payloads; without it $kept and $cached are
            refused.

    Raises:
        CodecError: for anything that is not a payload of plain data within the limits.
    """
    if not isinstance(text, str):
        raise CodecError(f"expected JSON text, got {type(text).__name__}")
    if len(text) > limits.bytes:
        raise CodecError(f"payload of {len(text)} bytes exceeds the limit of {limits.bytes}")
    try:
        tree = json.loads(text)
    except RecursionError:
        raise CodecError("payload nested too deeply") from None
    except ValueError as error:
        raise CodecError(f"not valid JSON: {error}") from None
    return _Reader(limits, ref, arrays, kept).value(tree, 0)


def _plain_dtype(dtype: np.dtype) -> bool:
    return dtype.kind in _DTYPE_KINDS and dtype.fields is None and dtype.subdtype is None


def _plain_key(key) -> bool:
    if type(key) is tuple:
        return all(_plain_key(k) for k in key)
    return type(key) in _ATOMS


def _npy(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


class _Writer:
    def __init__(self, ref, arrays, sent):
        self.ref, self.arrays, self.sent = ref, arrays, sent

    def pack(self, value, depth: int):
        if depth > Limits.depth:  # a list that contains itself would never end
            raise CodecError(f"value nested deeper than {Limits.depth} levels")
        kind = type(value)
        if kind in _ATOMS:
            return value
        if kind is np.ndarray and _plain_dtype(value.dtype):
            if self.arrays is not None:
                self.arrays.append(value)
            if self.sent is None or value.nbytes < self.sent.threshold:
                return {"$array": _npy(value)}
            digest = self.sent.digest(value)
            if digest in self.sent.digests:
                return {"$cached": digest}
            self.sent.digests.add(digest)
            return {"$kept": [digest, _npy(value)]}
        if isinstance(value, np.generic) and _plain_dtype(value.dtype):
            return {"$scalar": _npy(np.asarray(value))}
        if isinstance(value, type) and issubclass(value, np.generic) \
                and _plain_dtype(np.dtype(value)):
            return {"$dtype": np.dtype(value).name}
        if kind is list:
            return [self.pack(v, depth + 1) for v in value]
        if kind is tuple:
            return {"$tuple": [self.pack(v, depth + 1) for v in value]}
        if kind is dict and all(_plain_key(k) for k in value):
            if all(type(k) is str and not k.startswith("$") for k in value):
                return {k: self.pack(v, depth + 1) for k, v in value.items()}
            return {"$dict": [[self.key(k), self.pack(v, depth + 1)] for k, v in value.items()]}
        if kind is Ref:  # a reference made beforehand (to an object that is plain data)
            handle = value
        elif self.ref is None:
            raise CodecError(f"cannot encode a {kind.__name__}: not plain data")
        else:
            handle = self.ref(value)
        return {"$lent" if handle.lent else "$ref": handle.id, "type": handle.type,
                "kind": handle.kind, "name": handle.name}

    def key(self, key):
        return {"$tuple": [self.key(k) for k in key]} if type(key) is tuple else key


class _Reader:
    def __init__(self, limits: Limits, ref, arrays, kept):
        self.limits, self.ref, self.arrays, self.kept = limits, ref, arrays, kept
        self.items = 0

    def count(self, depth: int) -> None:
        self.items += 1
        if self.items > self.limits.items:
            raise CodecError(f"payload has more than {self.limits.items} items")
        if depth > self.limits.depth:
            raise CodecError(f"payload nested deeper than {self.limits.depth} levels")

    def value(self, node, depth: int):
        self.count(depth)
        if type(node) is list:
            return [self.value(v, depth + 1) for v in node]
        if type(node) is not dict:
            return node  # json.loads makes None, bool, int, float and str only
        tags = [k for k in node if k.startswith("$")]
        if not tags:
            return {k: self.value(v, depth + 1) for k, v in node.items()}
        if tags in (["$ref"], ["$lent"]):
            return self.remote(node, tags[0])
        if len(node) != 1:
            raise CodecError(f"unknown tagged object with keys {sorted(node)[:5]}")
        tag, body = next(iter(node.items()))
        if tag in ("$array", "$kept", "$cached"):
            array = self.array(body) if tag == "$array" else self.cached(tag, body)
            if self.arrays is not None:
                self.arrays.append(array)
            return array
        if tag == "$scalar":
            array = self.array(body)
            if array.ndim:
                raise CodecError(f"$scalar holds an array of shape {array.shape}")
            return array[()]
        if tag == "$dtype":
            if type(body) is not str or body not in _DTYPE_NAMES:
                raise CodecError("$dtype must name a numpy number type")
            return np.dtype(body).type
        if tag == "$tuple":
            return tuple(self.value(v, depth + 1) for v in self.list(body, tag))
        if tag == "$dict":
            pairs = self.list(body, tag)
            if not all(type(p) is list and len(p) == 2 for p in pairs):
                raise CodecError("$dict must hold [key, value] pairs")
            return {self.key(k, depth + 1): self.value(v, depth + 1) for k, v in pairs}
        raise CodecError(f"unknown tag {tag[:50]!r}")

    def key(self, node, depth: int):
        self.count(depth)
        if type(node) in _ATOMS:
            return node
        if type(node) is dict and list(node) == ["$tuple"]:
            return tuple(self.key(k, depth + 1) for k in self.list(node["$tuple"], "$tuple"))
        raise CodecError("a dict key must be None, bool, int, float, str or a tuple of those")

    @staticmethod
    def list(body, tag: str) -> list:
        if type(body) is not list:
            raise CodecError(f"{tag} must hold a list, not {type(body).__name__}")
        return body

    def remote(self, node: dict, tag: str):
        if set(node) != {tag, "type", "kind", "name"}:
            raise CodecError(f"{tag} needs exactly the keys {tag}, type, kind and name")
        handle = Ref(node[tag], node["type"], node["kind"], node["name"], tag == "$lent")
        if (type(handle.id) is not int or handle.id < 0 or handle.kind not in KINDS
                or not _name(handle.type) or not (handle.name is None or _name(handle.name))):
            raise CodecError("malformed $ref")
        return handle if self.ref is None else self.ref(handle)

    def cached(self, tag: str, body) -> np.ndarray:
        if self.kept is None:
            raise CodecError(f"{tag} is not accepted here")
        if tag == "$kept":
            if not (type(body) is list and len(body) == 2 and _digest(body[0])):
                raise CodecError("$kept must hold [digest, array data]")
            array = self.array(body[1])
            self.kept.keep(body[0], array)
            return array
        if not _digest(body) or body not in self.kept.arrays:
            raise CodecError(UNKNOWN_CACHED)
        return self.kept.arrays[body].copy()

    @staticmethod
    def array(body) -> np.ndarray:
        if type(body) is not str:
            raise CodecError("array data must be a base64 string")
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise CodecError("array data is not valid base64") from None
        stream = io.BytesIO(raw)
        try:
            version = np.lib.format.read_magic(stream)
            read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                           (2, 0): np.lib.format.read_array_header_2_0}[version]
            shape, _, dtype = read_header(stream)
        except (ValueError, KeyError, TypeError, SyntaxError):
            raise CodecError("array data is not a .npy file numpy writes") from None
        if not _plain_dtype(dtype):
            raise CodecError(f"arrays of dtype {dtype} are not accepted")
        # Checked before np.load, which would allocate what the header claims first.
        if math.prod(shape) * dtype.itemsize != len(raw) - stream.tell():
            raise CodecError("array data does not match the shape in its header")
        stream.seek(0)
        try:
            return np.load(stream, allow_pickle=False)
        except ValueError as error:
            raise CodecError(f"array data rejected: {error}") from None


def _digest(value) -> bool:
    return type(value) is str and len(value) == 32 and all(c in "0123456789abcdef" for c in value)


def _name(value) -> bool:
    return type(value) is str and 0 < len(value) <= _NAME_LENGTH and "\x00" not in value
