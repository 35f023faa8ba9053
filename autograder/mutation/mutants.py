"""The mutants of a solution cell: each operator applied at each place a student writes."""

from __future__ import annotations

import concurrent.futures
import difflib
import multiprocessing
from dataclasses import dataclass

from cosmic_ray.ast import Visitor, get_ast

from ..authoring import solution_lines, without_markers
from .operators import operators


@dataclass(frozen=True)
class Mutant:
    cell: str  # grade_id of the solution cell
    operator: str
    occurrence: int  # among the operator's places in the cell's written lines
    source: str  # the cell's code with the mutation (markers gone)
    before: str  # the changed lines as the reference has them ...
    after: str  # ... and as the mutant has them

    @property
    def key(self) -> tuple[str, str, str]:
        """What names a mutant across edits elsewhere in the cell."""
        return self.cell, self.before, self.after

    def describe(self) -> str:
        return f"{self.cell}: {self.before}  ->  {self.after}  [{self.operator}]"


class _OneMutation(Visitor):
    """Applies ``operator`` at its ``target``-th place on the written lines."""

    def __init__(self, operator, lines: set[int], target: int):
        self.operator, self.lines, self.target = operator, lines, target
        self.seen, self.applied = 0, False

    def visit(self, node):
        if _only_output(node):
            return node
        for index, (start, _) in enumerate(self.operator.mutation_positions(node)):
            if start[0] not in self.lines:
                continue
            if self.seen == self.target:
                node = self.operator.mutate(node, index)
                self.applied = True
            self.seen += 1
        return node


def _is_print(node) -> bool:
    return node.type == "atom_expr" and node.children[0].type == "name" \
        and node.children[0].value == "print"


def _prints_only(block) -> bool:
    """Whether a suite (or a one-line body) holds nothing but print() calls."""
    statements = [child for child in getattr(block, "children", [block])
                  if child.type not in ("newline", "operator", "endmarker")]
    for statement in statements:
        inner = statement.children[0] if statement.type == "simple_stmt" else statement
        if not _is_print(inner):
            return False
    return bool(statements)


def _only_output(node) -> bool:
    """Whether ``node`` only decides what is printed: inside a print() call, or in the
    condition of an ``if`` whose bodies only print. Output is not graded, so mutants
    there could only survive; they are not made."""
    if node.type == "if_stmt":  # an operator that negates the whole condition
        return _if_prints_only(node)
    child, parent = node, node.parent
    while parent is not None:
        if _is_print(parent):
            return True
        if parent.type == "if_stmt" and child is parent.children[1]:
            return _if_prints_only(parent)
        child, parent = parent, parent.parent
    return _is_print(node)


def _if_prints_only(statement) -> bool:
    bodies = [c for c in statement.children if c.type in ("suite", "simple_stmt")]
    return all(_prints_only(body) for body in bodies)


def mutants_of(cell: str, source: str) -> list[Mutant]:
    """Every mutant of the solution cell ``cell`` whose code (markers included) is
    ``source``: each operator at each of its places inside the solution region. Mutants
    that change nothing, repeat another's code, or change only what is printed are left
    out."""
    lines = solution_lines(source)
    reference = without_markers(source)
    found, seen_code = [], {reference}
    for name, operator in operators().items():
        target = 0
        while True:
            visitor = _OneMutation(operator, lines, target)
            tree = visitor.walk(get_ast(source))
            if not visitor.applied:
                break
            target += 1
            mutated = without_markers(tree.get_code())
            if mutated in seen_code:
                continue
            seen_code.add(mutated)
            before, after = _changed_lines(reference, mutated)
            found.append(Mutant(cell, name, target - 1, mutated, before, after))
    return found


def mutants_of_cells(cells: dict[str, str], jobs: int = 1) -> list[Mutant]:
    """``mutants_of`` for each ``{grade_id: source}``, the cells shared among ``jobs``
    forked processes (a large cell takes tens of seconds), in the cells' order."""
    if jobs <= 1 or len(cells) <= 1:
        return [m for cell, source in cells.items() for m in mutants_of(cell, source)]
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context) as pool:
        found = pool.map(mutants_of, cells.keys(), cells.values())
        return [m for mutants in found for m in mutants]


def _changed_lines(reference: str, mutated: str) -> tuple[str, str]:
    removed, added = [], []
    for line in difflib.unified_diff(reference.splitlines(), mutated.splitlines(),
                                     lineterm="", n=0):
        if line.startswith("-") and not line.startswith("---"):
            removed.append(line[1:].strip())
        elif line.startswith("+") and not line.startswith("+++"):
            added.append(line[1:].strip())
    return " / ".join(removed), " / ".join(added)
