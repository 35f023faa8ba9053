"""``./kit gradescope ASSIGNMENT``: build the autograder zip Gradescope asks for.

    build/gradescope/<assignment>-autograder.zip
        setup.sh          installs the kit in /opt/nn-kit, makes the kernels' user
        run_autograder    grades one submission (run.py)
        requirements.txt  the kit's dependencies, pinned to the versions it was built with
        gradescope.json   settings: hidden tests' visibility, user, limits (run.Settings):
                          the assignment's own source/<assignment>/gradescope.json, then
                          the command's options
        README.md         how to upload it, and what each assignment needs
        kit/              the kit's code (nn_utils engine, autograder), installed by setup.sh
        course/           nbgrader_config.py, source/<assignment> (its checks, hidden tests),
                          release/<assignment>, and the gradebook that release made

The course part is released here from a fresh copy of ``source/<assignment>``, as
``./kit release`` would, so the zip holds exactly what students got.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
import tempfile
try:
    import tomllib
except ImportError:  # Python 3.10: the same parser, from PyPI
    import tomli as tomllib
import zipfile
from pathlib import Path

from autograder.course import KIT_ROOT, Course
from autograder.gradescope.run import SETTINGS, Settings
from autograder.release import release_assignment

HERE = Path(__file__).resolve().parent
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "demo_submissions", "nn_utils",
                               ".ipynb_checkpoints")


def requirement_name(requirement: str) -> str:
    """The package a pyproject.toml requirement names ("psycopg[binary]" -> "psycopg")."""
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0]


def requirements() -> str:
    """The kit's dependencies (pyproject.toml), each pinned to the version installed here,
    so that Gradescope grades with what the course tested."""
    project = tomllib.loads((KIT_ROOT / "pyproject.toml").read_text())["project"]
    lines = []
    for requirement in project["dependencies"]:
        name = requirement_name(requirement)
        pinned = "==" in requirement  # pinned by the kit already (pypandoc-binary, typst)
        lines.append(requirement if pinned else
                     f"{requirement}=={importlib.metadata.version(name)}")
    return "\n".join(lines) + "\n"


def kit_copy(target: Path, demo: bool = False) -> None:
    """The kit's installable code: pyproject.toml, nn_utils and autograder (with the demo's
    sample submissions if ``demo``)."""
    target.mkdir()
    shutil.copy(KIT_ROOT / "pyproject.toml", target)
    skipped = ("__pycache__", "*.pyc", ".ipynb_checkpoints", ".DS_Store",
               *(() if demo else ("demo_submissions",)))
    for package in ("nn_utils", "autograder"):
        shutil.copytree(KIT_ROOT / package, target / package,
                        ignore=shutil.ignore_patterns(*skipped))


def _course_copy(course: Course, assignment: str, target: Path) -> None:
    """A course with only ``assignment``, released (notebooks, nn_utils, gradebook)."""
    target.mkdir()
    shutil.copy(course.root / "nbgrader_config.py", target)
    shutil.copytree(course.source / assignment, target / "source" / assignment, ignore=_SKIP)
    copy = Course(target)
    release_assignment(copy, assignment)
    shutil.rmtree(target / "build", ignore_errors=True)  # the student zip: not needed here


def readme(settings: Settings) -> str:
    measured = (f"- Measured on the kit's machine (`./kit bench gradescope_budget`): "
                f"{settings.measured}.\n" if settings.measured else "")
    return f"""# Gradescope autograder: {settings.assignment}

Built by `./kit gradescope {settings.assignment}` (the nn homework kit).

On Gradescope: create a Programming Assignment, choose "Zip file upload" under
Configure Autograder, upload this zip, and let it build the image (a few minutes:
setup.sh installs the kit's Python packages). Students upload their notebook
({settings.assignment}'s .ipynb files, under any name if there is one notebook) and, as
a separate PDF assignment, their PDF for the written and plotted answers.

- Each graded cell is one test; cells with hidden tests show their results
  `{settings.hidden_visibility}` (gradescope.json: `hidden_visibility`: one of hidden,
  after_due_date, after_published, visible).
- The students' code runs as the unprivileged user `{settings.user}`, which cannot read
  this folder, with {settings.kernel_memory} of data per kernel process,
  {settings.cell_seconds} s per cell, {settings.notebook_seconds} s per notebook and
  {settings.deadline_seconds} s in all (set Gradescope's own timeout above that).
- Answers graded by a person are listed in each result as left for the PDF.
{measured}
Edit gradescope.json to change these, and zip the folder again.
"""


def build_autograder(course: Course, assignment: str, out_dir: Path | None = None,
                     **settings) -> Path:
    """Build ``out_dir/<assignment>-autograder.zip`` (default out_dir: build/gradescope)."""
    course.assignment(assignment)
    own = course.source / assignment / SETTINGS  # the assignment's own, where it has some
    chosen = Settings(**{**(json.loads(own.read_text()) if own.is_file() else {}),
                         **settings, "assignment": assignment})
    out_dir = out_dir or course.root / "build" / "gradescope"
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{assignment}-autograder.zip"
    with tempfile.TemporaryDirectory(prefix="gradescope-") as scratch:
        folder = Path(scratch)
        _course_copy(course, assignment, folder / "course")
        kit_copy(folder / "kit")
        for script in ("setup.sh", "run_autograder"):
            shutil.copy(HERE / script, folder / script)
        (folder / "requirements.txt").write_text(requirements())
        (folder / "README.md").write_text(readme(chosen))
        chosen.write(folder)
        partial = target.with_suffix(".partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    info = zipfile.ZipInfo.from_file(path, path.relative_to(folder).as_posix())
                    archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
        partial.replace(target)
    return target
