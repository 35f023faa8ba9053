"""Hostile submissions and what grading must make of them (graded in test_sandbox.py).

Each attack is correct work with the attack put in front of the first solution cell's code
(autograder/intake/submission_mix.py), so whatever the attack stops costs the points of the cells
that test that code, and nothing else. ``code`` is a template: {course} is the course
folder on the grader's machine, {other} a student whose files it goes for, {port} a TCP
port the test listens on at 127.0.0.1, {assignment} the assignment. ``status`` is what the
grading report must say; ``reason`` a phrase its reason must contain; ``zeroed`` the cells
that must score 0 (the attack kept the code they test from being defined; None: all).
An attack on the checks themselves (a checker or numpy replaced in the kernel) zeroes
nothing: the judge runs the checks with the grader's own, so the correct work under it
earns what it earns, and the attack earns nothing but its flag.
``edit``, if given, changes the submitted notebook itself (its test cells, their points,
their metadata) after the code is in place.
"""

from __future__ import annotations

from dataclasses import dataclass

FIRST_TASK = ("affine-check", "affine-hidden")  # the cells testing the first solution cell


@dataclass(frozen=True)
class Attack:
    name: str  # also the student's id
    threat: str
    code: str
    status: str
    reason: str
    zeroed: tuple | None = FIRST_TASK
    edit: object = None  # a function that changes the submitted notebook's cells in place


def edit_test_cells(notebook) -> None:
    """Make the first test pass whatever the code does and worth 1000 points, delete the
    hidden test after it, and turn the next test cell into an answer cell."""
    kept = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") == "affine-check":
            cell.source = "pass"
            meta["points"] = 1000
        if meta.get("grade_id") == "relu-check":
            meta.update(solution=True, locked=False)
        if meta.get("grade_id") != "affine-hidden":
            kept.append(cell)
    notebook.cells = kept


ATTACKS = (
    Attack("read_secrets", "read the gradebook, the hidden tests, another student's work "
           "and the course's config",
           """
_paths = ["{course}/gradebook.db", "{course}/source/{assignment}/{assignment}.ipynb",
          "{course}/submitted/{other}/{assignment}/{assignment}.ipynb",
          "{course}/nbgrader_config.py"]
_leaked, _blocked = [], []
for _path in _paths:
    try:
        with open(_path, "rb") as _file:
            _leaked.append(_file.read(100))
    except OSError as _error:
        _blocked.append(_error)
print(f"leaked {{len(_leaked)}} of {{len(_paths)}} files")
if _blocked:
    raise _blocked[0]
""", "sandbox_denied", "gradebook.db, outside its own folder"),
    Attack("write_others", "rewrite the gradebook and another student's submission",
           """
import glob as _glob
_targets = ["{course}/gradebook.db",
            "{course}/submitted/{other}/{assignment}/{assignment}.ipynb",
            "{course}/autograded/{other}/{assignment}/{assignment}.ipynb",
            "/usr/lib/os-release", *_glob.glob("/tmp/grade-{other}-*/work/*.ipynb")]
_written, _blocked = 0, []
for _target in _targets:
    try:
        with open(_target, "ab") as _file:
            _file.write(b"tampered")
        _written += 1
    except OSError as _error:
        _blocked.append(_error)
print(f"wrote into {{_written}} of {{len(_targets)}} files")
if _blocked:
    raise _blocked[0]
""", "sandbox_denied", "gradebook.db, outside its own folder"),
    Attack("network", "open a connection to the grader's machine",
           """
import socket as _socket
_socket.create_connection(("127.0.0.1", {port}), timeout=5).sendall(b"hello from a kernel")
""", "sandbox_denied", "network connection"),
    Attack("sys_exit", "end grading with sys.exit", "import sys\nsys.exit('bye')\n",
           "exit_called", "sys.exit()"),
    Attack("os_exit", "end its kernel with os._exit", "import os\nos._exit(0)\n",
           "kernel_died", "exited with code 0", zeroed=None),
    Attack("infinite_loop", "hold the grader with an infinite loop", "while True:\n    pass\n",
           "cell_timeout", "ran longer than the limit"),
    Attack("memory_bomb", "exhaust the machine's memory",
           "import numpy as _np\n_hog = []\nwhile True:\n    _hog.append(_np.ones(8 << 20))\n",
           "out_of_memory", "memory"),
    Attack("fork_bomb", "exhaust the machine's processes (bounded at 500 in case the limit "
           "fails)",
           """
import os as _os, time as _time
_kids = 0
try:
    for _ in range(500):
        if _os.fork() == 0:
            _time.sleep(600)
            _os._exit(0)
        _kids += 1
finally:
    print(f"started {{_kids}} processes")
""", "process_limit", "processes"),
    Attack("big_output", "flood the grader and the notebook with 100 MB of output",
           "for _ in range(100):\n    print('x' * (1 << 20))\n",
           "output_truncated", "bytes of output", zeroed=()),
    Attack("patch_checker", "turn the checks into no-ops by replacing an nn_utils checker",
           """
import nn_utils as _kit
try:
    _kit.check_affine = lambda *args, **kwargs: None
except AttributeError as _refused:
    print(f"refused: {{_refused}}")
vars(_kit)["check_affine"] = lambda *args, **kwargs: None
""", "tampering", "replaced nn_utils.check_affine", zeroed=()),
    Attack("fake_allclose", "make every comparison succeed by replacing numpy's",
           """
import numpy as _np
_np.allclose = lambda *args, **kwargs: True
_np.isclose = lambda a, b, *args, **kwargs: _np.ones_like(a, dtype=bool)
""", "tampering", "replaced numpy.allclose", zeroed=()),
    Attack("ask_input", "wait forever for keyboard input", "input('password? ')\n",
           "input_requested", "keyboard input"),
    Attack("equals_anything", "pass every == with objects whose __eq__ is always true, "
           "swapped in for the student's Affine after its cell ran",
           """
class _Anything:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False


def _swap_in_liar(*_):
    if "Affine" in globals() and not getattr(Affine, "lies", False):
        class Lying(Affine):
            lies = True

            def forward(self, *args, **kwargs):
                return _Anything()

            def backward(self, *args, **kwargs):
                return _Anything(), _Anything(), _Anything()

        globals()["Affine"] = Lying


get_ipython().events.register("post_run_cell", _swap_in_liar)
""", "tampering", "registered an IPython post_run_cell callback"),
    Attack("quiet_probe", "read the gradebook, list other students' grading folders, open "
           "a connection and kill the grader, each inside try/except so that no error shows",
           """
import glob as _glob, os as _os, signal as _signal, socket as _socket
_got = []
for _try in (lambda: open("{course}/gradebook.db", "rb").read(100),
             lambda: _glob.glob("/tmp/grade-{other}-*"),
             lambda: _socket.create_connection(("127.0.0.1", {port}), timeout=5)):
    try:
        _got.append(bool(_try()))
    except Exception:
        pass
print(f"quietly got {{sum(_got)}} things")
try:
    _os.kill(_os.getppid(), _signal.SIGKILL)  # in the sandbox: its own init, which ignores it
except Exception:
    pass
""", "sandbox_denied", "gradebook.db, outside its own folder", zeroed=()),
    Attack("edit_cells", "edit a test cell to pass and be worth 1000 points, delete a "
           "hidden test and turn a test cell into an answer cell",
           "", "cells_edited", "deleted the test cell affine-hidden",
           zeroed=("affine-hidden",), edit=edit_test_cells),
)
