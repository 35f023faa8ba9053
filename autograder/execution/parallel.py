"""Run grading jobs on Dask: a local cluster by default, or an existing scheduler.

Each job is one student (autograder/execution/executor.py); a worker runs one job at a time, so a
worker's memory limit is also the limit of the one kernel it runs.
"""

from __future__ import annotations

import logging
import os
import uuid
from contextlib import contextmanager
from typing import TYPE_CHECKING

from tqdm import tqdm

from autograder.execution.executor import SubmissionJob, SubmissionResult, execute_submission

if TYPE_CHECKING:
    from distributed import Client

# distributed is imported where it is used: grading without Dask (Gradescope's 768 MB
# container) saves the 25 MB it takes.


@contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None,
                memory: int | None = None):
    """A Dask client: on ``scheduler`` (an address such as tcp://127.0.0.1:8786) if given,
    else on a new local cluster of ``workers`` single-threaded worker processes (default:
    one per core), each limited to ``memory`` bytes (default: Dask's share of the RAM)."""
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler, timeout="30s") as client:
            yield client
        return
    with LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                      processes=True, memory_limit=memory or "auto", host="127.0.0.1",
                      # the scheduler's HTTP server takes port 8787 unless told otherwise,
                      # and a second cluster (another grader) then warns about it
                      dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR) as cluster:
        with Client(cluster) as client:
            yield client


def worker_memory_limit() -> int | None:
    """The memory limit of the Dask worker this runs on (None outside a worker or unset)."""
    from distributed import get_worker

    try:
        return get_worker().memory_manager.memory_limit or None
    except ValueError:
        return None


def run_on_worker(job: SubmissionJob) -> SubmissionResult:
    """The task: execute one submission, by default within this worker's memory limit."""
    return execute_submission(job, default_memory=worker_memory_limit())


def run_jobs(client: Client | None, jobs: list[SubmissionJob], progress: bool | None = None,
             memory: int | None = None) -> dict:
    """Run every job on ``client``'s workers, or with no client one after another in this
    process, each within ``memory`` bytes (a container too small for Dask: Gradescope's).
    Return student -> SubmissionResult, or the exception that lost it (a worker that died
    with it, for example). ``progress`` None shows a bar on a terminal."""
    disable = None if progress is None else not progress  # tqdm: None = only on a terminal
    results = {}
    with tqdm(total=len(jobs), desc="grading", unit="submission", disable=disable) as bar:
        for student, outcome in (_on_workers(client, jobs) if client else _here(jobs, memory)):
            results[student] = outcome
            bar.set_postfix_str(student, refresh=False)
            bar.update()
    return results


def _on_workers(client: Client, jobs: list[SubmissionJob]):
    """(student, result or exception) for each job, as the Dask workers finish them."""
    from distributed import as_completed

    run = uuid.uuid4().hex[:8]
    futures = {client.submit(run_on_worker, job, key=f"grade-{run}-{job.student}", pure=False):
               job.student for job in jobs}
    for future in as_completed(futures):
        try:
            yield futures[future], future.result()
        except Exception as error:  # KilledWorker, a lost connection: recorded, not raised
            yield futures[future], error


def _here(jobs: list[SubmissionJob], memory: int | None):
    """(student, result or exception) for each job, run in this process in turn."""
    for job in jobs:
        try:
            yield job.student, execute_submission(job, default_memory=memory)
        except Exception as error:  # one submission's failure must not stop the others
            yield job.student, error
