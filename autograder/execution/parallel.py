"""Run grading jobs on Dask: a local cluster by default, or an existing scheduler.

Each job is one student, graded by nbgrader where it runs (autograder/scoring/on_worker.py); a
worker runs one job at a time, so a worker's memory limit is also the limit of the one kernel
it runs.
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from autograder.scoring.on_worker import GradingKit, StudentJob, Submission, grade_student

if TYPE_CHECKING:
    from distributed import Client

# Dask's profiler samples a worker's threads every 10 ms, on a core its kernel also needs:
# without it a submission's task took 5.18 s instead of 5.91 s (benchmarks/grading_speed.py,
# 40 submissions on 2 workers). A cluster
# started with `dask worker` takes the same setting from its environment:
# DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False.
WORKER_CONFIG = {"distributed.worker.profile.enabled": False}

# distributed is imported where it is used: grading without Dask (Gradescope's 768 MB
# container) saves the 25 MB it takes.


@contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None,
                memory: int | None = None):
    """A Dask client: on ``scheduler`` (an address such as tcp://127.0.0.1:8786) if given,
    else on a new local cluster of ``workers`` single-threaded worker processes (default:
    one per core), each limited to ``memory`` bytes (default: Dask's share of the RAM)."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler, timeout="30s") as client:
            yield client
        return
    with dask.config.set(WORKER_CONFIG), LocalCluster(
            n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
            memory_limit=memory or "auto", host="127.0.0.1",
            # the scheduler's HTTP server takes port 8787 unless told otherwise, and a
            # second cluster (another grader) then warns about it
            dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR) as cluster:
        with Client(cluster) as client:
            yield client


@contextmanager
def dask_processes(workers: int, memory: str = "2GiB", log=None):
    """A ``dask scheduler`` and ``workers`` ``dask worker`` processes on 127.0.0.1, each
    worker one thread, as a cluster's machines run them; yields the scheduler's address."""
    import socket
    import subprocess

    from distributed import Client

    dask = str(Path(sys.executable).parent / "dask")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    out = log or subprocess.DEVNULL
    env = dict(os.environ, **{"DASK_" + key.upper().replace(".", "__").replace("-", "_"):
                              str(value) for key, value in WORKER_CONFIG.items()})
    processes = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port",
                                   str(port), "--no-dashboard"], stdout=out, stderr=out)]
    worker = [dask, "worker", address, "--nthreads", "1", "--memory-limit", memory,
              "--no-dashboard", "--host", "127.0.0.1"]
    processes += [subprocess.Popen(worker, stdout=out, stderr=out, env=env)
                  for _ in range(workers)]
    try:
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(workers, timeout=60)
        yield address
    finally:
        for process in processes[::-1]:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def worker_memory_limit() -> int | None:
    """The memory limit of the Dask worker this runs on (None outside a worker or unset)."""
    from distributed import get_worker

    try:
        return get_worker().memory_manager.memory_limit or None
    except ValueError:
        return None


def run_on_worker(kit: GradingKit, job: StudentJob) -> Submission:
    """The task: grade one student, by default within this worker's memory limit."""
    return grade_student(kit, job, default_memory=worker_memory_limit())


def run_jobs(client: Client | None, kit: GradingKit, jobs: list[StudentJob],
             progress: bool | None = None):
    """Grade every job on ``client``'s workers, or with no client one after another in this
    process (a container too small for Dask: Gradescope's). Yield (student, Submission, or
    the exception that lost it: a worker that died with it, for example) as each finishes.
    ``progress`` None shows a bar on a terminal."""
    disable = None if progress is None else not progress  # tqdm: None = only on a terminal
    with tqdm(total=len(jobs), desc="grading", unit="submission", disable=disable) as bar:
        for student, outcome in (_on_workers(client, kit, jobs) if client
                                 else _here(kit, jobs)):
            bar.set_postfix_str(student, refresh=False)
            bar.update()
            yield student, outcome


def _on_workers(client: Client, kit: GradingKit, jobs: list[StudentJob]):
    """(student, result or exception) for each job, as the Dask workers finish them."""
    from distributed import as_completed

    run = uuid.uuid4().hex[:8]
    # Sent to each worker once, not with every job.
    [shared] = client.scatter([kit], broadcast=True, hash=False)
    futures = {client.submit(run_on_worker, shared, job, key=f"grade-{run}-{job.student}",
                             pure=False): job.student for job in jobs}
    for future in as_completed(futures):
        try:
            yield futures[future], future.result()
        except Exception as error:  # KilledWorker, a lost connection: recorded, not raised
            yield futures[future], error
        future.release()


def _here(kit: GradingKit, jobs: list[StudentJob]):
    """(student, result or exception) for each job, run in this process in turn."""
    for job in jobs:
        try:
            yield job.student, grade_student(kit, job, default_memory=kit.memory)
        except Exception as error:  # one submission's failure must not stop the others
            yield job.student, error
