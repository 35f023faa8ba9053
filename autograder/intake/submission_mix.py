"""Generated submissions for exercising the grader: right, wrong, blank and misbehaving.

Each kind of submission is the released notebook filled in the way the demo does it
(demo.py): "correct" uses the reference solutions, a demo student's name (casey, devon, ...)
uses that student's answers from demo_submissions/, "blank" is the release untouched. The
misbehaving kinds are correct work with trouble put in front of the first solution code
cell's code, so the cells that test that code lose their points:

    crash      the kernel exits (os._exit) while running it
    kill       the kernel kills the process that runs it (a grading worker is lost)
    loop       an infinite loop (stopped by the per-cell timeout)
    hog        allocates memory until the kernel's memory limit stops it
    syntax     a syntax error (graded by nbgrader as usual)
    malformed  the file is not valid notebook JSON
"""

from __future__ import annotations


import nbformat

from autograder.authoring import fill_solutions, parse_answers, reference_answers
from autograder.course import Course

TROUBLE = {
    "crash": "import os\nos._exit(1)\n",
    "kill": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n",
    "loop": "while True:\n    pass\n",
    # numpy's zeros are mapped lazily (calloc): the kernel's memory limit (RLIMIT_DATA counts
    # what is mapped) stops the loop while the machine's RAM stays free. Grade it with a limit.
    "hog": ("import numpy as _np\n_hog = []\nwhile True:\n"
            "    _hog.append(_np.zeros(64 * 2**20, dtype=_np.uint8))\n"),
    "syntax": "def broken(:\n",
}
KINDS = ("correct", "blank", "malformed", *TROUBLE)


def _first_solution_code_cell(source: nbformat.NotebookNode) -> str:
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution"):
            return meta["grade_id"]
    raise ValueError("the notebook has no solution code cell")


def submission_text(course: Course, assignment: str, kind: str, trouble: dict = TROUBLE) -> str:
    """The notebook file (as text) a student of ``kind`` hands in for ``assignment``;
    ``trouble`` maps the misbehaving kinds to their code (tests add their own)."""
    released = course.release / assignment / f"{assignment}.ipynb"
    blank = nbformat.read(released, as_version=4)
    if kind == "blank":
        return nbformat.writes(blank)
    source = nbformat.read(course.source / assignment / released.name, as_version=4)
    answers = reference_answers(source)
    if kind in trouble:
        grade_id = _first_solution_code_cell(source)
        answers[grade_id] = trouble[kind] + "\n" + answers[grade_id]
    elif kind not in ("correct", "malformed"):
        # Only demo students need demo.py, which pulls in intake, release and grading.
        from autograder.demo import DEMO_SUBMISSIONS

        spec = DEMO_SUBMISSIONS / assignment / f"{kind}.cells"
        if not spec.is_file():
            raise ValueError(f"unknown kind of submission {kind!r}: not one of {KINDS} "
                             f"and not a demo student of {assignment}")
        answers.update(parse_answers(spec.read_text()))
    text = nbformat.writes(fill_solutions(blank, answers))
    return text[: len(text) // 2] if kind == "malformed" else text


def place_submissions(course: Course, assignment: str, kinds: dict,
                      trouble: dict = TROUBLE) -> None:
    """Put each student's file straight into submitted/<student>/<assignment>/, as intake
    would, malformed ones included (the grader, not intake, is what is exercised)."""
    texts = {}  # students of the same kind hand in the same file: build it once
    for student, kind in kinds.items():
        if kind not in texts:
            texts[kind] = submission_text(course, assignment, kind, trouble)
        folder = course.submitted / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{assignment}.ipynb").write_text(texts[kind])
