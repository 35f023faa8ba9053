"""Checksums of data files: computing them and checking them against published values."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .errors import DatasetFileError

_BLOCK = 1 << 20


@dataclass(frozen=True)
class Checksum:
    """A published digest: ``algorithm`` is a hashlib name ("sha256", "md5")."""

    algorithm: str
    hexdigest: str

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hexdigest}"


def file_digest(path: str | Path, algorithm: str) -> str:
    # usedforsecurity=False: md5 is only an integrity check against the value the data
    # set's authors published, and FIPS-mode Pythons refuse md5 without the flag.
    digest = hashlib.new(algorithm, usedforsecurity=False)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: str | Path, expected: Checksum, *, origin: str | None = None) -> None:
    """Raise ``DatasetFileError`` naming ``path`` if its digest differs from ``expected``.

    ``origin`` (e.g. the URL a download came from) is added to the message.
    """
    actual = file_digest(path, expected.algorithm)
    if actual.lower() != expected.hexdigest.lower():
        where = f" (downloaded from {origin})" if origin else ""
        raise DatasetFileError(
            path,
            f"checksum mismatch{where}: expected {expected.algorithm} {expected.hexdigest}, "
            f"got {actual}. The file is corrupt, incomplete or not the official release.",
        )
