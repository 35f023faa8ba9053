"""Inputs for checks: seeded, float64, and chosen so finite differences are valid."""

import numpy as np


def gaussian(rng: np.random.Generator, shape) -> np.ndarray:
    """Standard normal float64 array."""
    return rng.standard_normal(shape)


def away_from_zero(rng: np.random.Generator, shape, margin: float = 0.1) -> np.ndarray:
    """Random values with |x| >= margin, so a ReLU's kink at 0 is never crossed by h."""
    magnitude = rng.uniform(margin, 1.0 + margin, size=shape)
    # Half of the entries of each sign (in random places), so that a check always sees
    # both sides of the kink and a wrong mask cannot hide.
    size = int(np.prod(shape))
    sign = np.where(rng.permutation(size) < size // 2, -1.0, 1.0).reshape(shape)
    if size == 1:
        sign = sign * rng.choice([-1.0, 1.0])
    return magnitude * sign


def upstream_gradient(rng: np.random.Generator, shape=None):
    """A random upstream gradient, never all ones.

    For a scalar output (a loss) the value is drawn away from 1.0, so that a backward
    which ignores its ``d_out`` argument gives a different answer than the chain rule.
    """
    if shape is None or shape == ():
        low, high = (0.3, 0.8) if rng.random() < 0.5 else (1.4, 2.5)
        return float(rng.uniform(low, high))
    return rng.standard_normal(shape)


def one_hot(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """(n, k) float64 one-hot rows with random classes."""
    labels = np.zeros((n, k))
    labels[np.arange(n), rng.integers(0, k, size=n)] = 1.0
    return labels


def resample(rng: np.random.Generator, draw, acceptable, attempts: int = 100_000):
    """``draw(rng)`` again until ``acceptable(value)``: keeps check inputs off a kink.

    Finite differences across a ReLU's kink measure neither side's slope, so checks draw
    inputs whose pre-activations all stay clear of 0.
    """
    for _ in range(attempts):
        value = draw(rng)
        if acceptable(value):
            return value
    raise RuntimeError(f"no acceptable input in {attempts} draws")  # a bug in the check
