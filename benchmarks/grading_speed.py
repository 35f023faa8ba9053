"""Serial nbgrader autograde versus the parallel pipeline, on the same submissions.

    ./kit bench grading_speed [--n 40] [--workers 2] [--assignment backprop_digits]
                              [--pipeline-only]

Releases the assignment into a scratch course, generates N submissions (a mix of correct,
wrong, blank and broken: see autograder/intake/submission_mix.py), and grades them in copies
of the course: plain ``nbgrader autograde``; the pipeline on a local Dask cluster, with the
test cells in the kernel as nbgrader runs them; the same on a ``dask scheduler`` and
``dask worker`` processes started apart, as on a cluster; the pipeline as it grades by
default, the test cells run by the judge in the grader's process (judge.py); and, where
podman can start a sandbox, the pipeline in podman containers instead of bubblewrap; and,
where this kit's grading image is built (./kit image build), the pipeline run in it by
``./kit image run`` (each one's execution is printed against bare execution).
``--pipeline-only`` grades with the first pipeline alone (for a large N).

The floor is bare execution: nbclient alone (kernel start, the cells, shutdown) running each
kind's notebook as nbgrader executes it, sanitized with its hidden tests back, split over
the workers. Prints the wall times, the ratio, the per-submission cost of the work the
coordinator does alone (serial) and of the work on the workers, the wall time predicted
for 1,000 submissions on 16 and 64 cores from those (Amdahl: fixed + N x serial + N x
parallel / cores), and whether every score matched serial nbgrader's.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

# As ./kit sets it: one BLAS thread per kernel, so kernels do not fight over the cores.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import DeadKernelError  # noqa: E402

from autograder.course import KIT_ROOT, Course, NbgraderError  # noqa: E402
from autograder.execution.parallel import dask_processes  # noqa: E402
from autograder.execution.sandbox import Sandbox, probe  # noqa: E402
from autograder.grade import autograde, autograde_serial  # noqa: E402
from autograder.image import ImageError  # noqa: E402
from autograder.image.build import GradingImage, image_of_this_kit  # noqa: E402
from autograder.image.run import image_command, image_engine  # noqa: E402
from autograder.release import release_assignment  # noqa: E402
from autograder.scoring.scores import read_scores  # noqa: E402
from autograder.intake.submission_mix import place_submissions  # noqa: E402

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


def sanitized(base: Course, assignment: str, kinds: set, scratch: Path) -> Course:
    """A copy of ``base`` with one student per kind, sanitized by nbgrader as for grading
    (outputs cleared, hidden tests back), in autograded/: what the kernel executes."""
    course = Course(shutil.copytree(base.root, scratch))
    place_submissions(course, assignment, {kind: kind for kind in kinds})
    try:
        course.nbgrader("autograde", assignment, "--force", "--create",
                        "--Autograde.autograde_preprocessors=[]")
    except NbgraderError:  # the malformed kind: nothing to sanitize
        pass
    return course


def bare_seconds(course: Course, assignment: str, kind: str) -> float:
    """Wall time of nbclient alone executing one ``kind`` notebook as nbgrader would, in
    its folder (0 for a file nbgrader could not sanitize)."""
    folder = course.autograded / kind / assignment
    path = folder / f"{assignment}.ipynb"
    if not path.is_file():
        return 0.0
    notebook = nbformat.read(path, as_version=4)
    timeout = course.config().Execute.get("timeout", 120)
    client = NotebookClient(notebook, timeout=timeout, allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})
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


def bare_side_by_side(course: Course, assignment: str, kinds: list, workers: int) -> dict:
    """kind -> wall time of bare execution while ``workers`` notebooks run at once, as they
    do on the workers (each kind run ``workers`` times; the mean)."""
    runs = [kind for kind in kinds for _ in range(workers)]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        seconds = list(pool.map(bare_seconds, [course] * len(runs), [assignment] * len(runs),
                                runs))
    return {kind: sum(t for k, t in zip(runs, seconds) if k == kind) / workers
            for kind in kinds}


def differing(expected: Course, got: Course, assignment: str, students: list) -> list:
    """The students whose cell scores differ between two gradings, among those ``expected``
    graded (nbgrader leaves no autograded notebook for a submission it failed on)."""
    a, b = read_scores(expected, assignment), read_scores(got, assignment)
    graded = [s for s in students
              if (expected.autograded / s / assignment / f"{assignment}.ipynb").is_file()]
    return [s for s in graded if a.cells.get(s) != b.cells.get(s)]


def built_image(course: Course) -> tuple[list, str, str]:
    """(engine, tag, "") of a built grading image of this kit, else ([], "", why not)."""
    try:
        engine = image_engine(course, GradingImage(config=course.config()).engine)
    except ImageError as error:
        return [], "", str(error)
    tag = image_of_this_kit(engine)
    return (engine, tag, "") if tag else ([], "", "no grading image of this kit is built "
                                                  "(./kit image build)")


def grade_in_image(engine: list, tag: str, course: Course, assignment: str,
                   workers: int) -> Path:
    """Grade in the grading image, as ./kit image run does; the grading record's path."""
    done = subprocess.run(image_command(engine, tag, course.root,
                                        ["autograde", assignment, "--workers", str(workers)]),
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise NbgraderError(f"./kit image run -- autograde exited {done.returncode}: "
                            f"{done.stderr[-2000:]}")
    return course.root / "reports" / assignment / "grading.json"


def amdahl(fixed: float, serial: float, parallel: float, n: int, cores: int) -> float:
    """Predicted wall time: the fixed cost, the serial part of each submission, and the
    parallel part spread over the cores (in whole rounds: the last round waits for its
    slowest)."""
    return fixed + n * serial + math.ceil(n / cores) * parallel


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=40, help="submissions (default 40)")
    parser.add_argument("--workers", type=int, default=2, help="Dask workers (default 2)")
    parser.add_argument("--assignment", default="backprop_digits")
    parser.add_argument("--pipeline-only", action="store_true",
                        help="no serial nbgrader, no other pipelines")
    options = parser.parse_args(argv)
    assignment, n, workers = options.assignment, options.n, options.workers
    runs = ["pipeline"] if options.pipeline_only else ["serial", "pipeline", "processes",
                                                       "judge", "podman"]
    podman_problem = probe(Sandbox(backend="podman"))
    if podman_problem and "podman" in runs:
        runs.remove("podman")
    engine, tag, image_problem = built_image(Course())
    if not options.pipeline_only and not image_problem:
        runs.append("image")

    with tempfile.TemporaryDirectory(prefix="grading-speed-") as scratch:
        scratch = Path(scratch)
        print(f"releasing {assignment} into a scratch course ...", flush=True)
        base = make_course(scratch / "base", assignment)
        kinds = dict(zip((f"s{i:03d}" for i in range(n)), itertools.cycle(MIX)))
        mix = Counter(kinds.values())
        print(f"{n} submissions: " + ", ".join(f"{mix[k]} {k}" for k in MIX if mix[k]))
        print("bare execution of each kind ...", flush=True)
        floor_course = sanitized(base, assignment, set(mix), scratch / "bare")
        bare = {kind: bare_seconds(floor_course, assignment, kind) for kind in mix}
        bare_total = sum(bare[kind] for kind in kinds.values())
        side = bare_side_by_side(floor_course, assignment, list(mix), workers)
        side_total = sum(side[kind] for kind in kinds.values())

        courses, times, reports = {}, {}, {}
        for run in runs:
            course = courses[run] = Course(shutil.copytree(base.root, scratch / run))
            with open(course.root / "nbgrader_config.py", "a") as config:
                config.write(f"\nc.GuardedExecute.trusted_tests = {run == 'judge'}\n"
                             f"c.Sandbox.backend = {'podman' if run == 'podman' else 'auto'!r}\n")
            place_submissions(course, assignment, kinds)
        for run in runs:
            print({"serial": "serial nbgrader autograde ...",
                   "pipeline": f"pipeline, {workers} Dask workers (a local cluster) ...",
                   "processes": f"pipeline, a dask scheduler and {workers} dask worker "
                                "processes ...",
                   "judge": f"pipeline, {workers} Dask workers, test cells run by the "
                            "judge ...",
                   "podman": f"pipeline, {workers} Dask workers, the podman sandbox "
                             "...",
                   "image": f"pipeline, {workers} Dask workers, in the grading image "
                            f"{tag} ..."}[run], flush=True)
            if run == "serial":
                times[run], _ = timed(autograde_serial, courses[run], assignment)
            elif run == "image":
                times[run], reports[run] = timed(grade_in_image, engine, tag, courses[run],
                                                 assignment, workers)
            elif run == "processes":
                with dask_processes(workers) as address:
                    times[run], reports[run] = timed(autograde, courses[run], assignment,
                                                     scheduler=address, progress=False)
            else:
                times[run], reports[run] = timed(autograde, courses[run], assignment,
                                                 workers=workers, progress=False)
            if run in reports and not isinstance(reports[run], Exception):
                path = reports[run] if run == "image" else reports[run].path
                reports[run] = json.loads(path.read_text())
        students = sorted(kinds)
        differ = {run: differing(courses["serial" if "serial" in runs else "pipeline"],
                                 courses[run], assignment, students)
                  for run in runs if run != "serial"}
        ungraded = sorted({kinds[s] for s in students if "serial" in runs and not (
            courses["serial"].autograded / s / assignment / f"{assignment}.ipynb").is_file()})

    failed = [run for run in reports if not isinstance(reports[run], dict)]
    for run in failed:
        print(f"{run} failed: {reports[run]}")
    if "pipeline" in failed:
        return 1
    report = reports["pipeline"]
    serial_parts = report["serial_seconds"]
    per_sub_serial = (serial_parts["collect"] + serial_parts["record"]
                      + serial_parts["report"]) / n
    fixed = report["seconds"] - sum(serial_parts[k] for k in ("collect", "record", "report")) \
        - report["steps"]["grade and record"] + serial_parts["record"]
    worker = [s["seconds"] for s in report["submissions"]]
    executing = sum(nb["seconds"] for s in report["submissions"]
                    for nb in s["notebooks"].values())
    per_sub_parallel = sum(worker) / n
    floor = side_total / workers
    pipeline = times["pipeline"]

    print()
    if "serial" in runs:
        print(f"serial nbgrader autograde     {times['serial']:8.1f} s")
    print(f"pipeline ({workers} workers)          {pipeline:8.1f} s")
    if "serial" in runs:
        print(f"ratio serial / pipeline       {times['serial'] / pipeline:8.2f}")
    print(f"bare execution (nbclient)     {bare_total:8.1f} s in all, {bare_total / n:.2f} s "
          f"per submission, one at a time")
    print(f"  {workers} at a time                 {side_total:8.1f} s in all, {side_total / n:.2f} s "
          f"per submission; the floor: {floor:.1f} s on {workers} cores "
          f"({bare_total / workers:.1f} s if {workers} ran as fast as one)")
    print(f"pipeline / floor              {pipeline / floor:8.2f}")
    print(f"execution on the workers      {executing:8.1f} s in all, {executing / n:.2f} s per "
          f"submission, {100 * (executing / side_total - 1):+.1f}% on bare {workers} at a "
          f"time ({100 * (executing / bare_total - 1):+.1f}% on one at a time)")
    print(f"whole task on the workers     {sum(worker):8.1f} s in all, {per_sub_parallel:.2f} s "
          f"per submission (stage, nbgrader sanitizing and scoring, execution)")
    print("pipeline steps                "
          + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in report["steps"].items()))
    print("serial work                   "
          + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in serial_parts.items())
          + f"; {per_sub_serial:.3f} s per submission, {fixed:.1f} s fixed")
    for cores in (16, 64):
        print(f"predicted, 1,000 submissions on {cores} cores: "
              f"{amdahl(fixed, per_sub_serial, per_sub_parallel, 1000, cores):6.0f} s "
              f"({fixed:.1f} s fixed + 1000 x {per_sub_serial:.3f} s serial + "
              f"{math.ceil(1000 / cores)} rounds x {per_sub_parallel:.2f} s)")
    print(f"pipeline count in / out       {report['count_in']} / {report['count_out']}")
    if "processes" in times:
        print(f"pipeline on dask processes    {times['processes']:8.1f} s "
              f"({'scores the same' if not differ['processes'] else 'DIFFER: ' + ', '.join(differ['processes'])})")
    if "judge" in times:
        print(f"pipeline, judge runs tests    {times['judge']:8.1f} s, "
              f"{100 * (times['judge'] / pipeline - 1):+.1f}% on the pipeline")
    print(f"sandbox of the pipeline       {report['sandbox'][:60]}")
    for run in ("pipeline", "podman", "image"):
        if run not in reports:
            why = ("--pipeline-only" if options.pipeline_only else
                   podman_problem if run == "podman" else image_problem)
            print(f"{run:29} not measured: {why}")
            continue
        seconds = sum(nb["seconds"] for s in reports[run]["submissions"]
                      for nb in s["notebooks"].values())
        label = reports[run]['sandbox'].split(' (')[0] + (" in the image" if run == "image" else "")
        print(f"execution, {label:19} {seconds / n:.2f} s per "
              f"submission, {100 * (seconds / side_total - 1):+.1f}% on bare {workers} at a "
              f"time, {1000 * (seconds - side_total) / n:+.0f} ms per submission; wall "
              f"{times[run]:.1f} s")
    if "serial" in runs:
        print(f"every score matched serial    "
              f"{'yes' if not differ['pipeline'] else 'NO: ' + ', '.join(differ['pipeline'])} "
              f"(serial nbgrader left these kinds ungraded: {', '.join(ungraded) or 'none'})")
    for run in ("podman", "image"):
        if run in times:
            print(f"{run + ': every score matched':29} "
                  f"{'yes' if not differ[run] else 'NO: ' + ', '.join(differ[run])}")
    bad = [run for run in ("pipeline", "processes", "podman", "image") if differ.get(run)]
    return 1 if bad or failed else 0


if __name__ == "__main__":
    sys.exit(main())
