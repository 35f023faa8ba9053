"""Checks refuse to run once notebook code has replaced what they rely on."""

import builtins
import contextlib
import io

import numpy as np
import pytest

from notebook_runner import importing_as_nn_utils, kit

nn_utils = kit("fc_nets_cifar")


@pytest.fixture(autouse=True)
def imported_as_in_a_notebook():
    """nn_utils as a notebook of the assignment imports it (its student bundle)."""
    with importing_as_nn_utils(nn_utils):
        yield


def correct_autoencoder_gradient(W, x):
    a = W.T @ W @ x - x
    return np.outer(W @ x, a) + W @ np.outer(a, x)


@contextlib.contextmanager
def replaced(module, name, value):
    original = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, original)


@pytest.mark.parametrize("module,name", [(np, "allclose"), (np, "isclose"), (np, "abs"),
                                         (np.testing, "assert_allclose"), (builtins, "float"),
                                         (builtins, "abs")])
def test_a_replaced_numpy_or_builtin_function_stops_every_check(module, name):
    wrong = lambda W, x: np.zeros_like(W)  # noqa: E731 - a wrong answer the fake would pass
    with replaced(module, name, getattr(module, name)):  # the same object: still intact
        with contextlib.redirect_stdout(io.StringIO()):
            nn_utils.check_grad_autoencoder(correct_autoencoder_gradient)
    fake = (lambda *args, **kwargs: True)
    with replaced(module, name, fake):
        with pytest.raises(nn_utils.CheckFailure, match=f"replaced .*{name}"):
            nn_utils.check_grad_autoencoder(wrong)
    with contextlib.redirect_stdout(io.StringIO()):  # restored: checks run again
        nn_utils.check_grad_autoencoder(correct_autoencoder_gradient)


def test_checkers_cannot_be_rebound_or_deleted():
    with pytest.raises(AttributeError, match="part of the grading kit"):
        nn_utils.check_affine_functions = lambda *args: None
    with pytest.raises(AttributeError, match="part of the grading kit"):
        del nn_utils.check_relu_functions
    assert nn_utils.check_affine_functions.__wrapped__.__name__ == "check_affine_functions"
    nn_utils.some_new_name = 1  # new names are harmless and allowed
    assert nn_utils.some_new_name == 1


def test_a_checker_written_into_the_module_dict_still_runs_and_is_named():
    original = vars(nn_utils)["check_relu_functions"]
    vars(nn_utils)["check_relu_functions"] = lambda *args: None  # goes around __setattr__
    try:
        assert nn_utils.check_relu_functions is original  # served by the locked class, not the dict
        with pytest.raises(nn_utils.CheckFailure, match="nn_utils.check_relu_functions"):
            nn_utils.check_grad_autoencoder(correct_autoencoder_gradient)
    finally:
        vars(nn_utils)["check_relu_functions"] = original


def test_the_module_and_its_class_cannot_be_swapped():
    import types

    with pytest.raises(AttributeError, match="grading kit"):
        nn_utils.__class__ = types.ModuleType
    with pytest.raises(AttributeError, match="grading kit"):
        type(nn_utils).check_affine = property(lambda module: None)


class EqualsAnything:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False


class NeverDifferent:  # the same lie told through != only
    def __ne__(self, other):
        return False


class LyingArray(np.ndarray):
    def __eq__(self, other):
        return True


@pytest.mark.parametrize("returned", [
    lambda W, x: EqualsAnything(),
    lambda W, x: NeverDifferent(),
    lambda W, x: correct_autoencoder_gradient(W, x).view(LyingArray),
    lambda W, x: (EqualsAnything(), correct_autoencoder_gradient(W, x)),
], ids=["eq", "ne", "ndarray-subclass", "inside-a-tuple"])
def test_an_object_that_equals_anything_is_named_as_tampering(returned):
    with pytest.raises(nn_utils.CheckFailure,
                       match="grading integrity: .* object whose == says it equals anything"):
        nn_utils.check_grad_autoencoder(returned)


def test_honest_objects_with_their_own_equality_are_not_suspected():
    from dataclasses import dataclass

    from nn_utils.integrity import refuse_universal_equality

    @dataclass
    class Record:  # dataclasses define == in Python, truthfully
        value: float = 1.0

    for value in (Record(), np.ones(3), 1.5, {"W1": np.ones(2)}, [Record(), np.ones(2)]):
        refuse_universal_equality("f", value)
