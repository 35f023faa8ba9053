"""Notice when notebook code has replaced what the checks rely on.

A check compares the student's numbers with the kit's own references using numpy. Code
in the same kernel could swap ``np.allclose`` for something that always says yes, or
replace a checker with a function that does nothing. ``nn_utils`` records the originals
when it is imported (in the notebook's locked setup cell, before any student code runs);
every check first confirms that they are still in place and fails, naming what changed,
when they are not. This detects tampering in the kernel; the grading sandbox is what
keeps the files (hidden tests, the gradebook) out of reach.
"""

from __future__ import annotations

import builtins
import sys
import types

import numpy as np
import numpy.testing

from .errors import fail

_NUMPY_NAMES = ("allclose", "isclose", "array_equal", "asarray", "array", "abs", "max",
                "min", "sum", "mean", "argmax", "exp", "log", "isfinite", "all", "any",
                "maximum", "where", "einsum", "errstate", "seterr", "geterr")
_BUILTIN_NAMES = ("float", "int", "abs", "isinstance", "len", "all", "any", "max", "min",
                  "sum", "print", "type")


def _snapshot() -> dict:
    """(where, name) -> the object there now."""
    found = {("numpy", name): getattr(np, name) for name in _NUMPY_NAMES}
    found[("numpy.testing", "assert_allclose")] = np.testing.assert_allclose
    found[("numpy.linalg", "norm")] = np.linalg.norm
    found[("numpy.random", "get_state")] = np.random.get_state
    found[("numpy.random", "set_state")] = np.random.set_state
    found.update({("builtins", name): getattr(builtins, name) for name in _BUILTIN_NAMES})
    return found


_ORIGINAL = _snapshot()
_MODULES = {"numpy": np, "numpy.testing": numpy.testing, "numpy.linalg": np.linalg,
            "numpy.random": np.random, "builtins": builtins}
_CHECKERS: dict[str, object] = {}


def record_checkers(namespace: dict) -> None:
    """Remember the public checkers of ``nn_utils`` as they are at import."""
    _CHECKERS.update({name: value for name, value in namespace.items()
                      if name.startswith("check_") and callable(value)})


def replaced() -> list[str]:
    """Dotted names of everything changed since import (empty when all is intact)."""
    changed = [f"{where}.{name}" for (where, name), original in _ORIGINAL.items()
               if getattr(_MODULES[where], name, None) is not original]
    if sys.modules.get("numpy") is not np:
        changed.append("sys.modules['numpy']")
    package = sys.modules.get(__package__)
    if package is None:
        changed.append(f"sys.modules[{__package__!r}]")
    else:
        # The checkers recorded at import, and those a locked module serves.
        served = {name: value.fget(package) for name, value in vars(type(package)).items()
                  if isinstance(package, ProtectedModule) and isinstance(value, property)}
        changed += [f"{__package__}.{name}" for name, original in {**_CHECKERS, **served}.items()
                    if getattr(package, name, None) is not original
                    or vars(package).get(name) is not original]
    return changed


class _LockedType(type):
    """The type of ProtectedModule's subclasses: their attributes cannot be reassigned."""

    def __setattr__(cls, name, value):
        raise AttributeError(f"{cls.__name__} is part of the grading kit and cannot be changed")

    def __delattr__(cls, name):
        raise AttributeError(f"{cls.__name__} is part of the grading kit and cannot be changed")


class ProtectedModule(types.ModuleType):
    """A module whose public names cannot be rebound or deleted by assignment.

    ``nn_utils.check_affine = lambda *a: None`` in a student's cell raises instead of
    silently turning a hidden test into a no-op.
    """

    def __setattr__(self, name, value):
        if name == "__class__" or (not name.startswith("_") and name in self.__dict__):
            raise AttributeError(f"{self.__name__}.{name} is part of the grading kit and "
                                 "cannot be replaced")
        super().__setattr__(name, value)

    def __delattr__(self, name):
        if not name.startswith("_"):
            raise AttributeError(f"{self.__name__}.{name} is part of the grading kit and "
                                 "cannot be deleted")
        super().__delattr__(name)


def lock(module: types.ModuleType, checkers: dict) -> None:
    """Make ``module`` a ProtectedModule whose ``checkers`` (name -> function) are served
    by read-only properties of its (locked) class, so that even an entry written straight
    into the module's ``__dict__`` does not replace them."""
    served = {name: property(lambda module, original=original: original)
              for name, original in checkers.items()}
    module.__class__ = _LockedType("ProtectedModule", (ProtectedModule,), served)


def protect(module_name: str) -> None:
    """Lock the (already imported) module ``module_name`` with the checkers recorded."""
    lock(sys.modules[module_name], _CHECKERS)


def _equals_anything(value) -> bool:
    """Whether ``value``'s own (Python) == says it equals an object it cannot know."""
    kind = type(value)
    if not any(isinstance(getattr(kind, name, None), types.FunctionType)
               for name in ("__eq__", "__ne__")):
        return False  # numbers, arrays and plain classes compare the usual way
    stranger = object()
    try:
        return bool(value == stranger) or not bool(value != stranger)
    except Exception:
        return False


def refuse_universal_equality(where: str, value, depth: int = 2) -> None:
    """Fail if ``value`` (or an item of a tuple, list or dict it is) claims to equal
    anything: an object built to pass every ``==`` a test might use. The checks compare
    float64 copies, so it could not pass them; this says what it is instead."""
    items = (value.values() if isinstance(value, dict) else value
             if isinstance(value, (tuple, list)) else ())
    if _equals_anything(value):
        fail("grading integrity", f"{where} returned a {type(value).__name__} object whose "
             "== says it equals anything",
             "checks compare plain numbers: return numpy arrays and floats.")
    for item in list(items)[:50] if depth else ():
        refuse_universal_equality(where, item, depth - 1)


def verify_intact() -> None:
    """Fail, naming them, if numpy, builtins or the checkers were replaced."""
    changed = replaced()
    if changed:
        fail("grading integrity", f"this notebook replaced {', '.join(changed[:5])}"
             + (f" and {len(changed) - 5} more" if len(changed) > 5 else ""),
             "checks do not run once the functions they rely on have been replaced; remove "
             "the code that assigns to them and run the notebook again.")
