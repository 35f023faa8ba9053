"""The numerical-gradient engine and the diagnosis, on functions with known gradients."""

import numpy as np
import pytest

from nn_utils import eval_numerical_gradient, eval_numerical_gradient_array, rel_error
from nn_utils.diagnosis import likely_mistake
from nn_utils.gradients import directional_check


def test_eval_numerical_gradient_matches_the_analytic_one_and_restores_x(capsys):
    x = np.random.default_rng(0).standard_normal((3, 4))
    before = x.copy()
    grad = eval_numerical_gradient(lambda v: float(np.sum(v ** 3)), x, verbose=False)
    assert rel_error(grad, 3 * before ** 2) < 1e-7
    assert np.array_equal(x, before)
    assert capsys.readouterr().out == ""


def test_eval_numerical_gradient_perturbs_in_place_for_closures():
    """Homework passes f that ignores its argument and reads the model's parameters."""
    params = {"W": np.arange(6.0).reshape(2, 3)}
    loss = lambda _: float(np.sum(params["W"] ** 2))  # noqa: E731
    grad = eval_numerical_gradient(loss, params["W"], verbose=True)
    assert rel_error(grad, 2 * params["W"]) < 1e-7


def test_eval_numerical_gradient_array_is_the_upstream_weighted_gradient():
    rng = np.random.default_rng(1)
    x, w, dout = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal((4, 5))
    grad = eval_numerical_gradient_array(lambda v: v @ w, x, dout)
    assert rel_error(grad, dout @ w.T) < 1e-8


def test_rel_error():
    assert rel_error(np.ones(3), np.ones(3)) == 0.0
    assert rel_error(np.array([1.0]), np.array([-1.0])) == pytest.approx(1.0)


class Counter:
    def __init__(self, w):
        self.w, self.calls = w, 0

    def __call__(self, args):
        self.calls += 1
        return args["x"] @ self.w


@pytest.mark.parametrize("size", [3, 300, 3000])
def test_directional_check_cost_does_not_grow_with_the_parameters(size):
    rng = np.random.default_rng(2)
    w = rng.standard_normal((size, 2))
    x = rng.standard_normal((4, size))
    upstream = rng.standard_normal((4, 2))
    f = Counter(w)
    results = directional_check(f, {"x": x}, {"x": upstream @ w.T}, upstream, rng, directions=3)
    assert results["x"].passed
    assert f.calls == 6


def test_directional_check_catches_one_wrong_entry_among_thousands():
    rng = np.random.default_rng(3)
    w = rng.standard_normal((2000, 3))
    x = rng.standard_normal((5, 2000))
    upstream = rng.standard_normal((5, 3))
    wrong = upstream @ w.T
    wrong[2, 1234] += 0.1
    results = directional_check(lambda a: a["x"] @ w, {"x": x}, {"x": wrong}, upstream, rng)
    assert not results["x"].passed


def test_directional_check_passes_a_zero_gradient():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 3))
    results = directional_check(lambda a: np.zeros(3), {"x": x}, {"x": np.zeros((3, 3))},
                                rng.standard_normal(3), rng)
    assert results["x"].passed


@pytest.fixture
def want():
    return np.random.default_rng(5).standard_normal((4, 4))


def test_diagnosis_names_each_pattern(want):
    assert "wrong sign" in likely_mistake("g", -want, want)
    assert "N = 8 times too large" in likely_mistake("g", 8 * want, want, batch_size=8)
    assert "average twice" in likely_mistake("g", want / 8, want, batch_size=8)
    assert "scaled by 2.5" in likely_mistake("g", 2.5 * want, want, batch_size=8)
    assert "transposed" in likely_mistake("g", want.T, want)
    assert "all zeros" in likely_mistake("g", np.zeros_like(want), want)
    assert "nan or inf" in likely_mistake("g", want * np.nan, want)
    ones = want + 1.0
    assert "ignores d_out" in likely_mistake("g", ones, want, if_upstream_ignored=ones)
    assert likely_mistake("g", want + 1, want, known_mistakes=[(want + 1, "named")]) == "named"


def test_diagnosis_says_nothing_it_cannot_support(want):
    noise = np.random.default_rng(6).standard_normal(want.shape)
    assert likely_mistake("g", want + noise, want, batch_size=4) is None
