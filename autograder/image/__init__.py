"""``./kit image``: the kit in a Linux container image, for graders whose own machine
cannot sandbox kernels (macOS): the whole grader runs in the image, and bubblewrap
sandboxes each student's kernel inside it, as on a Linux host.

Nothing heavy is imported here: the command line imports this package's error and names
on every start (build.py reads pyproject.toml, run.py the sandbox)."""

NAME = "localhost/nn-kit-grading"
BOOTSTRAPPED = "localhost/nn-kit-base"


class ImageError(RuntimeError):
    """The image could not be built or run: the message says why and what to do."""
