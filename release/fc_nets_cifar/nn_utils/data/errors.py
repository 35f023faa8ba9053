"""Exceptions raised by the data loaders.

Two kinds of failure are kept apart on purpose:

* ``DatasetFileError`` (a ``ValueError``): a file exists but its content is wrong
  (bad magic number, truncated, corrupt compression, checksum mismatch).  The loaders
  never fall back to a stand-in on this error: a broken copy of the real data is
  something the instructor has to fix, not something to paper over.
* ``DownloadError`` (an ``OSError``): no mirror could be reached.  This is the normal
  offline case and makes the loaders fall back to a stand-in.
"""

from __future__ import annotations

from pathlib import Path


class DatasetFileError(ValueError):
    """A data file is corrupt, truncated, of the wrong format or fails its checksum.

    The message always starts with the offending path so that a student can paste
    it to the instructor.  ``path`` and ``problem`` are kept as attributes for code
    that wants to react to them.
    """

    def __init__(self, path: str | Path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class DownloadError(OSError):
    """Every mirror failed for network reasons (no connection, HTTP error, time-out)."""
