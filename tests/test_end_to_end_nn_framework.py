"""The demo of nn_framework, released and graded for real (tests/end_to_end.py)."""

from end_to_end import *  # noqa: F401,F403  the end-to-end tests every assignment runs

ASSIGNMENT = "nn_framework"
