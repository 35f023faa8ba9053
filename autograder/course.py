"""The course directory and the nbgrader commands run in it."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import ConfigFileNotFound, PyFileConfigLoader

KIT_ROOT = Path(__file__).resolve().parent.parent


class NbgraderError(RuntimeError):
    """An nbgrader command failed; the message carries the end of its log, ``log`` all of it."""

    def __init__(self, message: str, log: str = ""):
        super().__init__(message)
        self.log = log


def grading_environment(environ=os.environ) -> dict:
    """The environment for nbgrader and the kernels it grades with: ``environ`` adjusted."""
    # nbgrader runs helper programs (alembic) by name: they sit beside this Python.
    path = os.pathsep.join([str(Path(sys.executable).parent), environ.get("PATH", "")])
    env = dict(environ, PATH=path)
    env.pop("MPLBACKEND", None)  # kernels must use the inline backend to embed plots
    return env


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

    def config(self) -> Config:
        """The course's nbgrader_config.py as a traitlets Config (empty if there is none)."""
        try:
            return PyFileConfigLoader("nbgrader_config.py", path=str(self.root)).load_config()
        except ConfigFileNotFound:
            return Config()

    @property
    def course_id(self) -> str:
        """``c.CourseDirectory.course_id`` of nbgrader_config.py (nbgrader's default when
        it sets none): the gradebook keeps each course's records under it."""
        return self.config().CourseDirectory.get("course_id") or "default_course"

    def assignments(self) -> list[str]:
        """The course's assignments, found rather than listed: every folder of source/
        holding a notebook or a notebook's text source, and every assignment the gradebook
        knows (sorted by name)."""
        found = {folder.name for folder in self.source.iterdir() if folder.is_dir()
                 and (any(folder.glob("*.ipynb")) or any(folder.glob("*.pct.py")))
                 } if self.source.is_dir() else set()
        if self.has_gradebook():
            with self.gradebook() as gradebook:
                found |= {a.name for a in gradebook.assignments}
        return sorted(found)

    def assignment(self, name: str) -> str:
        """``name`` if the course has that assignment, else a ValueError listing those it has."""
        known = self.assignments()
        if name not in known:
            raise ValueError(f"the course in {self.root} has no assignment {name!r} (it has "
                             f"{', '.join(known) or 'none'}; an assignment is a folder "
                             f"source/<name>/ with its notebooks)")
        return name

    def has_gradebook(self) -> bool:
        """Whether the gradebook exists (opening a missing SQLite file would create it)."""
        url = self.db_url
        return not url.startswith("sqlite:///") or Path(url.removeprefix("sqlite:///")).is_file()

    def gradebook(self):
        """nbgrader's Gradebook of this course (a context manager)."""
        from nbgrader.api import Gradebook

        return Gradebook(self.db_url, self.course_id)

    @property
    def db_url(self) -> str:
        """The gradebook: ``c.CourseDirectory.db_url`` if the config sets one (PostgreSQL for
        several graders at once), else nbgrader's default SQLite file in the course root."""
        configured = self.config().CourseDirectory.get("db_url")
        return configured or f"sqlite:///{self.root / 'gradebook.db'}"

    def nbgrader(self, *args: str) -> str:
        """Run ``nbgrader ARGS`` in the course directory; return its log, raise on failure."""
        result = subprocess.run(
            [sys.executable, "-m", "nbgrader", *args],
            cwd=self.root, env=grading_environment(), capture_output=True, text=True,
        )
        log = result.stdout + result.stderr
        if result.returncode != 0:
            lines = log.splitlines()
            # nbgrader logs whole tracebacks; the lines naming the error say what went wrong.
            causes = list(dict.fromkeys(l.strip() for l in lines if "Error:" in l))
            summary = "\n".join(causes[-5:] + ["..."] + lines[-8:])
            raise NbgraderError(
                f"nbgrader {' '.join(args)} failed (exit {result.returncode}):\n{summary}", log)
        return log
