"""Locally built stand-ins for the real data sets, used when the real files are missing.

Each stand-in has the real data set's array shapes, dtypes and ten classes so that a
notebook runs end to end, but it is NOT the real data: accuracies on it are not
comparable with published results.  Builds are deterministic (fixed seeds), saved in the
cache folder for later processes, as compact uint8 arrays.

=============  ===========================  ============  =================================
data set       stand-in                     train / test  needs
=============  ===========================  ============  =================================
mnist          scikit-learn's 8x8 digits    60000 / 10000 numpy, scikit-learn
               redrawn at 28x28
fashion_mnist  drawn clothing silhouettes   60000 / 10000 numpy
cifar10        drawn colour scenes          50000 / 10000 numpy
=============  ===========================  ============  =================================
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ..locations import cache_root
from ..rows import first_of_split
from . import cifar, digits, fashion

DESCRIPTIONS = {
    "mnist": (
        "MNIST-style digits redrawn from scikit-learn's bundled 8x8 handwritten digits "
        f"(load_digits), randomly scaled, rotated, sheared and shifted; "
        f"{digits.N_TRAIN} train / {digits.N_TEST} test images"
    ),
    "fashion_mnist": (
        "procedurally drawn clothing silhouettes in the ten Fashion-MNIST classes "
        f"with random sizes and textures; {fashion.N_TRAIN} train / {fashion.N_TEST} test images"
    ),
    "cifar10": (
        "procedurally drawn 32x32 colour scenes with one crude object of the ten CIFAR-10 "
        f"classes each; {cifar.N_TRAIN} train / {cifar.N_TEST} test images"
    ),
}

_BUILDERS = {"mnist": digits.build, "fashion_mnist": fashion.build, "cifar10": cifar.build}


_SOURCES = {"mnist": ("digits.py",), "fashion_mnist": ("fashion.py", "shapes.py"),
            "cifar10": ("cifar.py", "shapes.py")}


def _saved_copy(name: str) -> Path:
    """The folder where a built stand-in is kept between processes: named by a hash of the
    code that draws it, so a changed builder never serves old images."""
    digest = hashlib.sha256()
    for source in _SOURCES[name]:
        digest.update((Path(__file__).parent / source).read_bytes())
    return cache_root() / "standins" / f"{name}-{digest.hexdigest()[:16]}"


_ARRAYS = ("x_train", "y_train", "x_test", "y_test")


def _load_saved(folder: Path, train_rows=None, test_rows=None):
    """The saved stand-in's first ``train_rows`` / ``test_rows`` images (all when None), or
    None if the folder is missing or damaged.  Each array is one .npy file read through a
    memory map, so only the images asked for are read."""
    counts = {"x_train": train_rows, "y_train": train_rows, "x_test": test_rows, "y_test": test_rows}
    arrays = {}
    try:
        for key in _ARRAYS:
            mapped = np.load(folder / f"{key}.npy", mmap_mode="r")
            arrays[key] = np.array(mapped if counts[key] is None else mapped[:counts[key]])
            del mapped  # closes the map: Windows keeps a mapped file locked
    except (OSError, ValueError):  # missing, partly written or damaged: rebuild
        return None
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _save(folder: Path, arrays) -> bool:
    """Save ``arrays`` in ``folder``; False when the cache cannot take them."""
    (x_train, y_train), (x_test, y_test) = arrays
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        part = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-"))
        for key, array in zip(_ARRAYS, (x_train, y_train, x_test, y_test)):
            np.save(part / f"{key}.npy", array)
            os.chmod(part / f"{key}.npy", 0o644)  # other graders on the machine may read it
        os.chmod(part, 0o755)
        shutil.rmtree(folder, ignore_errors=True)  # a damaged copy that _load_saved refused
        try:
            os.replace(part, folder)  # whole or not at all, for concurrent graders
        except OSError:  # another process saved it first: its copy is as good
            shutil.rmtree(part, ignore_errors=True)
            return folder.is_dir()
    except OSError:
        return False
    return True


# Stand-ins built in this process that the cache could not take: kept so that a read-only
# cache costs one build per process, not one per call.
_UNSAVED: dict = {}


def standin(name: str, train_rows=None, test_rows=None):
    """``(x_train, y_train), (x_test, y_test)`` of the stand-in for ``name``: the caller's own,
    cut to the first ``train_rows`` and ``test_rows`` images when these are given.

    Built once per machine: the arrays are saved in the cache folder
    (``$NN_UTILS_CACHE_DIR/standins``) and each call reads back what it needs, so no copy
    stays in memory between calls (CIFAR-10's is 184 MB, a quarter of a small grading
    container).
    """
    saved = _saved_copy(name)
    arrays = _load_saved(saved, train_rows, test_rows)
    if arrays is not None:
        return arrays
    if name not in _UNSAVED:
        built = _BUILDERS[name]()
        if _save(saved, built):
            return first_of_split(built, train_rows, test_rows)
        _UNSAVED[name] = built
    (x_train, y_train), (x_test, y_test) = first_of_split(_UNSAVED[name], train_rows, test_rows)
    return (np.array(x_train), np.array(y_train)), (np.array(x_test), np.array(y_test))
