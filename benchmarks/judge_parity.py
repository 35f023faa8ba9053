"""The demo graded twice, test cells in the kernel and by the judge: same scores, cell by cell?

    ./kit bench judge_parity [ASSIGNMENT ...]     (default: the four demo assignments)
    ./kit bench judge_parity --tables

For each assignment, builds the demo submissions (autograder/demo.py) into two scratch
courses, grades one with ``c.GuardedExecute.trusted_tests = False`` (the test cells run in
the kernel, as at home) and one with it True (the test cells run in the grader's process:
autograder/execution/judge.py), and prints how many graded cells score the same, every cell that
differs, every flag either run raised, and both execute times. Exits 1 when a cell differs
or an honest run is flagged.

With --tables, runs the tests of every mutant and correct alternative (tests/test_<a>.py)
with each notebook run twice, test cells in the kernel and by the judge, any difference in
a cell's points, error or stderr failing the test (tests/notebook_runner.py), and prints
how many cells were compared.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


from autograder.intake import collect
from autograder.course import KIT_ROOT, Course
from autograder.demo import build_demo_submissions, demo_assignments
from autograder.grade import autograde
from autograder.release import release_assignment

MODES = {"kernel": "\nc.GuardedExecute.trusted_tests = False\n",
         "judge": "\nc.GuardedExecute.trusted_tests = True\n"}
TABLES = ["tests/test_backprop_digits.py", "tests/test_nn_framework.py",
          "tests/test_nn_framework_conv.py", "tests/test_two_layer_mnist.py",
          "tests/test_fc_nets_cifar.py", "tests/test_fc_nets_cifar_layers.py"]


def graded(root: Path, assignment: str, config_line: str) -> tuple[dict, dict]:
    """({(student, notebook, cell): score}, grading.json) of the demo graded in ``root``."""
    root.mkdir(parents=True)
    shutil.copytree(KIT_ROOT / "source", root / "source")
    shutil.copy(KIT_ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    with open(root / "nbgrader_config.py", "a") as config:
        config.write(config_line)
    course = Course(root)
    release_assignment(course, assignment)
    build_demo_submissions(course, assignment, root / "in")
    collect.collect(course, assignment, root / "in")
    autograde(course, assignment)
    with course.gradebook() as book:
        scores = {(s.student_id, n.name, g.name): g.score
                  for s in book.assignment_submissions(assignment)
                  for n in s.notebooks for g in n.grades}
    return scores, json.loads((root / "reports" / assignment / "grading.json").read_text())


def tables() -> int:
    with tempfile.TemporaryDirectory(prefix="judge-parity-") as scratch:
        log = Path(scratch) / "compared"
        log.touch()
        env = {**os.environ, "NN_KIT_TEST_CELLS": "kernel,judge",
               "NN_KIT_COMPARED_LOG": str(log)}
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:logging",
                               "-n", "0", *TABLES], cwd=KIT_ROOT, env=env)
        cells = log.read_text().splitlines()
    print(f"mutant tables and alternatives: {len(cells)} test cells run in the kernel and "
          f"by the judge; {'all the same' if done.returncode == 0 else 'SOME DIFFER (above)'}")
    return done.returncode


def main(argv: list[str]) -> int:
    if argv == ["--tables"]:
        return tables()
    assignments = argv or demo_assignments(Course())
    bad = False
    with tempfile.TemporaryDirectory(prefix="judge-parity-") as scratch:
        for assignment in assignments:
            runs = {mode: graded(Path(scratch) / assignment / mode, assignment, line)
                    for mode, line in MODES.items()}
            (kernel, kernel_report), (judge, judge_report) = runs["kernel"], runs["judge"]
            cells = sorted(set(kernel) | set(judge))
            differ = [c for c in cells if kernel.get(c) != judge.get(c)]
            print(f"{assignment}: {len(cells) - len(differ)} of {len(cells)} graded cells "
                  f"score the same; execute {kernel_report['steps']['execute']:.1f} s in the "
                  f"kernel, {judge_report['steps']['execute']:.1f} s by the judge")
            for cell in differ:
                print(f"  differs: {'/'.join(cell)}: kernel {kernel.get(cell)}, "
                      f"judge {judge.get(cell)}")
            for mode, (_, report) in runs.items():
                for entry in report["submissions"]:
                    for flag in entry["flags"]:
                        print(f"  flagged ({mode}): {entry['student']}: {flag}")
                        bad = True
            bad = bad or bool(differ)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
