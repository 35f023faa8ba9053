"""Wall-clock limits around student code: for one call, and for a whole training search.

Both rest on SIGALRM, which only the main thread can receive; a notebook's kernel runs
cells in its main thread, so the limits hold there. Elsewhere (a thread, Windows) the
block runs without a limit and callers judge the elapsed time afterwards.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

TRAINING_BUDGET_ENV = "NN_UTILS_TRAINING_BUDGET"
DEFAULT_TRAINING_BUDGET = 100.0  # seconds; below the grader's 120 s limit per cell


class Overtime(BaseException):
    """Raised by the SIGALRM handler inside student code that ran out of time.

    A BaseException, so that a student's ``except Exception`` does not swallow it.
    """


@contextlib.contextmanager
def alarm(seconds):
    """Raise Overtime after ``seconds`` of wall-clock time.

    The previous handler is restored, and a timer that was already running
    (pytest-timeout, say) is re-armed with the time it had left; when it would ring
    before ours, ours is not set at all.
    """
    outer_delay = outer_interval = 0.0
    usable = (seconds is not None and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if usable:
        outer_delay, outer_interval = signal.getitimer(signal.ITIMER_REAL)
        usable = not 0 < outer_delay <= seconds
    if not usable:
        yield
        return

    def ring(signum, frame):
        raise Overtime()

    previous = signal.signal(signal.SIGALRM, ring)
    start = time.monotonic()
    try:
        signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3))
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)
        if outer_delay > 0:
            left = outer_delay - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), outer_interval)


def training_budget_seconds() -> float:
    """The budget: ``$NN_UTILS_TRAINING_BUDGET`` seconds if set, else the default."""
    configured = os.environ.get(TRAINING_BUDGET_ENV, "").strip()
    if not configured:
        return DEFAULT_TRAINING_BUDGET
    try:
        seconds = float(configured)
    except ValueError:
        raise ValueError(f"{TRAINING_BUDGET_ENV}={configured!r} is not a number of seconds")
    if seconds <= 0:
        raise ValueError(f"{TRAINING_BUDGET_ENV} must be positive, got {seconds}")
    return seconds


@contextlib.contextmanager
def training_budget(seconds: float | None = None):
    """Stop the block (a hyperparameter search, say) once ``seconds`` have passed.

    The block is interrupted where it stands and the cell goes on: whatever the block
    stored before that moment (the best network so far) is kept and graded. A message
    on stdout says when the budget ran out, so the same happens visibly at home and at
    grading time.
    """
    seconds = training_budget_seconds() if seconds is None else seconds
    start = time.monotonic()
    try:
        with alarm(seconds):
            yield
    except Overtime:
        print(f"Time budget of {seconds:g} s used up after {time.monotonic() - start:.0f} s: "
              "training stopped here. What you stored before this moment is kept.")
