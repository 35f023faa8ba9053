"""Run a kit command in the grading image: ``./kit image run -- ARGS``.

    podman run --rm ... IMAGE --course COURSE ARGS

The course folder is mounted at its own path, writable, so the paths the command prints
are the grader's own; any other existing path among ARGS (a folder or zip of
submissions) is mounted read-only at its own path. Inside, the kit sandboxes each kernel
with bubblewrap: the container is the Linux the grader's machine lacks, not the sandbox.
That is why it gets the namespaces, /proc and cgroups bubblewrap needs
(``--privileged``): root of the engine's virtual machine on macOS, or of a rootless user
namespace; students' code runs only inside bubblewrap, within it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from nn_utils.data.locations import CACHE_DIR_ENV

from autograder.course import Course
from autograder.execution.container import engine_path
from autograder.execution.sandbox import Sandbox, engine_command, probe
from autograder.image import ImageError

OPEN_FILES = 4096  # an explicit value: the engine's default may exceed the host's limit
PROCESSES = 4096


def _as_path(argument: str) -> Path | None:
    """The existing file or folder ``argument`` names, else None."""
    return Path(argument).resolve() if argument and os.path.exists(argument) else None


def in_image(course: Path, arguments: list[str]) -> tuple[list[str], list[str]]:
    """The ``-v`` options that show the command its files, and its arguments with every
    existing path made absolute (the command may start in another folder): the course
    writable, any other existing path read-only, each at its own path. The command's name
    and the course's assignment names are never taken for paths, nor is anything that
    does not exist yet (what a command writes goes into the course)."""
    course = course.resolve()
    options = ["-v", f"{course}:{course}:rw"]
    seen, absolute = {course}, arguments[:1]
    for argument in arguments[1:]:
        option, equals, value = argument.partition("=") if argument.startswith("--") \
            else ("", "", argument)
        path = None if (course / "source" / value).is_dir() else _as_path(value)
        if path is None:
            absolute.append(argument)
            continue
        if ":" in str(path):
            raise ImageError(f"{path}: a path with ':' cannot be mounted in the image; "
                             f"rename it or move it into the course folder")
        absolute.append(f"{option}{equals}{path}")
        if path not in seen and not path.is_relative_to(course):
            seen.add(path)
            options += ["-v", f"{path}:{path}:ro"]
    return options, absolute


def data_folders(environ=os.environ) -> list[str]:
    """The grader's own data set folders (``$NN_UTILS_*_DIR``), read-only at their paths
    and named the same way inside; the image's data cache is its own."""
    options = []
    for name, value in sorted(environ.items()):
        if name.startswith("NN_UTILS_") and name.endswith("_DIR") and name != CACHE_DIR_ENV \
                and value and os.path.isdir(value):
            folder = os.path.realpath(value)
            options += ["-v", f"{folder}:{folder}:ro", "--env", f"{name}={folder}"]
    return options


def image_command(engine: list[str], tag: str, course: Path, arguments: list[str]) -> list[str]:
    """The engine's command that runs ``python -m autograder --course COURSE ARGUMENTS``
    in the image, from the current folder (mounted when it is inside the course)."""
    course = course.resolve()
    here = Path.cwd().resolve()
    workdir = here if here.is_relative_to(course) else course
    volumes, arguments = in_image(course, arguments)
    return [*engine, "run", "--rm", "--privileged", "--network", "none",
            "--ulimit", f"nofile={OPEN_FILES}:{OPEN_FILES}",
            "--ulimit", f"nproc={PROCESSES}:{PROCESSES}",
            *volumes, *data_folders(), "--workdir", str(workdir),
            tag, "--course", str(course), *arguments]


def run_in_image(engine: list[str], tag: str, course: Path, arguments: list[str]) -> int:
    """Run the command in the image; its output is the command's own. Returns its exit
    status."""
    return subprocess.run(image_command(engine, tag, course, arguments), check=False).returncode


def image_engine(course: Course, engine: str) -> list[str]:
    """The engine's program with the options this machine needs: on Linux, Podman with
    ``--runtime runc`` where crun cannot run (found by the podman sandbox's probe, or set
    in c.Sandbox.engine_arguments)."""
    program = engine_path(engine)
    if program is None:
        raise ImageError(f"the container engine {engine!r} was not found: install Podman "
                         f"(Podman Desktop on macOS) or Docker")
    if not os.path.basename(engine).startswith("podman") or sys.platform != "linux":
        return [program]
    settings = Sandbox(config=course.config())
    settings.engine, settings.backend = engine, "podman"
    probe(settings)
    return engine_command(settings)
