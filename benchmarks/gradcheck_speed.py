"""Directional gradient check versus a cs231n-style entry-by-entry loop, on the same layers.

    ./kit bench gradcheck_speed

For each layer it verifies the same correct backward both ways and prints the number of
forward evaluations, the wall time of each, and their ratio.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.special import log_softmax

from nn_utils.gradients import directional_check, eval_numerical_gradient_array


def affine_case(rng, n, d, h):
    args = {"x": rng.standard_normal((n, d)), "w": rng.standard_normal((d, h)),
            "b": rng.standard_normal(h)}
    upstream = rng.standard_normal((n, h))
    grads = {"x": upstream @ args["w"].T, "w": args["x"].T @ upstream, "b": upstream.sum(0)}
    return "Affine", lambda a: a["x"] @ a["w"] + a["b"], args, grads, upstream


def relu_case(rng, n, d):
    x = rng.standard_normal((n, d))
    x[np.abs(x) < 1e-3] = 0.5  # away from the kink
    upstream = rng.standard_normal((n, d))
    return "ReLU", lambda a: np.maximum(0, a["x"]), {"x": x}, {"x": upstream * (x > 0)}, upstream


def cross_entropy_case(rng, n, k):
    logits = rng.standard_normal((n, k))
    labels = np.eye(k)[rng.integers(0, k, n)]
    d_out = 1.7
    probs = np.exp(log_softmax(logits, axis=1))
    loss = lambda a: -np.mean(np.sum(labels * log_softmax(a["z"], axis=1), axis=1))  # noqa: E731
    return "CrossEntropy", loss, {"z": logits}, {"z": d_out * (probs - labels) / n}, d_out


class Counted:
    def __init__(self, function):
        self.function, self.calls = function, 0

    def __call__(self, args):
        self.calls += 1
        return self.function(args)


def directional(name, function, args, grads, upstream, rng):
    counted = Counted(function)
    start = time.perf_counter()
    results = directional_check(counted, args, grads, upstream, rng)
    elapsed = time.perf_counter() - start
    assert all(r.passed for r in results.values()), name
    return counted.calls, elapsed


def elementwise(name, function, args, grads, upstream):
    counted = Counted(function)
    start = time.perf_counter()
    for key, grad in grads.items():
        x = args[key].copy()
        numerical = eval_numerical_gradient_array(
            lambda v: counted({**args, key: v}), x, np.asarray(upstream, dtype=np.float64))
        assert np.allclose(numerical, grad, rtol=1e-5, atol=1e-7), (name, key)
    return counted.calls, time.perf_counter() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--features", type=int, default=256)
    parser.add_argument("--hidden", type=int, default=128)
    options = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    n, d, h = options.batch, options.features, options.hidden
    cases = [affine_case(rng, n, d, h), relu_case(rng, n, d), cross_entropy_case(rng, n, 10)]
    print(f"{'layer':<13}{'params':>9}{'fast evals':>12}{'fast s':>10}"
          f"{'loop evals':>12}{'loop s':>10}{'speed-up':>10}")
    for name, function, args, grads, upstream in cases:
        size = sum(args[k].size for k in grads)
        fast_calls, fast_time = directional(name, function, args, grads, upstream, rng)
        loop_calls, loop_time = elementwise(name, function, args, grads, upstream)
        print(f"{name:<13}{size:>9}{fast_calls:>12}{fast_time:>10.4f}"
              f"{loop_calls:>12}{loop_time:>10.3f}{loop_time / fast_time:>9.0f}x")


if __name__ == "__main__":
    main()
