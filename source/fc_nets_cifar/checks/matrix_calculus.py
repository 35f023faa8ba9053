"""Checkers for fc_nets_cifar's matrix_calculus notebook: the gradients students derive by
hand, typed in as numpy formulas, compared with finite differences of the losses.

* Linear autoencoder: ``L(W) = 0.5 * ||W^T W x - x||^2`` with W (k, d) and x (d,);
  ``grad_autoencoder(W, x)`` returns dL/dW, shape (k, d).
* GPLVM with one latent coordinate per example: x (N,), Y (N, D),
  ``K = alpha * x x^T + (1 / beta) * I``. ``grad_gplvm_logdet(x, Y, alpha, beta)`` is the
  gradient of ``-(D/2) log|K|``, ``grad_gplvm_trace(...)`` of ``-(1/2) tr(K^-1 Y Y^T)``,
  ``grad_gplvm(...)`` of their sum; each has shape (N,).
"""

from __future__ import annotations

import numpy as np

from nn_utils.checking import checker
from nn_utils.diagnosis import likely_mistake, worst_entries
from nn_utils.errors import fail
from nn_utils.gradients import entrywise_derivatives, sample_indices
from nn_utils.layer_check import call_student
from nn_utils.samples import gaussian


def autoencoder_loss(W, x):
    residual = W.T @ (W @ x) - x
    return 0.5 * float(residual @ residual)


def _kernel(x, alpha, beta):
    return alpha * np.outer(x, x) + np.eye(len(x)) / beta


def gplvm_logdet_term(x, Y, alpha, beta):
    return -0.5 * Y.shape[1] * float(np.linalg.slogdet(_kernel(x, alpha, beta))[1])


def gplvm_trace_term(x, Y, alpha, beta):
    return -0.5 * float(np.trace(np.linalg.solve(_kernel(x, alpha, beta), Y @ Y.T)))


def _numerical_gradient(loss, args, name):
    """dL/d args[name] by central differences, every entry (the inputs here are small)."""
    indices = sample_indices(args[name].shape, np.random.default_rng(0), limit=10**6)
    derivatives = entrywise_derivatives(lambda a: loss(**a), args, name, indices)
    return np.array([float(d) for d in derivatives]).reshape(args[name].shape)


def _check_formula(where, student, args, loss, wrt, known_mistakes):
    """Call ``student(**args)`` and compare it with the numerical gradient of ``loss``."""
    expected_shape = args[wrt].shape
    got = call_student(where, student, *[a.copy() if isinstance(a, np.ndarray) else a
                                         for a in args.values()],
                       note="arguments: " + ", ".join(
                           f"{k} {np.shape(v) if np.ndim(v) else v}" for k, v in args.items()))
    got = np.asarray(got, dtype=np.float64)
    if got.shape != expected_shape:
        hint = None
        if got.shape == expected_shape[::-1] and len(expected_shape) == 2:
            hint = f"you returned the gradient with respect to {wrt}^T; transpose it."
        elif got.size == np.prod(expected_shape):
            hint = f"reshape to {expected_shape}: e.g. a column (N, 1) where a vector (N,) is wanted."
        fail(where, f"returned shape {got.shape}, expected {expected_shape} (the shape of {wrt})",
             hint)
    want = _numerical_gradient(loss, args, wrt)
    scale = max(float(np.max(np.abs(want))), 1e-8)
    if not np.all(np.abs(got - want) <= 1e-5 * scale + 1e-7):
        known = [(value, advice) for value, advice in known_mistakes]
        hint = likely_mistake("the gradient", got, want, known_mistakes=known)
        indices = sample_indices(want.shape, np.random.default_rng(0), limit=10**6)
        fail(where, "does not match the numerical gradient of the loss",
             hint or "go through the derivation again; a symmetric matrix and the product "
             "rule are the usual places where a term goes missing.",
             worst_entries("gradient", got, want, indices))


@checker
def check_grad_autoencoder(grad_autoencoder, seed: int = 0):
    """``grad_autoencoder(W, x)`` is dL/dW of L = 0.5 ||W^T W x - x||^2."""
    rng = np.random.default_rng(seed)
    for k, d in [(2, 5), (3, 3), (1, 4)]:
        W, x = gaussian(rng, (k, d)), gaussian(rng, (d,))
        residual = W.T @ W @ x - x  # a in the notebook
        encoder_path = W @ np.outer(residual, x)  # from the W in W x
        decoder_path = np.outer(W @ x, residual)  # from the W^T that maps W x back
        known = [(encoder_path, "only the encoder's W (the one in W x) is differentiated; "
                  "the decoder W^T depends on W too: add (W x) a^T, with a = W^T W x - x."),
                 (decoder_path, "only the decoder's W^T is differentiated; the encoder's W "
                  "in W x depends on W too: add W a x^T, with a = W^T W x - x."),
                 (2 * (encoder_path + decoder_path), "twice the gradient: the 0.5 in the "
                  "loss cancels the 2 of the square.")]
        _check_formula("grad_autoencoder", grad_autoencoder, {"W": W, "x": x},
                       autoencoder_loss, "W", known)


def _gplvm_case(rng, n, d):
    x, Y = gaussian(rng, (n,)), gaussian(rng, (n, d))
    alpha, beta = float(rng.uniform(0.5, 2.0)), float(rng.uniform(0.5, 3.0))
    return {"x": x, "Y": Y, "alpha": alpha, "beta": beta}


def _gplvm_parts(case):
    x, Y, alpha, beta = case["x"], case["Y"], case["alpha"], case["beta"]
    K_inv = np.linalg.inv(_kernel(x, alpha, beta))
    logdet = -alpha * Y.shape[1] * K_inv @ x
    trace = alpha * K_inv @ Y @ Y.T @ K_inv @ x
    return logdet, trace


def _gplvm_mistakes(part, alpha):
    return [(part / 2, "half the gradient: d(x x^T) brings x in twice (dx x^T + x dx^T), "
             "so a factor 2 appears."),
            (2 * part, "twice the gradient: check the factor 2 from x x^T against the 1/2 "
             "in front of the term."),
            (part / alpha, "alpha is missing: dK = alpha (dx x^T + x dx^T).")]


def _check_gplvm(where, student, loss, pick, seed):
    rng = np.random.default_rng(seed)
    for n, d in [(4, 3), (6, 1), (3, 5)]:
        case = _gplvm_case(rng, n, d)
        part = pick(*_gplvm_parts(case))
        _check_formula(where, student, case, loss, "x", _gplvm_mistakes(part, case["alpha"]))


@checker
def check_grad_gplvm_logdet(grad_gplvm_logdet, seed: int = 0):
    """``grad_gplvm_logdet(x, Y, alpha, beta)`` is d/dx of -(D/2) log|K|."""
    _check_gplvm("grad_gplvm_logdet", grad_gplvm_logdet, gplvm_logdet_term,
                 lambda logdet, trace: logdet, seed)


@checker
def check_grad_gplvm_trace(grad_gplvm_trace, seed: int = 0):
    """``grad_gplvm_trace(x, Y, alpha, beta)`` is d/dx of -(1/2) tr(K^-1 Y Y^T)."""
    _check_gplvm("grad_gplvm_trace", grad_gplvm_trace, gplvm_trace_term,
                 lambda logdet, trace: trace, seed)


@checker
def check_grad_gplvm(grad_gplvm, seed: int = 0):
    """``grad_gplvm(x, Y, alpha, beta)`` is d/dx of the sum of both terms."""
    def total(x, Y, alpha, beta):
        return gplvm_logdet_term(x, Y, alpha, beta) + gplvm_trace_term(x, Y, alpha, beta)

    _check_gplvm("grad_gplvm", grad_gplvm, total, lambda logdet, trace: logdet + trace, seed)
