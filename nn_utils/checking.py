"""What every public checker does around its own logic."""

import functools

import numpy as np

from .integrity import verify_intact
from .quiet import quiet_numpy

SUCCESS = "All checks passed successfully!"


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
        try:
            with quiet_numpy():
                function(*args, **kwargs)
        finally:
            np.random.set_state(state)
        print(SUCCESS)

    return wrapper
