"""The course directory and the nbgrader commands run in it."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ("backprop_digits", "two_layer_mnist", "nn_framework")


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
        env = dict(os.environ, PATH=path)
        env.pop("MPLBACKEND", None)  # kernels must use the inline backend to embed plots
        result = subprocess.run(
            [sys.executable, "-m", "nbgrader", *args],
            cwd=self.root, env=env, capture_output=True, text=True,
        )
        log = result.stdout + result.stderr
        if result.returncode != 0:
            lines = log.splitlines()
            # nbgrader logs whole tracebacks; the lines naming the error say what went wrong.
            causes = list(dict.fromkeys(l.strip() for l in lines if "Error:" in l))
            summary = "\n".join(causes[-5:] + ["..."] + lines[-8:])
            raise NbgraderError(f"nbgrader {' '.join(args)} failed (exit {result.returncode}):\n{summary}")
        return log
