"""Attacks on the grading kernel from inside it (issue 13), graded for real and measured.

Every attack of tests/kernel_attacks.py is placed in one course beside a correct, a blank
and a WRONG submission (the unattacked bases), and all are graded once, as ./kit grade
does (sandbox on, two workers). For each attack the test measures what it gained over its
own base, cell by cell; whether the hidden tests' code reached what the student gets back
(the feedback made from the autograded notebook); and whether grading flagged it. It
asserts what must hold today, and that the attacks which succeed are exactly
KNOWN_TO_SUCCEED_TODAY, so that the fix of issue 13 shows up as a set to empty.
"""

import re
import shutil
import time

import nbformat
import pytest

from autograder.authoring import fill_solutions, reference_answers
from autograder.course import Course
from autograder.results.feedback import feedback_notebook
from autograder.grade import autograde
from autograder.hidden_tests import BEGIN_HIDDEN, END_HIDDEN
from autograder.execution.limits import Limits
from autograder.scoring.scores import read_scores
from autograder.intake.submission_mix import place_submissions
# The hostile suite's course, limits and marks (skipped where no sandbox can start).
from test_sandbox import MEMORY, pytestmark, released  # noqa: F401 (a fixture and marks)
from kernel_attacks import (ASSIGNMENT, HIDDEN_TESTS, KERNEL_ATTACKS, KNOWN_TO_SUCCEED_TODAY,
                            WRONG)

NOTEBOOK = f"{ASSIGNMENT}.ipynb"
BASES = ("correct", "blank", "wrong")  # the unattacked submissions, by student id
READER = "reads_graded_notebook"
FOUND = re.compile(r"hidden tests found in the working folder: (\d+)")
NOTEBOOKS_READ = re.compile(r"notebooks read: (\[.*\])")


def wrong_answers(source) -> dict:
    """The WRONG submission's solution cells: the reference with one mistake per task."""
    answers = reference_answers(source)
    for grade_id, old, new in WRONG:
        assert answers[grade_id].count(old) == 1, (grade_id, old)
        answers[grade_id] = answers[grade_id].replace(old, new)
    return {grade_id: answers[grade_id] for grade_id, _, _ in WRONG}


def attacked_text(course: Course, attack) -> str:
    """The notebook a student hands in for ``attack``: its base with the attack's code put
    in front of the code of the attack's cell."""
    released = nbformat.read(course.release / ASSIGNMENT / NOTEBOOK, as_version=4)
    source = nbformat.read(course.source / ASSIGNMENT / NOTEBOOK, as_version=4)
    answers = wrong_answers(source) if attack.base == "wrong" else {}
    as_released = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source
                   for c in released.cells}
    answers[attack.cell] = attack.code + "\n\n" + answers.get(attack.cell,
                                                               as_released[attack.cell])
    return nbformat.writes(fill_solutions(released, answers))


def place_all(course: Course) -> None:
    place_submissions(course, ASSIGNMENT, {"correct": "correct", "blank": "blank"})
    source = nbformat.read(course.source / ASSIGNMENT / NOTEBOOK, as_version=4)
    released = nbformat.read(course.release / ASSIGNMENT / NOTEBOOK, as_version=4)
    texts = {"wrong": nbformat.writes(fill_solutions(released, wrong_answers(source)))}
    texts.update({a.name: attacked_text(course, a) for a in KERNEL_ATTACKS})
    for student, text in texts.items():
        folder = course.submitted / student / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        (folder / NOTEBOOK).write_text(text)


def hidden_lines(course: Course) -> list:
    """Lines of the hidden tests' code distinctive enough to recognise where they show."""
    source = nbformat.read(course.source / ASSIGNMENT / NOTEBOOK, as_version=4)
    lines = []
    for cell in source.cells:
        inside = False
        for line in cell.source.splitlines():
            if BEGIN_HIDDEN in line or END_HIDDEN in line:
                inside = BEGIN_HIDDEN in line
            elif inside and len(line.strip()) >= 25 and not line.strip().startswith("#"):
                lines.append(line.strip())
    assert len(lines) >= 6, lines
    return lines


def shown_text(notebook) -> str:
    """Everything a notebook shows: sources and outputs (streams, results, errors)."""
    parts = []
    for cell in notebook.cells:
        parts.append(cell.source)
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts += [str(v) for v in output.get("data", {}).values()]
            parts += [str(output.get("evalue", "")), "\n".join(output.get("traceback", []))]
    return "\n".join(parts)


def feedback_views(course: Course, students) -> dict:
    """student -> the text of their feedback notebook (autograder/results/feedback.py, hidden tests
    stripped as for the real feedback): what a student gets to see of the graded run."""
    views = {}
    with course.gradebook() as gradebook:
        for student in students:
            path = course.autograded / student / ASSIGNMENT / NOTEBOOK
            graded = nbformat.read(path, as_version=4)
            submission = gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
            views[student] = shown_text(feedback_notebook(graded, submission, student,
                                                          ASSIGNMENT, ASSIGNMENT))
    return views


def printed(course: Course, student: str) -> str:
    path = course.autograded / student / ASSIGNMENT / NOTEBOOK
    notebook = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code"
                   for o in c.get("outputs", []) if o.output_type == "stream")


@pytest.mark.slow
@pytest.mark.parametrize("tests_run", ["in the kernel", "by the judge"])
def test_kernel_attacks_measured(released, tmp_path, capsys, tests_run):
    course = Course(tmp_path / "course")
    shutil.copytree(released.root, course.root)
    trusted = tests_run == "by the judge"  # the default (autograder/execution/judge.py)
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.GuardedExecute.trusted_tests = {trusted}\n")
    place_all(course)
    students = [*BASES, *(a.name for a in KERNEL_ATTACKS)]

    started = time.monotonic()
    report = autograde(course, ASSIGNMENT, workers=2, limits=Limits(memory=MEMORY))
    seconds = time.monotonic() - started

    # Every submission that came in has a gradebook row and an autograded notebook.
    assert (report.count_in, report.count_out, report.missing) == (len(students),) * 2 + ([],)
    scores = read_scores(course, ASSIGNMENT)
    entries = {s["student"]: s for s in report.submissions}
    tests = [g for g in scores.grade_ids if g in scores.autograded]
    full = sum(scores.cells["correct"][g].max_score for g in tests)

    # The unattacked bases: the correct work scores full marks, the blank nothing; neither
    # is flagged.
    assert scores.graded_total("correct") == (full, full) and full == 40
    assert entries["correct"]["flags"] == [] and entries["correct"]["status"] == "ok"
    assert sum(scores.cells["blank"][g].score for g in tests) == 0
    assert entries["blank"]["flags"] == []

    signs = hidden_lines(course)
    views = feedback_views(course, students)
    rows, succeeded, unflagged, reader = [], set(), set(), None
    for attack in KERNEL_ATTACKS:
        cells, base = scores.cells[attack.name], scores.cells[attack.base]
        gained = [g for g in tests if cells[g].score > base[g].score]
        points = sum(cells[g].score for g in tests)
        own = sum(base[g].score for g in tests)
        shown = [s for s in signs if s in views[attack.name]]
        found = FOUND.search(printed(course, attack.name))
        if attack.name == READER:
            opened = NOTEBOOKS_READ.search(printed(course, READER))
            reader = (bool(opened) and f"/{NOTEBOOK}'" in opened.group(1),
                      found and int(found.group(1)), shown)
        read = bool(shown) or bool(found and int(found.group(1)))
        entry = entries[attack.name]
        flagged = bool(entry["flags"])
        if gained or read:
            succeeded.add(attack.name)
        if not flagged:
            unflagged.add(attack.name)
        first = entry["flags"][0] if entry["flags"] else {"status": entry["status"],
                                                          "reason": entry["reason"]}
        gain = sum(cells[g].score - base[g].score for g in gained)
        rows.append((attack, points, own, gained, gain, len(shown), flagged,
                     f"{first['status']}: {first['reason']}" if flagged else entry["status"]))

    figures = {"attacks tried": len(KERNEL_ATTACKS),
               "neutralised": len(KERNEL_ATTACKS) - len(succeeded),
               "flagged": sum(r[6] for r in rows), "submissions lost": len(report.missing)}
    with capsys.disabled():
        print(f"\nkernel attacks (issue 13), test cells run {tests_run}, graded in "
              f"{seconds:.0f} s (one run, 2 workers); "
              f"autograded points of {full:g}; 'target': the points it goes for (or the hidden "
              "tests); 'own': what the same submission earns without the attack; 'shown': "
              "hidden-test lines in the student's feedback")
        print(f"  {'attack':32} {'base':5} {'target':>6} {'points':>6} {'own':>4} "
              f"{'neutralised':11} {'flagged':7} {'shown':>5}  what it got")
        for attack, points, own, gained, gain, shown, flagged, said in rows:
            got = []
            if gained:
                got.append(f"+{gain:g} points ({', '.join(gained)})")
            if shown:
                got.append(f"{shown} hidden-test lines shown")
            target = "hidden" if attack.targets == HIDDEN_TESTS else \
                f"{sum(scores.cells['correct'][g].max_score for g in attack.targets):g}"
            print(f"  {attack.name:32} {attack.base:5} {target:>6} {points:6g} {own:4g} "
                  f"{attack.name not in succeeded!s:11} {flagged!s:7} {shown:5}  "
                  f"{'; '.join(got) or 'nothing'}" + (f"; flag {said[:100]}" if flagged else ""))
        for student in BASES:
            print(f"  (unattacked {student}: {sum(scores.cells[student][g].score for g in tests):g}"
                  f"/{full:g}, status {entries[student]['status']}, "
                  f"flags {len(entries[student]['flags'])}, "
                  f"shown {sum(s in views[student] for s in signs)})")
        print("  " + ", ".join(f"{k} {v}" for k, v in figures.items()))
        print(f"  succeeded today: {sorted(succeeded)}")
    assert figures["submissions lost"] == 0
    # Fixed today: the kernel's copy of the notebook holds no hidden tests (the reader ran,
    # read the notebook being graded in its working folder, found none and showed none).
    assert reader == (True, 0, []), (reader, printed(course, READER))
    # Every attack is flagged: the kernel watch sees the machinery changed and the graded
    # notebook opened, the grader sees the history read in the notebook's text. The forged
    # oracle is flagged where there is an oracle to replace (the judge's).
    assert unflagged == (set() if trusted else {"oracle_answers_forged"}), unflagged
    assert any("opened the notebook file" in f["reason"] for f in entries[READER]["flags"])
    assert any("history of the cells it ran ('In')" in f["reason"]
               for f in entries["history_reveals_hidden_tests"]["flags"])
    # Run by the judge, the test cells never meet the student's code: nothing succeeds.
    # Run in the kernel, what succeeds is exactly KNOWN_TO_SUCCEED_TODAY.
    expected = set() if trusted else KNOWN_TO_SUCCEED_TODAY
    assert succeeded == expected, (
        f"newly succeeding: {sorted(succeeded - expected)}; no longer "
        f"succeeding: {sorted(expected - succeeded)}")
