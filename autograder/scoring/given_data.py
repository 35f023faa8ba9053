"""Student code that changes the data the notebook's given cells loaded.

The judge runs the test cells in the grader's process, but the data they score on
(``X_test``, ``y_test``) is a name in the kernel, which a student's cell can rebind or
overwrite: predictions that match labels the student wrote score 100%. The grader reads
the notebook's text for it and flags it. Code can disguise such a change (through
``globals()``, an alias, a method that mutates), which is why this is a flag, not a wall.

Given data: the names a locked cell binds with a value made only of what locked cells
imported or defined and of other given data (``DATA = nn_utils.load_mnist()``, ``X_test =
DATA["X_test"] / 255``). A name a locked cell binds from the student's code (``params =
TwoLayerNetwork(...)``) is the student's to change. Only the given data a test cell reads
is watched: a student may reuse ``N`` or ``x`` for their own.
"""

from __future__ import annotations

import ast
import builtins
import symtable

from autograder.execution.judge import top_level_statements
from autograder.scoring.shell_history import as_python

_BUILTINS = set(dir(builtins))


def given_names(locked_sources, imported: set[str]) -> set[str]:
    """The given data of the notebook whose locked cells are ``locked_sources`` (in order);
    ``imported``: the names those cells import (judge.trusted_imports)."""
    given: set[str] = set()
    for statement in top_level_statements(locked_sources):
        if isinstance(statement, (ast.FunctionDef, ast.ClassDef)):
            given.add(statement.name)  # the course's own helper (a data loader)
            continue
        if not isinstance(statement, (ast.Assign, ast.AnnAssign)) or statement.value is None:
            continue
        used = {n.id for n in ast.walk(statement.value) if isinstance(n, ast.Name)}
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        names = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        if used <= imported | given | _BUILTINS:
            given |= names
        else:
            given -= names  # rebound from the student's code: theirs now
    return given


def changes(source: str, given: set[str]) -> list[str]:
    """The given data that ``source`` (a student's cell) rebinds, deletes or writes into,
    sorted; [] for code that does not parse (nbgrader's own error covers it)."""
    python = as_python(source)
    if python is None:
        return []
    code, tree = python
    tables = [symtable.symtable(code, "<cell>", "exec")]
    found = set()
    while tables:  # rebound or deleted at top level, or in a function that says global
        table = tables.pop()
        tables.extend(table.get_children())
        for symbol in table.get_symbols():
            top = table.get_type() == "module" or symbol.is_global()
            if top and symbol.is_assigned() and symbol.get_name() in given:
                found.add(symbol.get_name())
    for node in _top_level(tree):  # X_test[:] = ..., X_test.shape = ..., del X_test[0]
        if isinstance(node, (ast.Subscript, ast.Attribute)) and \
                isinstance(node.ctx, (ast.Store, ast.Del)):
            root = node.value
            while isinstance(root, (ast.Subscript, ast.Attribute)):
                root = root.value
            if isinstance(root, ast.Name) and root.id in given:
                found.add(root.id)
        elif isinstance(node, ast.Delete):
            found |= {t.id for t in node.targets if isinstance(t, ast.Name) and t.id in given}
    return sorted(found)


def _top_level(tree: ast.AST):
    """Every node outside functions, lambdas and classes (their names are their own)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child for child in ast.iter_child_nodes(node) if not isinstance(
            child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)))
