"""Peak memory and time of grading one submission the Gradescope way, per assignment.

    ./kit bench gradescope_budget [ASSIGNMENT ...] [--student avery]

For each assignment: ``./kit gradescope`` builds the autograder zip in a scratch copy of
the course, its setup.sh installs it into a fresh environment (made once, as the tests
make it: tests/gradescope_layout.py), and run_autograder grades the demo student's work
on Gradescope's layout. Printed: the peak resident memory of run_autograder and every
process under it together (sampled every 50 ms), the seconds it took, and the score.
Gradescope's default container has 768 MB and half a CPU; this machine's CPUs are faster
than half of one, so Gradescope's seconds are higher.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from gradescope_layout import build_zip, gradescope_root, installed_env  # noqa: E402

from autograder.course import Course  # noqa: E402
from autograder.demo import build_demo_submissions, demo_assignments  # noqa: E402


def tree_rss(process: psutil.Process) -> int:
    """Resident bytes of ``process`` and all its descendants."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            pass
    return total


def measure(root: Path, env: Path) -> tuple[int, float]:
    """(peak bytes, seconds) of one run_autograder on ``root``."""
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    started = time.monotonic()
    process = psutil.Popen([str(root / "run_autograder")], cwd=root,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env={**os.environ, "AUTOGRADER_ROOT": str(root),
                                "NN_KIT_ENV": str(env), "TMPDIR": "/tmp"})
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(process))
        time.sleep(0.05)
    return peak, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(prog="./kit bench gradescope_budget")
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--student", default="avery", help="a demo student (default: avery)")
    parser.add_argument("--kernel-memory", default="4GiB",
                        help="gradescope.json's kernel_memory for the run (default: 4GiB, to "
                             "measure what the work needs rather than where a limit stops it)")
    args = parser.parse_args()
    assignments = args.assignments or demo_assignments(Course())
    print(f"{'assignment':<18}{'peak MB':>9}{'seconds':>9}  score")
    for assignment in assignments:
        with tempfile.TemporaryDirectory() as scratch:
            scratch = Path(scratch)
            archive = build_zip(scratch / "course", assignment)
            env = installed_env(archive)
            root = gradescope_root(scratch, archive, {"bubblewrap": False,
                                                      "kernel_memory": args.kernel_memory})
            for path in build_demo_submissions(Course(root / "source" / "course"), assignment,
                                               scratch / "demo"):
                if args.student in (path.parent.name, path.stem):
                    (root / "submission" / path.name).write_bytes(path.read_bytes())
            peak, seconds = measure(root, env)
            results = json.loads((root / "results" / "results.json").read_text())
            top = sum(t["max_score"] for t in results["tests"])
            print(f"{assignment:<18}{peak / 2**20:>9.0f}{seconds:>9.1f}  "
                  f"{results['score']:g}/{top:g}", flush=True)


if __name__ == "__main__":
    main()
