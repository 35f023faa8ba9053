"""Reader for the python version of CIFAR-10 (``cifar-10-python.tar.gz``).

The archive holds a folder ``cifar-10-batches-py/`` with pickled dicts ``data_batch_1``
.. ``data_batch_5`` (10000 training images each) and ``test_batch`` (10000 test images).
Each dict has ``b'data'``, a uint8 array of shape (N, 3072) whose rows are the red, green
and blue 32x32 planes one after the other, and ``b'labels'``, a list of N ints 0..9.

``load_CIFAR10`` and ``load_CIFAR_batch`` have the names, signatures and return layout
of the loader in Stanford's cs231n assignments (``cs231n/data_utils.py``), so notebooks
written for it run unchanged: X float64 (N, 32, 32, 3), y int64 (N,).
"""

from __future__ import annotations

import io
import os
import pickle
import tarfile
import zlib
from pathlib import Path

import numpy as np

from .errors import DatasetFileError
from .rows import first

BATCHES_DIR = "cifar-10-batches-py"
ARCHIVE_NAME = "cifar-10-python.tar.gz"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
N_CLASSES = 10
_ROW = 3 * 32 * 32


def load_CIFAR_batch(filename):
    """Load one batch file: X float64 (N, 32, 32, 3), y int64 (N,)."""
    x, y = read_batch(filename)
    return x.astype(np.float64), y


def load_CIFAR10(ROOT):
    """Load a ``cifar-10-batches-py`` folder: ``X_train, y_train, X_test, y_test``.

    X arrays are float64 of shape (N, 32, 32, 3) with values 0..255, y arrays int64 of
    shape (N,); N is 50000 and 10000 for the real data set.  For convenience ``ROOT`` may
    also be the folder that contains ``cifar-10-batches-py``.
    """
    root = batches_folder(ROOT)
    if root is None:
        raise FileNotFoundError(
            f"{ROOT}: no CIFAR-10 batches here (expected {', '.join(TRAIN_BATCHES)} and {TEST_BATCH}, "
            f"or a {BATCHES_DIR} folder containing them)"
        )
    x_train, y_train, x_test, y_test = read_folder(root)
    return x_train.astype(np.float64), y_train, x_test.astype(np.float64), y_test


def batches_folder(path) -> Path | None:
    """``path`` itself or its ``cifar-10-batches-py`` child, whichever has the batches."""
    path = Path(path)
    for folder in (path, path / BATCHES_DIR):
        if (folder / TRAIN_BATCHES[0]).is_file():
            return folder
    return None


def read_folder(folder, train_rows=None, test_rows=None):
    """Read the batches in a folder, as uint8 (N, 32, 32, 3) and int64 (N,) arrays:
    ``x_train, y_train, x_test, y_test``.

    With ``train_rows`` / ``test_rows`` only the first images are returned, and the batches
    after them are not read.  Raises ``DatasetFileError`` if a batch is missing or malformed.
    """
    folder = Path(folder)
    for name in TRAIN_BATCHES + (TEST_BATCH,):
        path = folder / name
        if not path.is_file():
            raise DatasetFileError(
                path,
                f"missing: a complete {BATCHES_DIR} folder has {', '.join(TRAIN_BATCHES)} and {TEST_BATCH}",
            )
    parts, held = {}, 0
    for name in TRAIN_BATCHES:
        if parts and train_rows is not None and held >= train_rows:
            break
        parts[name] = _first_images(read_batch(folder / name), None if train_rows is None else train_rows - held)
        held += len(parts[name][1])
    parts[TEST_BATCH] = _first_images(read_batch(folder / TEST_BATCH), test_rows)
    return _assemble(parts)


def read_archive(archive, train_rows=None, test_rows=None):
    """Read the six batches straight from ``cifar-10-python.tar.gz`` without extracting.

    Same arguments and return value as ``read_folder``.  Reading the members in one
    sequential pass of the compressed stream keeps this at about one decompression of the
    archive; every batch is decoded, so that a damaged one is reported.
    """
    archive = Path(archive)
    wanted = set(TRAIN_BATCHES + (TEST_BATCH,))
    parts = {}
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                name = os.path.basename(member.name)
                if member.isfile() and name in wanted and name not in parts:
                    # Reading the member whole first keeps a damaged compressed stream
                    # (an archive problem) apart from a damaged pickle (a batch problem).
                    with tar.extractfile(member) as handle:
                        raw = handle.read()
                    where = f"{archive} [{member.name}]"
                    parts[name] = _decode(_unpickle(io.BytesIO(raw), where), where)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise DatasetFileError(archive, f"corrupt or truncated archive: {exc}") from exc
    missing = sorted(wanted - parts.keys())
    if missing:
        raise DatasetFileError(archive, f"archive lacks {', '.join(missing)} (expected under {BATCHES_DIR}/)")
    return _assemble(parts, train_rows, test_rows)


def read_batch(path):
    """One batch file as uint8 (N, 32, 32, 3) and int64 (N,)."""
    with open(path, "rb") as handle:
        return _decode(_unpickle(handle, path), path)


def _first_images(batch, count):
    images, labels = batch
    return first(images, count), first(labels, count)


def _assemble(parts, train_rows=None, test_rows=None):
    """Join the training batches read, up to ``train_rows`` images, letting go of each batch
    as it is copied: np.concatenate would hold every batch and the result at once, twice
    the training set's 150 MB."""
    batches = [parts.pop(name) for name in TRAIN_BATCHES if name in parts]
    total = sum(len(labels) for _, labels in batches)
    total = total if train_rows is None else min(total, train_rows)
    x_train = np.empty((total,) + batches[0][0].shape[1:], dtype=batches[0][0].dtype)
    y_train = np.empty(total, dtype=batches[0][1].dtype)
    start = 0
    while batches and start < total:
        images, labels = batches.pop(0)
        count = min(len(labels), total - start)
        x_train[start:start + count], y_train[start:start + count] = images[:count], labels[:count]
        start += count
    x_test, y_test = _first_images(parts.pop(TEST_BATCH), test_rows)
    return x_train, y_train, x_test, y_test


class _ArrayOnlyUnpickler(pickle.Unpickler):
    """Unpickler that can rebuild numpy arrays and nothing else.

    The batch files come from the web or from a shared folder; unpickling them with the
    plain ``pickle`` module would run any code an altered file asks for.  The official
    files only reference the numpy array reconstructors allowed here; re-pickled copies
    may also use the other harmless helpers listed.
    """

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        # Protocol-2 pickles written by Python 3 spell a bytes object as
        # _codecs.encode(text, "latin1"); it only transforms data.
        ("_codecs", "encode"),
    }

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"refusing to load {module}.{name}: a CIFAR-10 batch holds only arrays and lists"
        )


def _unpickle(handle, where):
    try:
        # encoding="bytes": the official files were written by Python 2, whose str keys
        # become bytes (b'data', b'labels') and whose array buffers must stay bytes.
        return _ArrayOnlyUnpickler(handle, encoding="bytes").load()
    except Exception as exc:  # a damaged pickle can fail in many ways; all mean the same
        raise DatasetFileError(where, f"not a readable CIFAR-10 batch ({type(exc).__name__}: {exc})") from exc


def _decode(batch, where):
    if not isinstance(batch, dict):
        raise DatasetFileError(where, f"expected a pickled dict, got {type(batch).__name__}")
    data = _get(batch, "data", where)
    labels = _get(batch, "labels", where)
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != _ROW:
        shape = getattr(data, "shape", None)
        raise DatasetFileError(
            where, f"b'data' must be a uint8 array of shape (N, {_ROW}), got {type(data).__name__} {shape}"
        )
    y = np.asarray(labels, dtype=np.int64).reshape(-1)
    if len(y) != len(data):
        raise DatasetFileError(where, f"has {len(data)} images but {len(y)} labels")
    if len(y) and (y.min() < 0 or y.max() >= N_CLASSES):
        raise DatasetFileError(where, f"labels out of range 0..{N_CLASSES - 1}")
    # Rows hold the R, G and B planes in turn (CHW); cs231n's layout is NHWC.
    x = data.reshape(len(data), 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(x), y


def _get(batch, key, where):
    for candidate in (key.encode(), key):
        if candidate in batch:
            return batch[candidate]
    raise DatasetFileError(
        where, f"pickled dict has no {key.encode()!r} entry (keys: {sorted(map(repr, batch))})"
    )
