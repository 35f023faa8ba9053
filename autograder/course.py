"""The course directory and the nbgrader commands run in it."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ("backprop_digits", "two_layer_mnist")


class NbgraderError(RuntimeError):
    """An nbgrader command failed; the message carries the end of its log."""


@dataclass(frozen=True)
class Course:
    """An nbgrader course directory (by default this repository)."""

    root: Path = KIT_ROOT

    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def release(self) -> Path:
        return self.root / "release"

    @property
    def submitted(self) -> Path:
        return self.root / "submitted"

    @property
    def autograded(self) -> Path:
        return self.root / "autograded"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'gradebook.db'}"

    def nbgrader(self, *args: str) -> str:
        """Run ``nbgrader ARGS`` in the course directory; return its log, raise on failure."""
        # nbgrader runs helper programs (alembic) by name: they sit beside this Python.
        path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
        env = dict(os.environ, MPLBACKEND="Agg", PATH=path)
        result = subprocess.run(
            [sys.executable, "-m", "nbgrader", *args],
            cwd=self.root, env=env, capture_output=True, text=True,
        )
        log = result.stdout + result.stderr
        if result.returncode != 0:
            tail = "\n".join(log.splitlines()[-25:])
            raise NbgraderError(f"nbgrader {' '.join(args)} failed (exit {result.returncode}):\n{tail}")
        return log
