"""Serial nbgrader autograde versus the parallel pipeline, on the same submissions.

    ./kit bench grading_speed [--n 40] [--workers 2] [--assignment backprop_digits]

Releases the assignment into a scratch course, generates N submissions (a mix of correct,
wrong, blank and broken: see autograder/intake/submission_mix.py), and grades them twice, in two
copies of the course: plain ``nbgrader autograde``, then autograder.grade.autograde with a
local Dask cluster; then the pipeline once more with the test cells run by the judge, in
the grader's process (``c.GuardedExecute.trusted_tests``, autograder/execution/judge.py). Each kind of notebook is also executed once by nbclient alone (bare
execution: kernel start and the cells, nothing else). Prints both wall times, their ratio,
the per-submission overhead over bare execution, the judge's time against the pipeline's,
and whether every score matched.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

# As ./kit sets it: one BLAS thread per kernel, so kernels do not fight over the cores.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import DeadKernelError  # noqa: E402

from autograder.course import KIT_ROOT, Course, NbgraderError  # noqa: E402
from autograder.grade import autograde, autograde_serial  # noqa: E402
from autograder.release import release_assignment  # noqa: E402
from autograder.scoring.scores import read_scores  # noqa: E402
from autograder.intake.submission_mix import place_submissions, submission_text  # noqa: E402

# Correct, wrong (three demo students), blank, broken (syntax error, crash, bad file).
MIX = ("correct", "casey", "devon", "emery", "blank", "syntax", "crash", "malformed")


def make_course(root: Path, assignment: str) -> Course:
    """A scratch course with ``assignment`` released."""
    root.mkdir(parents=True)
    shutil.copytree(KIT_ROOT / "source" / assignment, root / "source" / assignment)
    shutil.copy(KIT_ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    course = Course(root)
    release_assignment(course, assignment)
    return course


def bare_seconds(course: Course, assignment: str, kind: str, workdir: Path) -> float:
    """Wall time of nbclient alone executing one ``kind`` notebook (0 for an unreadable file)."""
    try:
        notebook = nbformat.reads(submission_text(course, assignment, kind), as_version=4)
    except Exception:  # the malformed kind: nothing to execute
        return 0.0
    timeout = course.config().Execute.get("timeout", 120)
    client = NotebookClient(notebook, timeout=timeout, allow_errors=True,
                            resources={"metadata": {"path": str(workdir)}})
    start = time.perf_counter()
    try:
        client.execute()
    except DeadKernelError:  # the crash kind ends here, as it does when graded
        pass
    return time.perf_counter() - start


def timed(function, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    try:
        result = function(*args, **kwargs)
    except NbgraderError as error:  # nbgrader exits 1 when some submission failed
        result = error
    return time.perf_counter() - start, result


def compare(serial: Course, parallel: Course, assignment: str, students: list) -> tuple:
    """(students graded by both, students whose cells differ, students serial failed on)."""
    expected, got = read_scores(serial, assignment), read_scores(parallel, assignment)
    both, differ, failed = [], [], []
    for student in students:
        notebook = serial.autograded / student / assignment / f"{assignment}.ipynb"
        if not notebook.is_file():  # nbgrader removes the output of a failed submission
            failed.append(student)
            continue
        both.append(student)
        if got.cells.get(student) != expected.cells.get(student):
            differ.append(student)
    return both, differ, failed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=40, help="submissions (default 40)")
    parser.add_argument("--workers", type=int, default=2, help="Dask workers (default 2)")
    parser.add_argument("--assignment", default="backprop_digits")
    options = parser.parse_args(argv)
    assignment = options.assignment

    with tempfile.TemporaryDirectory(prefix="grading-speed-") as scratch:
        scratch = Path(scratch)
        print(f"releasing {assignment} into a scratch course ...", flush=True)
        base = make_course(scratch / "base", assignment)
        kinds = dict(zip((f"s{i:03d}" for i in range(options.n)), itertools.cycle(MIX)))
        serial, parallel, judged = (Course(shutil.copytree(base.root, scratch / name))
                                    for name in ("serial", "parallel", "judged"))
        # The judge is the default; serial and pipeline run the test cells in the kernel,
        # as grading did before it, so the three compare.
        for course, trusted in ((serial, False), (parallel, False), (judged, True)):
            with open(course.root / "nbgrader_config.py", "a") as config:
                config.write(f"\nc.GuardedExecute.trusted_tests = {trusted}\n")
        for course in (serial, parallel, judged):
            place_submissions(course, assignment, kinds)
        mix = Counter(kinds.values())
        print(f"{options.n} submissions: " + ", ".join(f"{mix[k]} {k}" for k in MIX if mix[k]))

        print("bare execution of each kind ...", flush=True)
        bare = {kind: bare_seconds(base, assignment, kind, scratch) for kind in mix}
        bare_total = sum(bare[kind] for kind in kinds.values())

        print("serial nbgrader autograde ...", flush=True)
        serial_time, _ = timed(autograde_serial, serial, assignment)
        print(f"pipeline, {options.workers} Dask workers ...", flush=True)
        parallel_time, report = timed(autograde, parallel, assignment,
                                      workers=options.workers)
        print(f"pipeline, {options.workers} Dask workers, test cells run by the judge ...",
              flush=True)
        judged_time, judged_report = timed(autograde, judged, assignment,
                                           workers=options.workers)
        both, differ, failed = compare(serial, parallel, assignment, sorted(kinds))
        judged_differ = [s for s in sorted(kinds) if read_scores(judged, assignment).cells.get(s)
                         != read_scores(parallel, assignment).cells.get(s)]
        if not isinstance(report, Exception):  # read before the scratch course goes
            steps = json.loads(report.path.read_text())["steps"]

    n = options.n
    print()
    print(f"serial nbgrader autograde   {serial_time:8.1f} s")
    print(f"pipeline ({options.workers} workers)        {parallel_time:8.1f} s")
    print(f"ratio serial / pipeline     {serial_time / parallel_time:8.2f}")
    print(f"bare execution (nbclient)   {bare_total:8.1f} s in all, "
          f"{bare_total / n:.2f} s per submission")
    print(f"overhead per submission     serial {(serial_time - bare_total) / n:.2f} s, "
          f"pipeline {(parallel_time * options.workers - bare_total) / n:.2f} worker-s "
          f"({(parallel_time - bare_total / options.workers) / n:.2f} s of wall time)")
    if isinstance(report, Exception):
        print(f"pipeline failed: {report}")
    else:
        on_workers = sum(s["seconds"] for s in report.submissions)
        print(f"execution on the workers    {on_workers:8.1f} s in all, {on_workers / n:.2f} s "
              f"per submission")
        print("pipeline steps              "
              + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in steps.items()))
        print(f"pipeline count in / out     {report.count_in} / {report.count_out}")
    print(f"pipeline, judge runs tests  {judged_time:8.1f} s, "
          f"{100 * (judged_time / parallel_time - 1):+.1f}% on the pipeline; scores the same "
          f"as the pipeline's: "
          f"{'yes' if not judged_differ else 'NO: ' + ', '.join(judged_differ)}")
    kinds_failed = sorted({kinds[s] for s in failed})
    print(f"every score matched         {'yes' if not differ else 'NO: ' + ', '.join(differ)} "
          f"({len(both)} submissions graded both ways; serial nbgrader left "
          f"{len(failed)} ungraded: {', '.join(kinds_failed) or 'none'})")
    return 0 if not (differ or judged_differ) and not isinstance(report, Exception) \
        and not isinstance(judged_report, Exception) else 1


if __name__ == "__main__":
    sys.exit(main())
