"""What every public checker does around its own logic."""

import functools

import numpy as np

from .integrity import verify_intact
from .quiet import quiet_numpy

SUCCESS = "All checks passed successfully!"


# Other random states a check must leave as it found them, each with save() and restore():
# at grading time, the student's kernel's, when the checks run in the grader's process
# (autograder/execution/judge.py). Empty in a student's notebook.
RANDOM_STATE_MIRRORS: list = []


def checker(function):
    """Make ``function`` a student-facing checker.

    The wrapped checker first confirms that numpy, the builtins and the checkers are the
    ones imported (integrity.py), then prints the success line and returns None, or
    raises CheckFailure. Numpy warnings stay off stderr, and numpy's global random state is
    restored afterwards, so running a check never changes the numbers a student's later
    cells produce.
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        verify_intact()
        state = np.random.get_state()
        for mirror in RANDOM_STATE_MIRRORS:
            mirror.save()
        try:
            with quiet_numpy():
                function(*args, **kwargs)
        finally:
            np.random.set_state(state)
            for mirror in reversed(RANDOM_STATE_MIRRORS):
                mirror.restore()
        print(SUCCESS)

    return wrapper
