"""Mutation score of every assignment's checks, per task, and how long it takes.

    ./kit bench mutation_score [ASSIGNMENT ...] [--survivors] [--jobs 2]

Runs what ``./kit mutate`` runs (autograder/mutation/): every mutant that cosmic-ray's
operators and the field's own (autograder/mutation/operators.py) make of the reference
solution cells, through the task's visible checks and hidden tests, in forks of one
in-process run of each notebook. Prints per assignment and task the mutants generated,
killed, survived, listed as equivalent (source/<assignment>/equivalent_mutants.json) and
timed out, the score (caught / not equivalent), and the wall time of the whole run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

# As ./kit sets it; a forked child must not inherit BLAS threads either.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from autograder.course import Course  # noqa: E402
from autograder.mutation.score import format_scores, score_assignment  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="(default: all)")
    parser.add_argument("--survivors", action="store_true", help="list the survivors")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    args = parser.parse_args()
    course = Course()
    began = time.monotonic()
    for assignment in args.assignments or course.assignments():
        result = score_assignment(course, assignment, jobs=args.jobs)
        print(format_scores([result], survivors=args.survivors), flush=True)
    print(f"all assignments: {time.monotonic() - began:.0f} s with {args.jobs} jobs "
          f"on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
