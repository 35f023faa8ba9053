"""Split ``nbgrader autograde`` around its one slow step, executing the notebooks.

nbgrader autograde sanitizes each submission (clears outputs, puts the instructor's tests
back), executes it, then scores it into the gradebook. The parallel pipeline runs nbgrader
itself twice, serially, without a kernel:

1. ``prepare_args``: autograde with no autograde preprocessors, into a staging folder: this
   leaves exactly the sanitized notebooks nbgrader would execute;
2. the notebooks are executed elsewhere (autograder/execution/executor.py, on Dask workers);
3. ``score_args``: autograde again, with nbgrader's own autograde preprocessors except that
   ``Execute`` is replaced by ``ReplayExecution``, which hands over the executed copy.

So the gradebook and the autograded notebooks are written by nbgrader's own code, one
process at a time, exactly as a serial ``nbgrader autograde`` would write them.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Unicode
from traitlets.config import Config


class ReplayExecution(NbGraderPreprocessor):
    """Stands in for nbgrader's Execute: returns the executed copy of the notebook.

    The copy is ``<executed_directory>/<student>/<notebook>.ipynb``; it must have the same
    cells as the notebook nbgrader just sanitized, or this refuses it.
    """

    executed_directory = Unicode("", help="Folder of executed notebooks by student.").tag(
        config=True)

    def preprocess(self, nb, resources):
        student = resources["nbgrader"]["student"]
        notebook = resources["nbgrader"]["notebook"]
        path = Path(self.executed_directory) / student / f"{notebook}.ipynb"
        executed = nbformat.read(path, as_version=4)
        mismatch = first_mismatch(nb, executed)
        if mismatch is not None:
            raise ValueError(f"{path}: the executed copy differs from the sanitized notebook "
                             f"at cell {mismatch}")
        return executed, resources


def first_mismatch(sanitized, executed) -> int | None:
    """The index of the first cell whose type or source differs, or None if all agree."""
    pairs = list(zip(sanitized.cells, executed.cells))
    for index, (a, b) in enumerate(pairs):
        if a.cell_type != b.cell_type or a.source != b.source:
            return index
    return None if len(sanitized.cells) == len(executed.cells) else len(pairs)


def _name(preprocessor) -> str:
    if isinstance(preprocessor, str):
        return preprocessor
    return f"{preprocessor.__module__}.{preprocessor.__qualname__}"


def _is_execute(preprocessor) -> bool:
    if isinstance(preprocessor, str):
        return preprocessor.rsplit(".", 1)[-1] in {"Execute", "ExecutePreprocessor"}
    return issubclass(preprocessor, Execute)


def scoring_preprocessors(config: Config) -> list[str]:
    """The course's autograde preprocessors (nbgrader's default list unless the config sets
    one), by import name, with the executing step replaced by ReplayExecution."""
    configured = config.Autograde.get("autograde_preprocessors")
    steps = configured if configured is not None else Autograde.autograde_preprocessors.default()
    names = [_name(ReplayExecution) if _is_execute(p) else _name(p) for p in steps]
    if _name(ReplayExecution) not in names:
        raise ValueError("the course's Autograde.autograde_preprocessors has no Execute step")
    return names


def prepare_args(assignment: str, submitted: str, sanitized: str) -> list[str]:
    """nbgrader arguments for step 1: sanitize ``submitted`` into ``sanitized`` (both course
    relative or absolute folders laid out like nbgrader's submitted/)."""
    return ["autograde", assignment, "--force", "--create",
            f"--CourseDirectory.submitted_directory={submitted}",
            f"--CourseDirectory.autograded_directory={sanitized}",
            "--Autograde.autograde_preprocessors=[]"]


def score_args(assignment: str, submitted: str, executed: str, config: Config) -> list[str]:
    """nbgrader arguments for step 3: autograde ``submitted`` into the course's autograded/
    and gradebook, taking each executed notebook from ``executed``/<student>/."""
    return ["autograde", assignment, "--force", "--create",
            f"--CourseDirectory.submitted_directory={submitted}",
            f"--Autograde.autograde_preprocessors={json.dumps(scoring_preprocessors(config))}",
            f"--ReplayExecution.executed_directory={executed}"]
