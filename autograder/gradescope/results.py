"""results.json as Gradescope's autograder specification describes it.

One test per graded cell of the assignment's notebooks, in notebook order:

- a test cell: its points from the gradebook, and as output what its checks said (the
  error's message and anything printed; never a traceback, which quotes the test's code).
  A cell with hidden tests is shown at ``hidden_visibility`` ("after_published" unless
  the course says otherwise), every other one at once;
- a written or plotted answer graded by a person: 0 of 0 points, named as left for the
  PDF (Gradescope's manually graded questions hold its points).

The total is the sum of the tests' scores.
"""

from __future__ import annotations

import nbformat
from nbgrader.api import MissingEntry

from autograder.course import Course
from autograder.hidden_tests import BEGIN_HIDDEN

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
MAX_OUTPUT = 5000  # characters of one test's output; a checker's message is far shorter


def cell_output(cell) -> str:
    """What a graded cell said when it ran: printed text and error messages, no traceback."""
    said = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            said.append(output.text)
        elif output.output_type == "error":
            said.append(f"{output.ename}: {output.evalue}")
    text = "".join(part if part.endswith("\n") else part + "\n" for part in said).strip()
    return text if len(text) <= MAX_OUTPUT else text[:MAX_OUTPUT] + "\n[... cut]"


def _grade(gradebook, grade_id: str, notebook: str, assignment: str, student: str):
    try:
        return gradebook.find_grade(grade_id, notebook, assignment, student)
    except MissingEntry:
        return None


def graded_cells(course: Course, assignment: str, student: str, why_not: str = "") -> list:
    """The tests of results.json without visibility: one dict per graded cell, with
    ``hidden`` (the cell has hidden tests) and ``manual`` (a person grades it).

    A cell without a gradebook row or autograded notebook (nothing could be graded)
    scores 0 with ``why_not`` as its output."""
    tests = []
    with course.gradebook() as gradebook:
        for source in sorted((course.source / assignment).glob("*.ipynb")):
            graded = course.autograded / student / assignment / source.name
            ran = {c.metadata.get("nbgrader", {}).get("grade_id"): c
                   for c in nbformat.read(graded, as_version=4).cells} if graded.is_file() else {}
            for cell in nbformat.read(source, as_version=4).cells:
                meta = cell.metadata.get("nbgrader", {})
                if not meta.get("grade"):
                    continue
                grade = _grade(gradebook, meta["grade_id"], source.stem, assignment, student)
                manual = bool(meta.get("solution"))
                top = float(meta.get("points", 0))
                if manual:
                    output = (f"Graded by a person from your PDF ({top:g} points on "
                              f"Gradescope's question for it); not part of this score.")
                elif grade is None or meta["grade_id"] not in ran:
                    output = why_not or "This cell could not be graded."
                else:
                    output = cell_output(ran[meta["grade_id"]]) or "All checks passed."
                score = float(grade.score) if grade is not None and not manual else 0.0
                tests.append({"name": f"{meta['grade_id']} ({source.stem})",
                              "score": score, "max_score": 0.0 if manual else top,
                              "output": output, "manual": manual,
                              "hidden": BEGIN_HIDDEN in cell.source})
    return tests


def results_json(tests: list, seconds: float, summary: str,
                 hidden_visibility: str = "after_published") -> dict:
    """The results.json document for ``tests`` (graded_cells)."""
    if hidden_visibility not in VISIBILITIES:
        raise ValueError(f"hidden tests' visibility must be one of {', '.join(VISIBILITIES)}, "
                         f"not {hidden_visibility!r}")
    entries = []
    for number, test in enumerate(tests, 1):
        entry = {"name": test["name"], "number": str(number), "score": test["score"],
                 "max_score": test["max_score"], "output": test["output"],
                 "visibility": hidden_visibility if test["hidden"] else "visible"}
        if not test["manual"]:
            entry["status"] = "passed" if test["score"] >= test["max_score"] else "failed"
        entries.append(entry)
    manual = [t["name"] for t in tests if t["manual"]]
    if manual:
        summary += ("\n\nGraded by a person from your PDF, not by this autograder: "
                    + ", ".join(manual) + ".")
    return {"score": sum(t["score"] for t in tests), "execution_time": round(seconds),
            "output": summary.strip(), "stdout_visibility": "hidden", "tests": entries}
