"""An assignment's mutation score: how many wrong solutions its checks catch.

Every mutant of every solution cell whose task has autograded tests runs through that
task's visible checks and hidden tests. A mutant is killed when a test cell of its task
fails; it survives when all pass. Survivors that are not mistakes at all (the same
function written another way) are listed, each with the reason, in the assignment's
``equivalent_mutants.json``; they do not count. The score is the share of the remaining
mutants that the tests catch, a time-out counting as caught (the grader's deadline
fails the cell).

Listed mutants are not run, as cosmic-ray's filters skip the work items they mark: the
slow ones are mostly changed hyperparameters of a training run, whose every run costs a
training. ``recheck=True`` runs them too, to find entries a new check has made stale.
"""

from __future__ import annotations

import collections
import json
import os
import time
from dataclasses import dataclass, field

import nbformat

from ..authoring import task_of
from ..bundle import kit_for
from ..course import Course
from .mutants import Mutant, mutants_of_cells
from .run import KILLED, SURVIVED, TIMED_OUT, Outcome, score_notebook, tested_cells

EQUIVALENTS = "equivalent_mutants.json"
SKIPPED = "skipped"  # listed as equivalent, not run


@dataclass
class TaskScore:
    notebook: str
    task: str
    counts: collections.Counter = field(default_factory=collections.Counter)
    survivors: list[Mutant] = field(default_factory=list)  # not listed as equivalent

    @property
    def generated(self) -> int:
        return sum(self.counts.values())

    @property
    def score(self) -> float:
        counted = self.generated - self.counts["equivalent"]
        return 1.0 if not counted else (self.counts[KILLED] + self.counts[TIMED_OUT]) / counted


@dataclass
class AssignmentScore:
    assignment: str
    tasks: list[TaskScore]
    stale: list[dict]  # listed as equivalent, yet killed (or no longer generated)
    seconds: float


def equivalents(course: Course, assignment: str) -> list[dict]:
    """The assignment's list of equivalent mutants (empty when it has no file)."""
    path = course.source / assignment / EQUIVALENTS
    if not path.is_file():
        return []
    try:
        entries = json.loads(path.read_text())["equivalent"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: expected {{\"equivalent\": [...]}} ({exc})") from None
    for entry in entries:
        missing = {"notebook", "cell", "before", "after", "reason"} - set(entry)
        if missing or not str(entry.get("reason", "")).strip():
            raise ValueError(f"{path}: entry {entry} lacks {', '.join(sorted(missing)) or 'a reason'}")
    return entries


def _key(notebook: str, mutant: Mutant) -> tuple[str, str, str, str]:
    return (notebook, *mutant.key)


def score_assignment(course: Course, assignment: str, tasks: set[str] | None = None,
                     jobs: int | None = None, progress=None,
                     leave_out: frozenset[str] = frozenset(),
                     recheck: bool = False) -> AssignmentScore:
    """Run every mutant of the assignment (of ``tasks`` only, when given; never of the
    tasks in ``leave_out``) but those listed as equivalent, unless ``recheck``."""

    def chosen(task: str) -> bool:
        return (tasks is None or task in tasks) and task not in leave_out

    began = time.monotonic()
    jobs = jobs or os.cpu_count() or 1
    listed = {(e["notebook"], e["cell"], e["before"], e["after"]): e
              for e in equivalents(course, assignment)}
    seen, results = set(), []
    kit = kit_for(course, assignment)
    for path in sorted((course.source / assignment).glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        cells = {cell: source for cell, source in tested_cells(notebook).items()
                 if chosen(task_of(cell))}
        mutants = mutants_of_cells(cells, jobs)
        run, skipped = [], []
        for mutant in mutants:
            listed_here = not recheck and _key(path.stem, mutant) in listed
            (skipped if listed_here else run).append(mutant)
        outcomes = score_notebook(notebook, kit, run, jobs=jobs,
                                  progress=progress) if run else []
        outcomes += [Outcome(m, SKIPPED, 0.0) for m in skipped]
        results += _by_task(path.stem, outcomes, listed, seen)
    stale = [entry for key, entry in listed.items() if key not in seen
             and chosen(task_of(entry["cell"]))]
    return AssignmentScore(assignment, results, stale, time.monotonic() - began)


def _by_task(notebook: str, outcomes: list[Outcome], listed, seen) -> list[TaskScore]:
    tasks: dict[str, TaskScore] = {}
    for outcome in outcomes:
        task = task_of(outcome.mutant.cell)
        entry = tasks.setdefault(task, TaskScore(notebook, task))
        key = _key(notebook, outcome.mutant)
        if outcome.verdict in (SURVIVED, SKIPPED) and key in listed:
            entry.counts["equivalent"] += 1
            seen.add(key)
        else:
            entry.counts[outcome.verdict] += 1
            if outcome.verdict == SURVIVED:
                entry.survivors.append(outcome.mutant)
    return list(tasks.values())


def format_scores(scores: list[AssignmentScore], survivors: bool = False) -> str:
    """The table the command prints; with ``survivors``, each unlisted survivor too."""
    lines = [f"{'assignment':16} {'notebook':22} {'task':14} {'mutants':>7} {'killed':>6} "
             f"{'survived':>8} {'equiv':>5} {'timeout':>7} {'score':>6}"]
    for result in scores:
        for task in result.tasks:
            c = task.counts
            lines.append(f"{result.assignment:16} {task.notebook:22} {task.task:14} "
                         f"{task.generated:7} {c[KILLED]:6} {c[SURVIVED]:8} "
                         f"{c['equivalent']:5} {c[TIMED_OUT]:7} {task.score:6.1%}")
        total = collections.Counter()
        for task in result.tasks:
            total.update(task.counts)
        counted = sum(total.values()) - total["equivalent"]
        overall = (total[KILLED] + total[TIMED_OUT]) / counted if counted else 1.0
        lines.append(f"{result.assignment:16} {'(all)':22} {'':14} {sum(total.values()):7} "
                     f"{total[KILLED]:6} {total[SURVIVED]:8} {total['equivalent']:5} "
                     f"{total[TIMED_OUT]:7} {overall:6.1%}   {result.seconds:.0f} s")
        for entry in result.stale:
            lines.append(f"  stale entry in {EQUIVALENTS}: {entry['cell']}: {entry['before']} "
                         f"-> {entry['after']} (killed now, or no longer generated)")
        if survivors:
            for task in result.tasks:
                for mutant in task.survivors:
                    lines.append(f"  survived  {task.notebook}/{mutant.describe()}")
    return "\n".join(lines)


def survivor_entries(result: AssignmentScore) -> list[dict]:
    """The unlisted survivors as entries of equivalent_mutants.json, reason left to fill."""
    return [{"notebook": task.notebook, "cell": m.cell, "before": m.before, "after": m.after,
             "reason": ""} for task in result.tasks for m in task.survivors]

