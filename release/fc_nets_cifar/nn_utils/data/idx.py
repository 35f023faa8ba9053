"""Reader for the IDX format used by MNIST and Fashion-MNIST.

Layout (all integers big-endian)::

    bytes 0-1   0x00 0x00
    byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                0x0D float32, 0x0E float64
    byte  3     number of dimensions d
    then        d uint32 sizes, then the elements in C order

The files are usually distributed gzipped; ``read_idx`` accepts both, telling them apart
by the gzip signature rather than by the file name.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from .errors import DatasetFileError

IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_SIGNATURE = b"\x1f\x8b"


def read_idx(path: str | Path) -> np.ndarray:
    """Parse an IDX file (optionally gzipped) into an array in native byte order.

    Raises ``DatasetFileError`` naming ``path`` for corrupt gzip data, a bad magic number,
    an unknown element type, or a payload whose length does not match the header.
    """
    return parse_idx(_read_bytes(path), path)


def parse_idx(raw: bytes, path: str | Path = "<bytes>") -> np.ndarray:
    """Parse IDX content already in memory; ``path`` is only used in error messages."""
    if len(raw) < 4:
        raise DatasetFileError(path, f"truncated IDX header: expected at least 4 bytes, got {len(raw)}")
    zero, code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0:
        raise DatasetFileError(
            path, f"bad magic number 0x{raw[:4].hex()}: not an IDX file (must start with two zero bytes)"
        )
    if code not in IDX_DTYPES:
        raise DatasetFileError(
            path, f"bad magic number 0x{raw[:4].hex()}: unknown IDX element type 0x{code:02x}"
        )
    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise DatasetFileError(
            path, f"truncated IDX header: expected {header_len} bytes for {ndim} dimensions, got {len(raw)}"
        )
    shape = struct.unpack(f">{ndim}I", raw[4:header_len])
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    got = len(raw) - header_len
    if got < expected:
        raise DatasetFileError(
            path, f"truncated: expected {expected} bytes of data for shape {shape}, got {got}"
        )
    if got > expected:
        raise DatasetFileError(
            path,
            f"{got - expected} unexpected bytes after the data: "
            f"expected {expected} bytes for shape {shape}, got {got}",
        )
    data = np.frombuffer(raw, dtype=dtype, count=expected // dtype.itemsize, offset=header_len)
    # frombuffer gives a read-only view of ``raw``; callers get an ordinary writable array.
    return data.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def _read_bytes(path: str | Path) -> bytes:
    with open(path, "rb") as handle:
        raw = handle.read()
    if not raw.startswith(_GZIP_SIGNATURE):
        return raw
    try:
        return gzip.decompress(raw)
    except EOFError as exc:
        raise DatasetFileError(path, f"corrupt gzip data: truncated compressed stream ({exc})") from exc
    except (OSError, zlib.error) as exc:
        raise DatasetFileError(path, f"corrupt gzip data: {exc}") from exc
