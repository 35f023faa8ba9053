"""Which data each loader actually returned in this process.

Notebooks grade against accuracy thresholds that only make sense for one data set, so a
loader records what it handed out and ``source_of`` tells::

    (x_train, y_train), (x_test, y_test) = load_mnist()
    threshold = 0.95 if source_of("mnist").is_real else 0.90
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .registry import get_spec

REAL = "real"
STANDIN = "standin"


@dataclass(frozen=True)
class DataSource:
    """What a loader returned.

    ``kind`` is ``"real"`` or ``"standin"``.  ``origin`` says how it was found:
    ``"local"`` (a folder named by an environment variable), ``"path"`` (a folder passed
    to ``load_CIFAR10``), ``"cache"``, ``"download"`` (fetched just now, into the cache),
    or ``"generated"`` for a stand-in.  ``path`` is the file or folder read (``None`` for
    a stand-in); ``detail`` is a one-line human description.
    """

    name: str
    kind: str
    origin: str
    path: Path | None
    detail: str

    @property
    def is_real(self) -> bool:
        return self.kind == REAL

    @property
    def is_standin(self) -> bool:
        return self.kind == STANDIN

    def __str__(self) -> str:
        where = f" at {self.path}" if self.path is not None else ""
        return f"{self.name}: {self.kind} data ({self.origin}{where}) - {self.detail}"


_sources: dict[str, DataSource] = {}


def record(source: DataSource) -> None:
    _sources[source.name] = source


def source_of(name: str) -> DataSource | None:
    """What the last ``load_*`` call for ``name`` returned in this process.

    ``name`` is one of "mnist", "fashion_mnist", "cifar10" (``ValueError`` otherwise).
    Returns ``None`` if that data set has not been loaded yet in this process.
    """
    get_spec(name)  # validates the name
    return _sources.get(name)
