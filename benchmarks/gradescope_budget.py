"""Peak memory and time of grading one submission the Gradescope way, per assignment.

    ./kit bench gradescope_budget [ASSIGNMENT ...] [--student avery] [--container 768]
                                  [--kernel-memory 1GiB]

For each assignment: ``./kit gradescope`` builds the autograder zip in a scratch copy of
the course, its setup.sh installs it into a fresh environment (made once, as the tests
make it: tests/gradescope_layout.py), and run_autograder grades the demo student's work
on Gradescope's layout, with the assignment's gradescope.json (``--kernel-memory``
changes its kernel limit), inside a memory cgroup of ``--container`` MB if asked.
Printed: the peak memory (PSS, which counts shared pages once) of run_autograder and
every process under it together, sampled every 50 ms; each role's own peak (grader,
kernel, other: nbgrader's scoring step); the seconds it took; the score. Gradescope's
default container has 768 MB and half a CPU; this machine's CPUs are faster than half of
one, so Gradescope's seconds are higher.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from gradescope_layout import (autograder_launch, build_zip, container_cgroup,  # noqa: E402
                               gradescope_root, installed_env)

from autograder.course import Course  # noqa: E402
from autograder.demo import build_demo_submissions, demo_assignments  # noqa: E402


def tree_memory(process: psutil.Process) -> dict[str, int]:
    """Proportional set size (PSS) of ``process`` and each descendant, by role.

    PSS splits each shared page among the processes that map it, so the sum is what the
    container's memory limit counts once (a sum of RSS counts numpy's libraries once per
    process)."""
    sizes: dict[str, int] = {}
    for member in [process, *process.children(recursive=True)]:
        try:
            role = role_of(member.cmdline())
            sizes[role] = sizes.get(role, 0) + member.memory_full_info().pss
        except psutil.Error:
            pass
    return sizes


def role_of(command: list[str]) -> str:
    """A short name for a process under run_autograder."""
    text = " ".join(command)
    if "kernel_watch" in text or "ipykernel" in text:
        return "kernel"
    if "autograder.gradescope.run" in text:
        return "grader"
    return "other"


def measure(root: Path, env: Path, container=None) -> tuple[int, dict[str, int], float]:
    """(peak bytes of the whole tree, peak bytes per role, seconds) of one run_autograder,
    inside the cgroup ``container`` if given."""
    started = time.monotonic()
    process = psutil.Popen(**autograder_launch(root, env, container),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak, by_role = 0, {}
    while process.poll() is None:
        sizes = tree_memory(process)
        peak = max(peak, sum(sizes.values()))
        for role, size in sizes.items():
            by_role[role] = max(by_role.get(role, 0), size)
        time.sleep(0.05)
    return peak, by_role, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(prog="./kit bench gradescope_budget")
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--student", default="avery", help="a demo student (default: avery)")
    parser.add_argument("--kernel-memory",
                        help="gradescope.json's kernel_memory for the run (default: the "
                             "assignment's own, as Gradescope would run it)")
    parser.add_argument("--container", type=float, metavar="MB",
                        help="run inside a cgroup of this many MB (10^6 bytes), as Gradescope's "
                             "container (768 by default there); needs root")
    args = parser.parse_args()
    assignments = args.assignments or demo_assignments(Course())
    print(f"{'assignment':<18}{'peak MB':>9}{'seconds':>9}  score")
    for assignment in assignments:
        with tempfile.TemporaryDirectory() as scratch:
            scratch = Path(scratch)
            archive = build_zip(scratch / "course", assignment)
            env = installed_env(archive)
            changed = {"kernel_memory": args.kernel_memory} if args.kernel_memory else {}
            root = gradescope_root(scratch, archive, {"bubblewrap": False, **changed})
            for path in build_demo_submissions(Course(root / "source" / "course"), assignment,
                                               scratch / "demo"):
                if args.student in (path.parent.name, path.stem):
                    (root / "submission" / path.name).write_bytes(path.read_bytes())
            container = container_cgroup(int(args.container * 10**6)) if args.container else None
            if args.container and container is None:
                parser.error("--container: no memory cgroup can be made here (run as root)")
            try:
                peak, by_role, seconds = measure(root, env, container)
            finally:
                if container:
                    container.remove()
            results = json.loads((root / "results" / "results.json").read_text())
            top = sum(t["max_score"] for t in results["tests"])
            print(f"{assignment:<18}{peak / 2**20:>9.0f}{seconds:>9.1f}  "
                  f"{results['score']:g}/{top:g}   peaks: "
                  + ", ".join(f"{role} {size / 2**20:.0f} MB" for role, size in sorted(by_role.items())),
                  flush=True)


if __name__ == "__main__":
    main()
