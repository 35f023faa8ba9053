"""Student code that reads the shell's history of the cells it ran.

IPython keeps the source of every cell it runs (``In``, ``_ih``, ``_i``, ``_i7``, the
history manager) and their results (``Out``, ``_oh``). When test cells ran in the kernel,
their code was there, hidden tests included. The judge never sends test code to the
kernel, so the history holds none; code that reads it is still looking for it, and that
is worth a flag. The grader reads the notebook's text for it, not the kernel, so no cell
can hide its own reads; it can disguise them (a name built from pieces), which is why this
is a flag and the judge is the wall.
"""

from __future__ import annotations

import ast
import re

_HISTORY_NAMES = {"In", "Out", "_ih", "_oh", "_i", "_ii", "_iii"}
_NUMBERED_INPUT = re.compile(r"_i\d+")  # _i7: the source of cell 7
_HISTORY_ATTRIBUTES = {"history_manager", "user_ns_hidden"}


def as_python(source: str) -> tuple[str, ast.Module] | None:
    """(the cell's code as the kernel would run it, magics turned into calls, and its
    tree), or None when that is not Python."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        code = TransformerManager().transform_cell(source)
        return code, ast.parse(code)
    except (SyntaxError, ValueError):
        return None


def _python(source: str) -> ast.Module | None:
    python = as_python(source)
    return None if python is None else python[1]


def _history_name(name: str) -> bool:
    return name in _HISTORY_NAMES or bool(_NUMBERED_INPUT.fullmatch(name))


def _names(node, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def bound_names(sources) -> set[str]:
    """Every name the student's cells bind (a variable of their own called ``In``)."""
    names = set()
    for tree in filter(None, map(_python, sources)):
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                names.add(node.id)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.alias):
                names.add(node.asname or node.name.split(".")[0])
    return names


def history_reads(source: str, own: set[str] = frozenset()) -> list[str]:
    """How ``source`` reaches the shell's history, in order, each once; ``own``: names the
    student's cells bind themselves (bound_names), which are not the history."""
    found, own = [], set(own) | bound_names([source])
    tree = _python(source)
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            use = node.id if _history_name(node.id) and node.id not in own else None
        elif isinstance(node, ast.Attribute):
            use = node.attr if node.attr in _HISTORY_ATTRIBUTES else None
        elif isinstance(node, (ast.Subscript, ast.Call)):
            # user_ns["In"], getattr(shell, "history_manager")
            keys = ([node.slice] if isinstance(node, ast.Subscript)
                    else node.args[1:2] if _names(node.func, "getattr") else [])
            texts = [k.value for k in keys if isinstance(k, ast.Constant)
                     and isinstance(k.value, str)]
            use = next((repr(t) for t in texts
                        if _history_name(t) or t in _HISTORY_ATTRIBUTES), None)
        else:
            use = None
        if use is not None and use not in found:
            found.append(use)
    return found
