"""The hostile suite's course and its verdict (tests/test_sandbox.py grades it with each
backend, tests/test_grading_image.py in the grading image): what each attack must have
achieved nothing of, and the flags the report must show."""

import hashlib
import shutil
import socket
import threading
from pathlib import Path

import nbformat

from autograder.course import Course
from autograder.execution.sandbox import Sandbox
from autograder.intake.submission_mix import place_submissions
from autograder.scoring.scores import read_scores
from hostile_submissions import ATTACKS, FIRST_TASK

ASSIGNMENT = "backprop_digits"


class Listener:
    """A TCP server on the grader's 127.0.0.1 that counts the connections it gets."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:  # closed
                return
            self.connections += 1
            connection.close()

    def close(self):
        self.server.close()


def hostile_course(released, where: Path, port: int) -> Course:
    """A copy of ``released`` with "ann" (correct) and one student per attack."""
    shutil.copytree(released.root, where)
    course = Course(where)
    code = {a.name: a.code.format(course=where, other="ann", port=port, assignment=ASSIGNMENT)
            for a in ATTACKS}
    place_submissions(course, ASSIGNMENT, {"ann": "correct", **{a.name: a.name for a in ATTACKS}},
                      trouble=code)
    for attack in ATTACKS:
        if attack.edit is not None:
            path = course.submitted / attack.name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
            notebook = nbformat.read(path, as_version=4)
            attack.edit(notebook)
            nbformat.write(notebook, path)
    return course


def autograded(course, student):
    path = course.autograded / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    return path, nbformat.read(path, as_version=4)


def printed(notebook) -> str:
    return "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code"
                   for o in c.get("outputs", []) if o.output_type == "stream")


def error_names(notebook) -> set:
    return {o.ename for c in notebook.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if o.output_type == "error"}


def digests(paths) -> dict:
    return {p: hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths}


def neutralised(attack, course, notebook, path, listener, untouched, scores) -> bool:
    """Whether the attack achieved nothing of what it tried (its own check)."""
    text = printed(notebook)
    if attack.name == "equals_anything":
        # The judge compares what the liar returns with its own numpy: the Affine checks it
        # aims at fail (and so do those of the network built from it).
        return all(scores.cells["equals_anything"][g].score == 0 for g in FIRST_TASK)
    if attack.name == "quiet_probe":  # and the kill left the kernel and the grader running
        return ("quietly got 0 things" in text and listener.connections == 0
                and not error_names(notebook) & {"KernelDied", "WorkerLost"}
                and scores.graded_total("quiet_probe") == scores.graded_total("ann"))
    if attack.name == "edit_cells":
        # The assignment's own test and points were used, and the deleted test gave 0.
        forged, honest = scores.cells["edit_cells"], scores.cells["ann"]
        return (forged["affine-check"].max_score == honest["affine-check"].max_score
                and forged["affine-hidden"].score == 0
                and forged["relu-check"] == honest["relu-check"])
    if attack.name == "read_secrets":
        return "leaked 0 of 4 files" in text
    if attack.name == "write_others":
        return "wrote into 0 of" in text and untouched
    if attack.name == "network":
        return listener.connections == 0
    if attack.name == "fork_bomb":
        started = int(text.split("started ")[1].split()[0])
        return started < Sandbox().processes
    if attack.name == "big_output":
        return path.stat().st_size < 2 << 20 and "output cut" in text
    if attack.name == "memory_bomb":
        return "MemoryError" in error_names(notebook)
    if attack.name == "ask_input":
        return "StdinNotImplementedError" in error_names(notebook)
    if attack.name == "sys_exit":
        return "SystemExit" in error_names(notebook)
    if attack.name == "os_exit":
        return "KernelDied" in error_names(notebook)
    if attack.name in ("patch_checker", "fake_allclose"):
        # The judge ran the checks with the grader's nn_utils and numpy: the correct work
        # under the fake scores exactly as without it. (Over wrong work, where a fake would
        # pay, tests/test_kernel_attacks.py shows that it earns nothing.)
        return scores.cells[attack.name] == scores.cells["ann"]
    if attack.name == "infinite_loop":
        return "CellTimeoutError" in error_names(notebook)
    raise AssertionError(f"no check for {attack.name}")


def assert_contained(course: Course, saved: dict, solo: Course, listener: Listener,
                     untouched: bool, sandbox: str, capsys) -> None:
    """The whole suite's verdict on a graded ``course`` (its grading.json ``saved``): every
    attack neutralised and flagged, nothing lost, and "ann" scored exactly as in ``solo``,
    where she was graded alone. ``untouched``: her submitted notebook is as it was.
    ``sandbox``: how the report must begin to describe the kernels' sandbox."""
    assert saved["sandbox"].startswith(sandbox), saved["sandbox"]
    counts = saved["count_in"], saved["count_out"], saved["missing"]
    assert counts == (len(ATTACKS) + 1,) * 2 + ([],)
    scores = read_scores(course, ASSIGNMENT)
    alone = read_scores(solo, ASSIGNMENT)
    # The correct submission in the same run: exactly its solo score, cell by cell.
    assert scores.cells["ann"] == alone.cells["ann"]
    assert scores.graded_total("ann")[0] == scores.graded_total("ann")[1] > 0
    entries = {s["student"]: s for s in saved["submissions"]}
    assert entries["ann"]["status"] == "ok" and entries["ann"]["flags"] == []

    rows = []
    for attack in ATTACKS:
        path, notebook = autograded(course, attack.name)
        entry = entries[attack.name]
        cells = scores.cells[attack.name]
        # No points it did not earn: never more than the correct work, and none for what
        # the attack kept from running.
        assert all(cells[g].score <= scores.cells["ann"][g].score for g in scores.autograded)
        zeroed = scores.autograded if attack.zeroed is None else attack.zeroed
        assert all(cells[g].score == 0 for g in zeroed), (attack.name, cells)
        flag = next((f for f in entry["flags"] if f["status"] == attack.status
                     and attack.reason in f["reason"]), None)
        contained = neutralised(attack, course, notebook, path, listener, untouched, scores)
        shown = flag or {"status": entry["status"], "reason": entry["reason"]}
        rows.append((attack.name, contained, flag is not None, shown["status"], shown["reason"]))
    figures = {"attacks tried": len(ATTACKS), "neutralised": sum(r[1] for r in rows),
               "flagged": sum(r[2] for r in rows), "submissions lost": len(saved["missing"])}
    with capsys.disabled():
        print("\nhostile submissions:")
        for name, contained, flagged, status, reason in rows:
            print(f"  {name:16} neutralised={contained!s:5} flagged={flagged!s:5} "
                  f"{status}: {reason[:110]}")
        print("  " + ", ".join(f"{k}: {v}" for k, v in figures.items()))
    assert figures == {"attacks tried": len(ATTACKS), "neutralised": len(ATTACKS),
                       "flagged": len(ATTACKS), "submissions lost": 0}, [
        r for r in rows if not (r[1] and r[2])]


