"""What grading one notebook came to: the statuses grading.json and the report use."""

from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    """A notebook's status, or the kind of one problem flagged while grading it. The
    values are what grading.json says; a Status compares equal to its value."""

    OK = "ok"
    # Grading could not run the notebook (a stand-in with every cell marked as not run).
    UNREADABLE = "unreadable"
    NOT_SUBMITTED = "not_submitted"
    WORKER_LOST = "worker_lost"
    # The kernel stopped: the cells after the stop did not run.
    KERNEL_FAILED = "kernel_failed"
    KERNEL_DIED = "kernel_died"
    KERNEL_UNRESPONSIVE = "kernel_unresponsive"
    NOTEBOOK_TIMEOUT = "notebook_timeout"
    # A cell hit a limit; the cells after it ran.
    CELL_TIMEOUT = "cell_timeout"
    OUT_OF_MEMORY = "out_of_memory"
    PROCESS_LIMIT = "process_limit"
    OUTPUT_TRUNCATED = "output_truncated"
    INPUT_REQUESTED = "input_requested"
    EXIT_CALLED = "exit_called"
    # What the student's code tried or changed.
    PROGRAM_STARTED = "program_started"
    SANDBOX_DENIED = "sandbox_denied"
    TAMPERING = "tampering"
    CELLS_EDITED = "cells_edited"

    def __str__(self) -> str:
        return self.value


# The statuses after which no further cell of the notebook ran.
STOPPING = frozenset({Status.NOTEBOOK_TIMEOUT, Status.KERNEL_DIED,
                      Status.KERNEL_UNRESPONSIVE, Status.KERNEL_FAILED})
