"""Gradescope's side, reproduced here: the autograder zip installed by its own setup.sh,
and run_autograder run on Gradescope's folder layout (tests/test_gradescope*.py).

The installed environment is made once per kit and shared by the test modules (a lock
keeps two workers from making it twice); it lives in a folder the kernels' user
(``nobody`` here, ``student`` on Gradescope) can read, as setup.sh makes it on Gradescope.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autograder.execution.cgroups import KernelCgroup

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
KERNEL_USER = "nobody"  # exists on every Debian; Gradescope's setup.sh makes "student"
HIDDEN_MARK = "BEGIN HIDDEN TESTS"
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}


def build_zip(where: Path, assignment: str) -> Path:
    """``./kit gradescope ASSIGNMENT`` run on a fresh copy of the course at ``where``;
    return the zip it wrote."""
    import sys

    from conftest import make_course_copy

    course = make_course_copy(where)
    result = subprocess.run([sys.executable, "-m", "autograder", "--course", str(course.root),
                             "gradescope", assignment], capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return course.root / "build" / "gradescope" / f"{assignment}-autograder.zip"


def _kit_digest(archive: Path) -> str:
    """A digest of what setup.sh installs from ``archive``: itself, the kit, requirements."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(archive) as opened:
        for name in sorted(opened.namelist()):
            if name.startswith("kit/") or name in ("requirements.txt", "setup.sh"):
                digest.update(name.encode() + opened.read(name))
    return digest.hexdigest()[:12]


def unpack(archive: Path, source: Path) -> None:
    """Unzip as Gradescope does, keeping the scripts executable."""
    with zipfile.ZipFile(archive) as opened:
        for info in opened.infolist():
            target = Path(opened.extract(info, source))
            mode = info.external_attr >> 16
            if mode:
                os.chmod(target, mode & 0o777)


def installed_env(archive: Path) -> Path:
    """The Python environment setup.sh of ``archive`` installs (made once per kit)."""
    env = Path(tempfile.gettempdir()) / f"nn-kit-gradescope-{_kit_digest(archive)}"
    with open(f"{env}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (env / "installed").is_file():
            shutil.rmtree(env, ignore_errors=True)
            with tempfile.TemporaryDirectory() as scratch:
                unpack(archive, Path(scratch))
                # The system's python3, as on Gradescope's image (not this machine's own
                # build under /root, which the kernels' user cannot read).
                result = subprocess.run(
                    ["bash", str(Path(scratch) / "setup.sh")], capture_output=True, text=True,
                    env={**os.environ, "NN_KIT_ENV": str(env), "NN_KIT_USER": KERNEL_USER,
                         "PATH": SYSTEM_PATH}, timeout=1200)
                assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
            (env / "installed").touch()
    return env


def gradescope_root(where: Path, archive: Path, settings: dict | None = None) -> Path:
    """/autograder as Gradescope lays it out, at ``where``: source/ (the zip, with
    gradescope.json changed by ``settings``), submission/ and results/ empty."""
    root = where / "autograder"
    for name in ("source", "submission", "results"):
        (root / name).mkdir(parents=True)
    unpack(archive, root / "source")
    path = root / "source" / "gradescope.json"
    chosen = json.loads(path.read_text())
    chosen.update({"user": KERNEL_USER, **(settings or {})})
    path.write_text(json.dumps(chosen))
    return root


GRADESCOPE_MEMORY = 768 * 10**6  # Gradescope's default container: "768 MB"


def autograder_launch(root: Path, env: Path, container: "KernelCgroup | None" = None) -> dict:
    """How Gradescope starts the zip's run_autograder (from /autograder, as root), inside
    ``container``'s cgroups if given: keyword arguments for subprocess.run or Popen."""
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    return {"args": [str(root / "run_autograder")], "cwd": root,
            "preexec_fn": joining(container),
            "env": {**os.environ, "AUTOGRADER_ROOT": str(root), "NN_KIT_ENV": str(env),
                    "TMPDIR": "/tmp"}}


def run_autograder(root: Path, env: Path, timeout: int = 900,
                   container: "KernelCgroup | None" = None) -> dict:
    """Run the zip's run_autograder as Gradescope would; return results.json. With
    ``container`` (a cgroup, see container_cgroup), it and everything it starts run inside
    that cgroup, as in Gradescope's container."""
    result = subprocess.run(**autograder_launch(root, env, container), capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads((root / "results" / "results.json").read_text())


def joining(container: "KernelCgroup | None"):
    """A preexec_fn that moves the new process into ``container``'s cgroups (None: none)."""
    if container is None:
        return None

    def join():
        for directory in container.dirs:
            Path(directory, "cgroup.procs").write_text(str(os.getpid()))

    return join


def container_cgroup(memory: int = GRADESCOPE_MEMORY):
    """A cgroup whose memory limit is Gradescope's container's, for run_autograder: what
    it counts (the grader, its kernels, their page cache) is what the container counts.
    None where this process may not make one (not root, no memory controller)."""
    from autograder.execution.cgroups import KernelCgroup

    group = KernelCgroup.create(processes=0, cpus=0, memory=memory)
    if "memory" not in group.caps:
        group.remove()
        return None
    return group


def check_results(results: dict) -> None:
    """Raise AssertionError unless ``results`` is a results.json Gradescope accepts:
    the fields its specification names, each of the type it says."""
    number = (int, float)
    assert isinstance(results["score"], number)
    assert isinstance(results["execution_time"], number) and results["execution_time"] >= 0
    assert isinstance(results["output"], str) and results["output"]
    assert results.get("stdout_visibility", "hidden") in VISIBILITIES
    assert isinstance(results["tests"], list)
    for test in results["tests"]:
        assert set(test) <= {"score", "max_score", "status", "name", "number", "output",
                             "tags", "visibility", "extra_data", "name_format",
                             "output_format"}, test
        assert isinstance(test["name"], str) and test["name"]
        assert isinstance(test["score"], number) and isinstance(test["max_score"], number)
        assert 0 <= test["score"] <= test["max_score"] or test["max_score"] == 0
        assert isinstance(test["output"], str)
        assert test["visibility"] in VISIBILITIES
        assert test.get("status", "passed") in {"passed", "failed"}
    assert abs(results["score"] - sum(t["score"] for t in results["tests"])) < 1e-9
