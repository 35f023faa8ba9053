"""Environment variables and folders the loaders look in.

All settings are read when a loader runs, not at import, so a notebook (or a test) can
set them with ``os.environ`` right before loading.
"""

from __future__ import annotations

import os
from pathlib import Path

from .registry import DatasetSpec

DATA_DIR_ENV = "NN_UTILS_DATA_DIR"
CACHE_DIR_ENV = "NN_UTILS_CACHE_DIR"
OFFLINE_ENV = "NN_UTILS_OFFLINE"
TIMEOUT_ENV = "NN_UTILS_DOWNLOAD_TIMEOUT"
# Seconds a connection attempt or a read may stall.  Short, because on a machine without
# network every mirror is tried before the stand-in is built, and a student waits.
DEFAULT_TIMEOUT = 10.0
_TRUE = {"1", "true", "yes", "on"}


def cache_root() -> Path:
    """``$NN_UTILS_CACHE_DIR`` if set, else ``~/.cache/nn_utils``."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "nn_utils"


def cache_folder(spec: DatasetSpec) -> Path:
    return cache_root() / spec.name


def local_folders(spec: DatasetSpec) -> list[tuple[str, list[Path]]]:
    """Instructor-provided folders to search, grouped by the variable that names them.

    Each group is ``(label, [folders])``.  First the data set's own variable (e.g.
    ``NN_UTILS_MNIST_DIR``) pointing straight at the files, then ``$NN_UTILS_DATA_DIR``
    with the data set's sub-folder and its alias names (so that a torchvision data root
    with ``MNIST/raw`` works too).
    """
    groups = []
    own = os.environ.get(spec.env_var)
    if own:
        groups.append((f"${spec.env_var}", [Path(own).expanduser()]))
    root = os.environ.get(DATA_DIR_ENV)
    if root:
        root_path = Path(root).expanduser()
        groups.append((f"${DATA_DIR_ENV}", [root_path / sub for sub in (spec.name,) + spec.aliases]))
    return groups


def downloads_enabled() -> bool:
    return os.environ.get(OFFLINE_ENV, "").strip().lower() not in _TRUE


def download_timeout() -> float:
    value = os.environ.get(TIMEOUT_ENV)
    if not value:
        return DEFAULT_TIMEOUT
    try:
        return max(float(value), 0.1)
    except ValueError:
        return DEFAULT_TIMEOUT
