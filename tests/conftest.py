import shutil
import sys
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
# The shared test modules' asserts say what differed, as the test files' own do.
pytest.register_assert_rewrite("end_to_end", "gradescope_layout")


def make_course_copy(root: Path):
    """A fresh nbgrader course directory at ``root`` holding this kit's sources and config
    (for module-scoped fixtures, which cannot use ``course_copy``)."""
    from autograder.course import Course

    root.mkdir()
    shutil.copytree(KIT / "source", root / "source")
    shutil.copy(KIT / "nbgrader_config.py", root / "nbgrader_config.py")
    return Course(root)


@pytest.fixture
def course_copy(tmp_path):
    """A fresh nbgrader course directory holding this kit's sources and config."""
    return make_course_copy(tmp_path / "course")


def released_course(root: Path, assignment: str, cell_timeout: int):
    """A course copy at ``root`` with ``assignment`` released (so its gradebook knows it)
    and nbgrader's per-cell timeout lowered to ``cell_timeout`` seconds for the tests."""
    from autograder.course import Course
    from autograder.release import release_assignment

    course = make_course_copy(root)
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.Execute.timeout = {cell_timeout}\n")
    release_assignment(course, assignment)
    return Course(course.root)


@pytest.fixture
def one_blas_thread(monkeypatch):
    """What ./kit sets: one numpy thread per kernel, so two kernels share two cores."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(name, "1")


def slow_if(condition: bool, value):
    """A parametrize value, marked slow when ``condition`` holds."""
    return pytest.param(value, marks=pytest.mark.slow) if condition else value


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: runs whole notebooks or the grading pipeline (deselect with "
                   "-m 'not slow' for the fast tier)")


# The modules that take longest (minutes each: whole demos, Gradescope's installed zip,
# trainings), started first so that the two workers finish together; xdist hands out
# whole files in collection order (pyproject.toml: --dist loadfile --no-loadscope-reorder).
LONGEST_FIRST = ("test_end_to_end_fc_nets_cifar.py", "test_grading_image.py",
                 "test_end_to_end_two_layer_mnist.py", "test_gradescope_assignments.py", "test_two_layer_mnist.py",
                 "test_gradescope.py", "test_end_to_end_nn_framework.py",
                 "test_end_to_end_backprop_digits.py")


def pytest_collection_modifyitems(items):
    def rank(item):
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: each module's own order is kept
