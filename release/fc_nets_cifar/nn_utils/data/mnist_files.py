"""The four-file IDX layout shared by MNIST and Fashion-MNIST.

A folder holds ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each either gzipped (``.gz``,
as distributed) or not.  The variant spelling with a dot (``train-images.idx3-ubyte``),
common in copies that went through Windows tools, is accepted too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import DatasetFileError
from .idx import read_idx

# Official file stems, in the order the arrays are returned.
STEMS = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
IMAGE_SHAPE = (28, 28)
N_CLASSES = 10


def candidate_names(stem: str) -> tuple[str, ...]:
    """File names that count as a copy of ``stem``, most common first."""
    dotted = stem.replace("-idx", ".idx")
    return (stem + ".gz", stem, dotted + ".gz", dotted)


def find_files(folder: str | Path) -> tuple[dict[str, Path], list[str]]:
    """Look for the four files in ``folder``: ``({stem: path}, [missing stems])``."""
    folder = Path(folder)
    found: dict[str, Path] = {}
    missing: list[str] = []
    for stem in STEMS:
        for name in candidate_names(stem):
            if (folder / name).is_file():
                found[stem] = folder / name
                break
        else:
            missing.append(stem)
    return found, missing


def load_files(paths: dict[str, Path]):
    """Parse and cross-check the four files named in ``paths`` (keyed by stem).

    Returns ``(x_train, y_train), (x_test, y_test)``: x uint8 (N, 28, 28), y uint8 (N,)
    with values 0..9.  Raises ``DatasetFileError`` naming the offending file.
    """
    arrays = {}
    for stem in STEMS:
        path = paths[stem]
        array = read_idx(path)
        if "images" in stem:
            _expect(path, array, "images", 3, IMAGE_SHAPE)
        else:
            _expect(path, array, "labels", 1, ())
            if array.size and array.max() >= N_CLASSES:
                raise DatasetFileError(path, f"label {int(array.max())} out of range 0..{N_CLASSES - 1}")
        arrays[stem] = array
    for images_stem, labels_stem in ((STEMS[0], STEMS[1]), (STEMS[2], STEMS[3])):
        n_images, n_labels = len(arrays[images_stem]), len(arrays[labels_stem])
        if n_images != n_labels:
            raise DatasetFileError(
                paths[labels_stem], f"has {n_labels} labels but {paths[images_stem]} has {n_images} images"
            )
    return (arrays[STEMS[0]], arrays[STEMS[1]]), (arrays[STEMS[2]], arrays[STEMS[3]])


def _expect(path, array, what, ndim, tail):
    if array.dtype != np.uint8 or array.ndim != ndim or array.shape[1:] != tail:
        wanted = "(N, " + ", ".join(map(str, tail)) + ")" if tail else "(N,)"
        raise DatasetFileError(
            path, f"expected uint8 {what} of shape {wanted}, got {array.dtype} array of shape {array.shape}"
        )
