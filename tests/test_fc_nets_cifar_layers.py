"""The fc_nets_cifar layer-function checkers (cs231n style), on correct code and mutants.

The assignment's notebooks come with issue 5; these checkers are its building blocks.
"""

import contextlib
import io
import re

import numpy as np
import pytest

from notebook_runner import kit

nn_utils = kit("fc_nets_cifar")

RESHAPE_STYLE = '''
def affine_forward(x, w, b):
    rows = x.reshape(x.shape[0], int(np.prod(x.shape[1:])))
    return rows @ w + b, (x, w, b)

def affine_backward(dout, cache):
    x, w, b = cache
    rows = x.reshape(x.shape[0], -1)
    return (dout @ w.T).reshape(x.shape), rows.T @ dout, dout.sum(axis=0)

def relu_forward(x):
    return np.maximum(0, x), x

def relu_backward(dout, cache):
    return (cache > 0) * dout

def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)

def affine_relu_backward(dout, cache):
    fc_cache, relu_cache = cache
    return affine_backward(relu_backward(dout, relu_cache), fc_cache)
'''

EINSUM_STYLE = '''
def affine_forward(x, w, b):
    flat = x.reshape(len(x), -1)
    return np.einsum("nd,dm->nm", flat, w) + b, {"x": x, "w": w}

def affine_backward(dout, cache):
    x, w = cache["x"], cache["w"]
    dx = np.einsum("nm,dm->nd", dout, w).reshape(x.shape)
    dw = np.einsum("nd,nm->dm", x.reshape(len(x), -1), dout)
    return dx, dw, np.einsum("nm->m", dout)

def relu_forward(x):
    mask = x > 0
    return np.where(mask, x, 0.0), mask

def relu_backward(dout, cache):
    return np.where(cache, dout, 0.0)

def affine_relu_forward(x, w, b):
    out, c1 = affine_forward(x, w, b)
    out, c2 = relu_forward(out)
    return out, [c1, c2]

def affine_relu_backward(dout, cache):
    return affine_backward(relu_backward(dout, cache[1]), cache[0])
'''

# (name, old text of RESHAPE_STYLE, new text, checker, message)
MUTANTS = [
    ("dx not reshaped", "(dout @ w.T).reshape(x.shape)", "dout @ w.T", "affine",
     r"dx has shape \(4, 6\), expected \(4, 2, 3\)"),
    ("db averaged", "dout.sum(axis=0)", "dout.mean(axis=0)", "affine", r"not its mean"),
    ("bias forgotten", "return rows @ w + b, (x, w, b)", "return rows @ w, (x, w, b)", "affine",
     r"bias b is missing"),
    ("x not flattened", "rows = x.reshape(x.shape[0], int(np.prod(x.shape[1:])))", "rows = x",
     "affine", r"affine_forward raised ValueError"),
    ("dw transposed", "rows.T @ dout", "(dout.T @ rows).T.T", "affine", r"dw has shape"),
    ("relu mask inverted", "(cache > 0) * dout", "(cache < 0) * dout", "relu", r"dx is wrong"),
    ("relu in place", "return np.maximum(0, x), x", "x[x < 0] = 0\n    return x, x", "relu",
     r"changed its argument `x` in place"),
    ("relu skipped in the sandwich", "return affine_backward(relu_backward(dout, relu_cache), fc_cache)",
     "return affine_backward(dout, fc_cache)", "affine_relu", r"is wrong"),
    ("relu cache from the wrong side", "out, relu_cache = relu_forward(a)",
     "out, relu_cache = relu_forward(a)\n    relu_cache = -relu_cache", "affine_relu", r"is wrong"),
]


def functions(code):
    namespace = {"np": np}
    exec(code, namespace)
    return namespace


def run_checks(ns, seed=0):
    nn_utils.check_affine_functions(ns["affine_forward"], ns["affine_backward"], seed=seed)
    nn_utils.check_relu_functions(ns["relu_forward"], ns["relu_backward"], seed=seed)
    nn_utils.check_affine_relu_functions(ns["affine_relu_forward"], ns["affine_relu_backward"],
                                         seed=seed)


@pytest.mark.parametrize("name,code", [("reshape", RESHAPE_STYLE), ("einsum", EINSUM_STYLE)])
def test_correct_code_passes_over_200_seeds(name, code):
    ns = functions(code)
    with contextlib.redirect_stdout(io.StringIO()):
        for seed in range(200):
            run_checks(ns, seed)


def test_the_notebooks_linspace_fact_is_what_correct_code_gives():
    ns = functions(RESHAPE_STYLE)
    LINSPACE_OUT = nn_utils.assignment.fc_nets.LINSPACE_OUT
    _linspace_case = nn_utils.assignment.fc_nets._linspace_case

    out, _ = ns["affine_forward"](*_linspace_case())
    assert nn_utils.rel_error(out, LINSPACE_OUT) < 1e-8


@pytest.mark.parametrize("name,old,new,which,message", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_mutant_fails_with_a_named_mistake(name, old, new, which, message):
    assert RESHAPE_STYLE.count(old) == 1, name
    ns = functions(RESHAPE_STYLE.replace(old, new))
    check = {"affine": lambda: nn_utils.check_affine_functions(ns["affine_forward"], ns["affine_backward"]),
             "relu": lambda: nn_utils.check_relu_functions(ns["relu_forward"], ns["relu_backward"]),
             "affine_relu": lambda: nn_utils.check_affine_relu_functions(
                 ns["affine_relu_forward"], ns["affine_relu_backward"])}[which]
    with pytest.raises(nn_utils.CheckFailure) as failure:
        check()
    assert re.search(message, str(failure.value), flags=re.S), str(failure.value)


def test_forward_that_forgets_the_cache_gets_a_clear_message():
    ns = functions(RESHAPE_STYLE.replace("return rows @ w + b, (x, w, b)", "return rows @ w + b"))
    with pytest.raises(nn_utils.CheckFailure, match=r"return the pair \(out, cache\)"):
        nn_utils.check_affine_functions(ns["affine_forward"], ns["affine_backward"])


def test_silent_on_stderr(capsys):
    with np.errstate(all="warn"):
        run_checks(functions(RESHAPE_STYLE))
    assert capsys.readouterr().err == ""
