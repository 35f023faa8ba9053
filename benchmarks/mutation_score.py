"""Mutation score of every assignment's checks, per task, and how long it takes.

    ./kit bench mutation_score [ASSIGNMENT ...] [--survivors] [--recheck-equivalents] [--jobs N]

Runs ``./kit mutate`` (autograder/mutation/) with these arguments and times it: every
mutant that cosmic-ray's operators and the field's own (autograder/mutation/operators.py)
make of the reference solution cells, through the task's visible checks and hidden tests,
in forks of one in-process run of each notebook. Prints per assignment and task the
mutants generated, killed, survived, listed as equivalent
(source/<assignment>/equivalent_mutants.json, not run unless --recheck-equivalents) and
timed out, the score (caught / not equivalent), and the wall time of the whole run.
"""

from __future__ import annotations

import os
import sys
import time

# As ./kit sets it; a forked child must not inherit BLAS threads either.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from autograder.__main__ import main as kit  # noqa: E402


def main() -> int:
    arguments = sys.argv[1:]
    if "--jobs" not in arguments:
        arguments += ["--jobs", str(os.cpu_count())]
    began = time.monotonic()
    status = kit(["mutate", *arguments])
    print(f"all assignments: {time.monotonic() - began:.0f} s with "
          f"{arguments[arguments.index('--jobs') + 1]} jobs on {os.cpu_count()} cores")
    return status


if __name__ == "__main__":
    sys.exit(main())
