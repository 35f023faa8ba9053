"""The public loaders: real data when it can be had, a loud stand-in otherwise.

Lookup order for each data set (details in the package docstring):

1. folders named by environment variables (``NN_UTILS_<NAME>_DIR``, ``NN_UTILS_DATA_DIR``);
2. the cache folder (``NN_UTILS_CACHE_DIR``, default ``~/.cache/nn_utils``);
3. a download from the public mirrors into the cache, unless ``NN_UTILS_OFFLINE=1``;
4. a stand-in built locally, announced by a multi-line message on stdout.

A file that is found but broken raises ``DatasetFileError`` instead of falling back:
silently replacing an instructor's broken copy with synthetic data would hide the problem.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import cifar, mnist_files
from .download import fetch
from .errors import DatasetFileError, DownloadError
from .integrity import verify
from .locations import (
    DATA_DIR_ENV,
    OFFLINE_ENV,
    cache_folder,
    download_timeout,
    downloads_enabled,
    local_folders,
)
from .notice import fallback_message, unavailable_message
from .provenance import REAL, STANDIN, DataSource, record
from .registry import DatasetSpec, get_spec
from .rows import first_of_split
from .standins import DESCRIPTIONS, standin


def load_mnist():
    """MNIST handwritten digits, like ``keras.datasets.mnist.load_data()``.

    Returns ``(x_train, y_train), (x_test, y_test)``: x uint8 of shape (N, 28, 28) with
    values 0..255, y uint8 of shape (N,) with values 0..9; N is 60000 and 10000.
    ``source_of("mnist")`` tells whether this was the real data set or the stand-in.
    """
    return _load(get_spec("mnist"), _IdxFiles)


def load_fashion_mnist():
    """Fashion-MNIST, like ``keras.datasets.fashion_mnist.load_data()``.

    Same shapes and dtypes as ``load_mnist``; labels 0..9 are T-shirt/top, Trouser,
    Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot.
    ``source_of("fashion_mnist")`` tells whether this was the real data set or the stand-in.
    """
    return _load(get_spec("fashion_mnist"), _IdxFiles)


def load_cifar10():
    """CIFAR-10 in the layout of cs231n's ``load_CIFAR10``: ``X_train, y_train, X_test, y_test``.

    X float64 of shape (N, 32, 32, 3), RGB values 0..255; y int64 of shape (N,) with
    values 0..9 (airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck).
    N is 50000 and 10000, for the real data and the stand-in alike.  Note the float64
    arrays take about 1.5 GB, as with cs231n's loader.
    ``source_of("cifar10")`` tells whether this was the real data set or the stand-in.
    """
    (x_train, y_train), (x_test, y_test) = cifar10_as_stored()
    return x_train.astype(np.float64), y_train, x_test.astype(np.float64), y_test


def cifar10_as_stored(train_rows=None, test_rows=None):
    """CIFAR-10 as the files hold it, ``(x_train, y_train), (x_test, y_test)``: x uint8 of
    shape (N, 32, 32, 3), y int64; 184 MB rather than float64's 1.5 GB, for callers that
    convert only the images they use (get_CIFAR10_data).

    ``train_rows`` / ``test_rows`` ask for the first images only (all when None); the rest
    is then not held in memory, and batches past them are not read.
    """
    return _load(get_spec("cifar10"), _CifarFiles, train_rows, test_rows)


def load_CIFAR10(ROOT):
    """cs231n's ``load_CIFAR10(ROOT)``: parse the ``cifar-10-batches-py`` folder ``ROOT``.

    Returns ``X_train, y_train, X_test, y_test`` as ``load_cifar10`` does, and records the
    folder for ``source_of("cifar10")``.  No lookup, download or stand-in is involved.
    """
    folder = cifar.batches_folder(ROOT) or Path(ROOT)
    x_train, y_train, x_test, y_test = cifar.load_CIFAR10(ROOT)
    record(
        DataSource(
            "cifar10",
            REAL,
            "path",
            folder,
            f"CIFAR-10 batches passed to load_CIFAR10; {_counts(y_train, y_test)}",
        )
    )
    return x_train, y_train, x_test, y_test


def _load(spec: DatasetSpec, family, train_rows=None, test_rows=None):
    attempts: list[str] = []
    found = _from_local_folders(spec, family, attempts)
    if found is None:
        found = _from_cache(spec, family, attempts)
    if found is None:
        found = _from_download(spec, family, attempts)
    if found is not None:
        origin, path, label = found
        data = family.read(path, train_rows, test_rows)
        (_, y_train), (_, y_test) = data
        record(DataSource(spec.name, REAL, origin, path, f"{spec.title} {label}; {_counts(y_train, y_test)}"))
        return data
    return _standin(spec, attempts, train_rows, test_rows)


def _from_local_folders(spec, family, attempts):
    groups = local_folders(spec)
    if not groups:
        attempts.append(f"${DATA_DIR_ENV} and ${spec.env_var}: not set")
    for label, folders in groups:
        existing = [folder for folder in folders if folder.is_dir()]
        for folder in existing:
            path = family.find_local(folder)
            if path is not None:
                return "local", path, f"read from {label} ({folder})"
        if existing:
            attempts.append(f"{label}: no {spec.title} files in {', '.join(map(str, existing))}")
        else:
            attempts.append(f"{label}: no folder {folders[0]}")
    return None


def _from_cache(spec, family, attempts):
    folder = cache_folder(spec)
    path = family.find_cached(folder, spec)
    if path is not None:
        return "cache", path, "read from the cache"
    attempts.append(f"cache {folder}: no complete copy")
    return None


def _from_download(spec, family, attempts):
    if not downloads_enabled():
        attempts.append(f"download: skipped because {OFFLINE_ENV} is set")
        return None
    folder = cache_folder(spec)
    try:
        for remote in spec.files:
            if not (folder / remote.filename).is_file():
                fetch(remote, spec.mirrors, folder, timeout=download_timeout())
    except DownloadError as exc:
        attempts.append(f"download: failed ({exc})")
        return None
    except OSError as exc:  # e.g. a read-only home folder: the cache cannot be created
        attempts.append(f"download: cannot write to the cache ({exc})")
        return None
    path = family.find_cached(folder, spec)
    if path is None:  # only if the registry lists files the format reader does not use
        attempts.append(f"download: finished, but {folder} still lacks {spec.title} files")
        return None
    return "download", path, "downloaded into the cache"


def _standin(spec, attempts, train_rows, test_rows):
    try:
        (x_train, y_train), (x_test, y_test) = standin(spec.name, train_rows, test_rows)
    except ImportError as exc:  # the MNIST stand-in needs scikit-learn
        raise ImportError(unavailable_message(spec, f"{exc} (install scikit-learn)", attempts)) from exc
    print(fallback_message(spec, DESCRIPTIONS[spec.name], attempts), flush=True)
    record(
        DataSource(
            spec.name,
            STANDIN,
            "generated",
            None,
            f"stand-in, NOT the real {spec.title}: {DESCRIPTIONS[spec.name]}",
        )
    )
    return (x_train, y_train), (x_test, y_test)


def _counts(y_train, y_test):
    return f"{len(y_train)} train / {len(y_test)} test images"


class _IdxFiles:
    """MNIST and Fashion-MNIST: four IDX files, found by stem, gzipped or not."""

    @staticmethod
    def find_local(folder: Path):
        found, missing = mnist_files.find_files(folder)
        if not found:
            return None
        if missing:
            raise DatasetFileError(
                folder,
                f"incomplete copy: has {', '.join(p.name for p in found.values())} but no "
                f"{' / '.join(mnist_files.candidate_names(missing[0])[:2])}",
            )
        return folder

    @staticmethod
    def find_cached(folder: Path, spec: DatasetSpec):
        found, missing = mnist_files.find_files(folder)
        if missing:
            return None
        official = {remote.filename: remote.checksum for remote in spec.files}
        for path in found.values():
            if path.name in official:
                _verify_cached(path, official[path.name])
        return folder

    @staticmethod
    def read(folder: Path, train_rows=None, test_rows=None):
        found, _ = mnist_files.find_files(folder)
        return first_of_split(mnist_files.load_files(found), train_rows, test_rows)


class _CifarFiles:
    """CIFAR-10: a ``cifar-10-batches-py`` folder or the ``cifar-10-python.tar.gz`` archive."""

    @staticmethod
    def find_local(folder: Path):
        return cifar.batches_folder(folder) or _file_or_none(folder / cifar.ARCHIVE_NAME)

    @staticmethod
    def find_cached(folder: Path, spec: DatasetSpec):
        batches = cifar.batches_folder(folder)
        if batches is not None:
            return batches
        archive = _file_or_none(folder / cifar.ARCHIVE_NAME)
        if archive is not None:
            checksums = {remote.filename: remote.checksum for remote in spec.files}
            if archive.name in checksums:
                _verify_cached(archive, checksums[archive.name])
        return archive

    @staticmethod
    def read(path: Path, train_rows=None, test_rows=None):
        reader = cifar.read_archive if path.is_file() else cifar.read_folder
        x_train, y_train, x_test, y_test = reader(path, train_rows, test_rows)
        return (x_train, y_train), (x_test, y_test)


def _file_or_none(path: Path):
    return path if path.is_file() else None


def _verify_cached(path, checksum):
    try:
        verify(path, checksum)
    except DatasetFileError as exc:
        raise DatasetFileError(path, exc.problem + " Delete it to download it again.") from None
