"""Gradescope's autograder of every other assignment, built, installed by its setup.sh
and run on Gradescope's layout with correct work: full marks for every autograded cell,
as ./kit grade gives the same demo student (tests/end_to_end.py), the answers graded by
hand named as left for the PDF, within the Gradescope settings' memory and time, and
inside a cgroup with the memory of Gradescope's default container (768 MB), which counts
the grader, its kernels and their page cache together. (In 350 MB the same work loses
points: `./kit bench gradescope_budget fc_nets_cifar --container 350`.)"""

import os

import pytest

from gradescope_layout import (build_zip, check_results, container_cgroup, gradescope_root,
                               installed_env, run_autograder)

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("assignment", ["nn_framework", "two_layer_mnist", "fc_nets_cifar"])
def test_correct_work_earns_every_autograded_point(tmp_path, assignment):
    from autograder.course import Course
    from autograder.demo import build_demo_submissions

    archive = build_zip(tmp_path / "course", assignment)
    env = installed_env(archive)
    root = gradescope_root(tmp_path, archive)
    demo = tmp_path / "demo"
    released = Course(root / "source" / "course")  # as the zip holds it
    for path in build_demo_submissions(released, assignment, demo):
        if path.parent.name == "avery" or path.name == "avery.ipynb":
            (root / "submission" / path.name).write_bytes(path.read_bytes())
    container = container_cgroup()
    if container is None:
        assert os.geteuid() != 0, "as root, a memory cgroup must be possible"
        pytest.skip("no memory cgroup can be made here (not root)")
    try:
        # (A kernel killed for memory would show as lost points and "What happened": the
        # kill is counted in the kernel's own cgroup, gone by now.)
        results = run_autograder(root, env, container=container)
    finally:
        container.remove()
    check_results(results)
    autograded = [t for t in results["tests"] if t["max_score"] > 0]
    assert autograded and all(t["score"] == t["max_score"] for t in autograded), [
        (t["name"], t["output"][:300]) for t in autograded if t["score"] < t["max_score"]]
    assert "What happened" not in results["output"], results["output"]
    manual = [t for t in results["tests"] if t["max_score"] == 0 and "status" not in t]
    assert manual and all("PDF" in t["output"] for t in manual)
