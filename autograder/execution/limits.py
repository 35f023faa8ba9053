"""What one submission may use while it is graded: the time and memory limits."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from dask.utils import format_bytes, parse_bytes
from nbgrader.preprocessors import Execute
from traitlets.config import Config

DEFAULT_NOTEBOOK_TIMEOUT = 1800  # seconds; the whole notebook, kernel start included


@dataclass(frozen=True)
class Limits:
    """What one submission may use while it is graded.

    cell_timeout: seconds per cell; None keeps the course config's ``Execute.timeout``.
    notebook_timeout: seconds for each notebook as a whole.
    memory: bytes for each worker's kernel; None takes the Dask worker's own memory limit.
    """

    cell_timeout: int | None = None
    notebook_timeout: int = DEFAULT_NOTEBOOK_TIMEOUT
    memory: int | None = None

    @classmethod
    def from_text(cls, cell_timeout=None, notebook_timeout=None, memory=None) -> "Limits":
        """Limits from command-line strings ("90", "2GiB"); a None keeps the default."""
        return cls(
            cell_timeout=int(cell_timeout) if cell_timeout is not None else None,
            notebook_timeout=int(notebook_timeout) if notebook_timeout is not None
            else DEFAULT_NOTEBOOK_TIMEOUT,
            memory=parse_bytes(memory) if memory is not None else None,
        )

    def applied_to(self, config: Config) -> Config:
        """A copy of an nbgrader ``config`` with the time limits set for ``GuardedExecute``."""
        config = copy.deepcopy(config)  # the caller's config stays as it was
        if self.cell_timeout is not None:
            config.Execute.timeout = self.cell_timeout
        config.GuardedExecute.notebook_timeout = self.notebook_timeout
        return config

    def describe(self, config: Config) -> str:
        """The limits in words, the per-cell one as ``config`` (from applied_to) sets it."""
        cell = config.Execute.get("timeout", Execute.timeout.default_value)
        memory = format_bytes(self.memory) if self.memory else "the worker's memory limit"
        return (f"{cell or 'no limit of'} s per cell, {self.notebook_timeout} s per notebook, "
                f"{memory} per kernel")
