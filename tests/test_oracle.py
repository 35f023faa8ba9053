"""Trusted grading's foundation: the codec, the kernel's oracle and the proxies (issue 13).

The codec tests and the in-process oracle tests are fast; the real-kernel tests (slow) run
the kit's checkers here on student code that lives in a Jupyter kernel, including a kernel
whose code patches numpy, nn_utils and IPython, and compare the verdicts with local runs.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import io
import json
import pickle
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder.execution import codec
from autograder.authoring import reference_answers
from autograder.execution.judge import (KernelOracle, OracleError, OracleTimeout, Remote, RemoteClass, RemoteError,
                              RemoteFunction, RemoteObject, bootstrap_code, free_names,
                              namespace, seeding_the_kernel)
from autograder.execution.oracle_kernel import NAME
from backprop_digits_variants import MUTANTS
from notebook_runner import in_process_oracle, kit
from nn_utils.checking import SUCCESS
from nn_utils.errors import CheckFailure

nn_utils = kit("backprop_digits")

KIT = Path(__file__).resolve().parent.parent
REFERENCE = reference_answers(nbformat.read(
    KIT / "source" / "backprop_digits" / "backprop_digits.ipynb", as_version=4))
LAYERS = ("affine-impl", "relu-impl", "crossentropy-impl")


def same(a, b) -> bool:
    """Equal values of identical types, arrays bit for bit (nan equals nan)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (np.ndarray, np.generic)):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, float):
        return a == b or (a != a and b != b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return (list(a) == list(b) or all(same(x, y) for x, y in zip(a, b))) \
            and all(same(x, y) for x, y in zip(a.values(), b.values()))
    return a == b


# -- codec: round trips ----------------------------------------------------------------------

ROUND_TRIPS = {
    "atoms": [None, True, False, 0, -7, 2**70, 1.5, -0.0, "", "é \"$x\" \n"],
    "non-finite floats": [float("nan"), float("inf"), -float("inf")],
    "tuple keys": {(0.1, 20): [1, 2], (0.1, (None, "a")): {"x": ()}},
    "other keys": {1: "a", 2.5: "b", None: "c", True: "d", "$not-a-tag": "e"},
    "nesting": {"a": [({"b": (1, [2.0])},)], "": []},
    "arrays": [np.arange(6.0).reshape(2, 3), np.array(3.5), np.zeros((0, 3), np.int8),
               np.array([True, False]), np.array([2**64 - 1], np.uint64),
               np.array([1 + 2j]), np.array([np.nan, -np.inf], np.float16),
               np.asfortranarray(np.arange(6).reshape(2, 3)), np.arange(10.0)[::3]],
    "numpy scalars": [np.float64("nan"), np.float32(1.25), np.int64(-3), np.uint8(255),
                      np.bool_(True), np.complex128(1j)],
    "numpy scalar types": [np.float64, np.float32, np.int8, np.bool_],
}


@pytest.mark.parametrize("value", ROUND_TRIPS.values(), ids=ROUND_TRIPS.keys())
def test_plain_data_round_trips_with_its_types(value):
    assert same(codec.decode(codec.encode(value)), value)


def test_arrays_are_collected_in_the_same_order_on_both_sides():
    a, b, c = np.zeros(2), np.ones((1, 1)), np.arange(3)
    value = {"x": [a, (b, {"y": c})], (1, 2): np.float64(1.0)}
    sent, received = [], []
    codec.decode(codec.encode(value, arrays=sent), arrays=received)
    assert [x is y for x, y in zip(sent, [a, b, c])] == [True] * 3
    assert all(same(x, y) for x, y in zip(sent, received)) and len(received) == 3


def test_other_objects_travel_as_references_only():
    marker = object()
    text = codec.encode([1, marker], ref=lambda obj: codec.Ref(4, "object", "object"))
    assert codec.decode(text) == [1, codec.Ref(4, "object", "object")]
    assert codec.decode(text, ref=lambda ref: ref.id) == [1, 4]
    for value in (marker, np.array([None], dtype=object), {frozenset(): 1}, b"bytes",
                  np.array([(1, 2.0)], dtype="i4,f8")):
        with pytest.raises(codec.CodecError):
            codec.encode(value)
    loop = []
    loop.append(loop)
    with pytest.raises(codec.CodecError, match="nested deeper"):
        codec.encode(loop)


# -- codec: hostile payloads -----------------------------------------------------------------

def npy_text(array, **save) -> str:
    buffer = io.BytesIO()
    np.save(buffer, array, **save)
    return base64.b64encode(buffer.getvalue()).decode()


def lying_header() -> str:
    """A .npy whose header claims 10**12 float64 (8 TB) but which holds 8 bytes."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (10**12,)})
    return base64.b64encode(buffer.getvalue() + b"\0" * 8).decode()


HOSTILE = {
    "object dtype": {"$array": npy_text(np.array([1, None], dtype=object), allow_pickle=True)},
    "pickle bytes": {"$array": base64.b64encode(pickle.dumps(Path("/"))).decode()},
    "header lies about size": {"$array": lying_header()},
    "structured dtype": {"$array": npy_text(np.zeros(2, "i4,f8"))},
    "unicode dtype": {"$scalar": npy_text(np.array("text"))},
    "scalar with a shape": {"$scalar": npy_text(np.zeros(2))},
    "bad base64": {"$array": "not base64!"},
    "array not a string": {"$array": [1, 2]},
    "unknown tag": {"$eval": "__import__('os')"},
    "tag with extra keys": {"$tuple": [], "x": 1},
    "dict not pairs": {"$dict": [[1, 2, 3]]},
    "list as key": {"$dict": [[[1], 2]]},
    "array as key": {"$dict": [[{"$array": npy_text(np.zeros(1))}, 2]]},
    "malformed ref": {"$ref": "1", "type": "A", "kind": "object", "name": None},
    "ref of unknown kind": {"$ref": 1, "type": "A", "kind": "module", "name": None},
    "ref with a nul in its name": {"$ref": 1, "type": "A\0", "kind": "object", "name": None},
    "dtype that is not a number": {"$dtype": "object"},
    "dtype that is a class path": {"$dtype": "os.system"},
    "kept array without a receiver": {"$kept": ["0" * 32, npy_text(np.zeros(1))]},
    "cached array never sent": {"$cached": "0" * 32},
}


@pytest.mark.parametrize("payload", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_payloads_are_refused(payload):
    with pytest.raises(codec.CodecError):
        codec.decode(json.dumps(payload))


@pytest.mark.parametrize("text, limits", [
    ("[" * 100_000 + "]" * 100_000, codec.Limits()),  # beyond json's own recursion limit
    ("[" * 40 + "]" * 40, codec.Limits()),
    (json.dumps({"$tuple": [{"$tuple": [[1]]}]}), codec.Limits(depth=2)),
    (json.dumps("x" * 1000), codec.Limits(bytes=100)),
    (json.dumps(list(range(11))), codec.Limits(items=10)),
    ("1" * 5000, codec.Limits()),  # an int too long for Python to read
    ("{'a': 1}", codec.Limits()),
    (b"[]", codec.Limits()),
], ids=["json depth bomb", "depth", "tagged depth", "bytes", "items", "long int",
        "not json", "not text"])
def test_limits_hold(text, limits):
    with pytest.raises(codec.CodecError):
        codec.decode(text, limits=limits)


# -- the oracle and the proxies, in this process ---------------------------------------------

STUDENT = '''
import numpy as np

def zero_negatives(x, others=()):
    x[x < 0] = 0
    for other in others:
        other *= 2
    return x.sum()

class Layer:
    scale = 3
    def forward(self, x):
        return x * self.scale
    def lookup(self, table, key):
        return table[key]

layer = Layer()
config = {(0.1, 20): [np.float32(1.5)], "layers": [layer, layer]}
'''


@pytest.fixture
def local_oracle():
    return in_process_oracle(STUDENT)


def test_proxies_read_as_the_student_objects(local_oracle):
    oracle, _ = local_oracle
    Layer, layer, function = (oracle.lookup(n) for n in ("Layer", "layer", "zero_negatives"))
    assert issubclass(Layer, RemoteClass) and isinstance(layer, RemoteObject)
    assert isinstance(Layer, type)  # as checks that want "the class itself" test it
    assert isinstance(function, RemoteFunction) and isinstance(layer.forward, RemoteFunction)
    assert type(layer).__name__ == "Layer"
    assert (Layer.__name__, function.__name__, layer.forward.__qualname__) == (
        "Layer", "zero_negatives", "Layer.forward")
    assert not hasattr(layer, "__name__") and not hasattr(layer, "missing")
    assert same(layer.forward(np.arange(3)), np.arange(3) * 3)
    layer.scale = np.float64(0.5)
    assert same(Layer().forward(2.0), 6.0) and same(layer.forward(2.0), np.float64(1.0))
    config = oracle.lookup("config")
    assert same(config[(0.1, 20)], [np.float32(1.5)])
    assert config["layers"][0] is config["layers"][1] is layer  # one object, one proxy


def test_student_exceptions_keep_their_class_name_and_message(local_oracle):
    oracle, _ = local_oracle
    layer = oracle.lookup("layer")
    with pytest.raises(KeyError) as raised:
        layer.lookup({"a": 1}, "b")
    local = KeyError("b")
    assert type(raised.value).__name__ == "KeyError" and str(raised.value) == str(local)
    with pytest.raises(TypeError, match=r"forward\(\) takes 2 positional arguments"):
        layer.forward(1, 2)
    with pytest.raises(RemoteError) as raised:
        oracle.lookup("Layer")().lookup(None, 0)
    assert type(raised.value).__name__ == "TypeError"
    with pytest.raises(NameError):
        oracle.lookup("undefined")


def test_arrays_changed_in_place_are_changed_here_too(local_oracle):
    oracle, _ = local_oracle
    x, y, untouched = np.array([-1.0, 2.0]), np.array([1, 2]), np.array([5.0])
    assert same(oracle.lookup("zero_negatives")(x, others=[y]), np.float64(2.0))
    assert same(x, np.array([0.0, 2.0])) and same(y, np.array([2, 4]))
    assert same(untouched, np.array([5.0]))


def test_released_proxies_free_the_kernels_handles(local_oracle):
    oracle, kernel = local_oracle
    served = kernel[NAME]
    layer = oracle.lookup("layer")
    for _ in range(5):
        layer.forward(1.0)  # the class's method is fetched once, then kept by the proxy
    config = oracle.lookup("config")
    for _ in range(5):
        config["layers"][0].forward(2.0)  # fresh proxies, released once unused
    del config
    gc.collect()
    oracle.lookup("Layer")  # the request that tells the kernel what was released
    assert set(served.objects.values()) >= {kernel["layer"], kernel["Layer"]}
    assert len(served.objects) == 3  # layer, its forward method, Layer
    assert layer.scale == 3  # the handle it still holds works


def test_a_class_method_is_fetched_once_and_an_own_attribute_every_time(local_oracle):
    oracle, kernel = local_oracle
    layer = oracle.lookup("layer")
    before = oracle.client.sent
    for _ in range(3):
        layer.forward(1.0)
    assert oracle.client.sent - before == 1 + 3
    kernel["layer"].lookup = lambda table, key: "own"  # set on the object: asked each time
    before = oracle.client.sent
    for _ in range(3):
        assert layer.lookup({}, 0) == "own"
    assert oracle.client.sent - before == 2 * 3


def test_a_dict_fetched_from_the_kernel_writes_through(local_oracle):
    oracle, kernel = local_oracle
    exec("class Model:\n    def __init__(self):\n        self.params = {'W': np.zeros(2)}\n"
         "model = Model()\n", kernel)
    params = oracle.lookup("model").params
    assert isinstance(params, dict) and list(params) == ["W"]
    params["W"] = np.ones(2)  # as a checker sets a model's parameters
    assert same(kernel["model"].params["W"], np.ones(2)) and same(params["W"], np.ones(2))
    assert oracle.lookup("Layer")().lookup(params, "W").tolist() == [1.0, 1.0]  # sent back as
    # the kernel's own dict




def test_a_whole_data_set_s_outputs_and_cache_stay_in_the_kernel_until_indexed(local_oracle):
    oracle, kernel = local_oracle
    exec("def forward(X):\n"
         "    hidden = np.tanh(X)\n"
         "    return hidden.sum(axis=0), [X, hidden, hidden * 2]\n", kernel)
    forward = oracle.lookup("forward")
    small, cache = forward(np.ones((3, 4)))  # small: data, as before
    assert type(cache) is list and same(small, 3 * np.tanh(np.ones(4)))
    big = np.ones((1024, 2048))  # 16 MB: with the cache, over the 32 MB that stays there
    answer = forward(big)
    assert isinstance(answer, Remote)
    assert same(answer[0], np.tanh(big).sum(axis=0))  # only what is indexed comes
    outputs, held = answer  # unpacking works (iteration by index)
    assert isinstance(held, Remote) and same(outputs, answer[0])
    assert same(held[2][:2, :2], 2 * np.tanh(np.ones((2, 2))))


def test_unsendable_arguments_and_lying_kernels_are_refused(local_oracle):
    oracle, kernel = local_oracle
    with pytest.raises(codec.CodecError, match="cannot send a value of type object"):
        oracle.lookup("layer").forward(object())
    answers = {"a dict is expected": "[1]", "error without message": '{"error": {"type": "X"}}',
               "unknown tag": '{"value": {"$code": "x"}}', "no value": "{}",
               "fault": '{"fault": "nope"}', "unknown handle in mutated": (
                   '{"value": 1, "mutated": [[3, {"$array": "%s"}]]}' % npy_text(np.zeros(1)))}
    function = oracle.lookup("zero_negatives")
    for reason, answer in answers.items():
        kernel[NAME] = lambda request, answer=answer: answer
        with pytest.raises(OracleError):
            function(np.zeros(1))
    kernel[NAME] = lambda request: 42
    with pytest.raises(OracleError, match="not a string"):
        oracle.lookup("layer")


def test_a_kernel_that_does_not_answer_times_out(local_oracle):
    oracle, _ = local_oracle
    oracle.timeout = 0.05
    client = oracle.client
    client.execute = lambda *args, **kwargs: "lost"  # a request the kernel never answers
    client.replies.put({"parent_header": {"msg_id": "earlier"}, "content": {"status": "ok"}})
    with pytest.raises(OracleTimeout):
        oracle.lookup("layer")


def test_free_names_are_what_a_test_cell_needs_from_the_notebook():
    cell = ("import math\nlayer = Affine()\nnn_utils.check_affine(layer, seed=SEED)\n"
            "def f(x):\n    return helper(x) + math.pi + layer.y\n"
            "print([v for v in values if v], sum(values))\n")
    assert free_names(cell) == {"Affine", "nn_utils", "SEED", "helper", "values", "print", "sum"}


def test_namespace_fetches_only_what_the_grader_does_not_provide(local_oracle):
    oracle, _ = local_oracle
    found = namespace(oracle, {"np", "nn_utils", "print", "layer", "config", "nowhere"})
    assert set(found) == {"layer", "config"} and isinstance(found["layer"], RemoteObject)
    assert set(namespace(oracle, {"layer", "config"}, provided={"config"})) == {"layer"}


def test_the_bootstrap_needs_neither_the_grader_nor_nn_utils(tmp_path):
    script = ("import sys\n"
              "sys.modules['autograder'] = sys.modules['nn_utils'] = None  # unimportable\n"
              f"exec({bootstrap_code()!r})\n"
              f"print({NAME}('{{\"op\": \"global\", \"name\": \"sys\"}}'))\n")
    shown = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, check=True,
                           capture_output=True, text=True).stdout
    assert json.loads(shown) == {"value": {"$ref": 0, "type": "module", "kind": "object",
                                           "name": None}}


# -- the real thing: a Jupyter kernel --------------------------------------------------------

def start_kernel():
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", cwd=str(KIT))
    return manager, client


def run(client, code: str) -> None:
    """Run a cell as the notebook would (not silently)."""
    reply = client.execute_interactive(code, timeout=60, output_hook=lambda msg: None)
    assert reply["content"]["status"] == "ok", reply["content"]


@contextlib.contextmanager
def kernel_oracle():
    manager, client = start_kernel()
    try:
        oracle = KernelOracle(client, timeout=60)
        oracle.install()
        run(client, "import numpy as np")
        yield oracle, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def kernel():
    with kernel_oracle() as pair:
        yield pair


def local_classes(code: str) -> dict:
    namespace_ = {"np": np}
    exec(code, namespace_)
    return namespace_


def verdict(check, layer) -> str:
    """The checker's CheckFailure message, or its success line."""
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            check(layer)
    except CheckFailure as failure:
        return str(failure)
    return out.getvalue().strip()


CHECKS = {"Affine": nn_utils.check_affine, "ReLU": nn_utils.check_relu,
          "CategoricalCrossEntropy": nn_utils.check_cross_entropy}


@pytest.mark.slow
def test_reference_layers_pass_the_checks_run_here(kernel):
    oracle, client = kernel
    run(client, "\n".join(REFERENCE[g] for g in LAYERS))
    for name, check in CHECKS.items():
        assert verdict(check, oracle.lookup(name)()) == SUCCESS


@pytest.mark.slow
@pytest.mark.parametrize("mutant", [m for m in MUTANTS if m.grade_id in LAYERS],
                         ids=lambda m: f"{m.task}: {m.name}")
def test_a_mutant_fails_with_the_message_it_gets_locally(kernel, mutant):
    oracle, client = kernel
    code = mutant.apply(REFERENCE)[mutant.grade_id]
    name = code.split("class ", 1)[1].split(":", 1)[0]
    run(client, code)
    local = verdict(CHECKS[name], local_classes(code)[name]())
    assert local.startswith(name)  # a CheckFailure naming the method, not a success
    assert verdict(CHECKS[name], oracle.lookup(name)()) == local


@pytest.mark.slow
def test_an_array_changed_in_place_in_the_kernel_is_changed_here(kernel):
    oracle, client = kernel
    run(client, "def clip(x):\n    np.clip(x, 0, 1, out=x)\n")
    x = np.array([-2.0, 0.5, 3.0])
    assert oracle.lookup("clip")(x) is None
    assert same(x, np.array([0.0, 0.5, 1.0]))


TAMPERING = '''
import sys, types
import numpy as np
import nn_utils

np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
fake = types.ModuleType("nn_utils")
fake.check_affine = lambda *args, **kwargs: print("All checks passed successfully!")
sys.modules["nn_utils"] = nn_utils = fake
check_affine = fake.check_affine

def _after(*args):
    np.allclose = lambda *args, **kwargs: True
    raise RuntimeError("hook")

ip = get_ipython()
ip.events.register("post_run_cell", _after)
ip.events.register("post_execute", _after)
ip.input_transformers_post.append(lambda lines: ["check_affine = lambda *a, **k: None\\n"])
'''


@pytest.mark.slow
def test_tampering_in_the_kernel_does_not_change_the_verdict():
    mutant = next(m for m in MUTANTS if m.name == "weight gradient averaged again")
    code = mutant.apply(REFERENCE)["affine-impl"]
    expected = verdict(nn_utils.check_affine, local_classes(code)["Affine"]())
    assert "average twice" in expected
    with kernel_oracle() as (oracle, client):
        run(client, code)
        run(client, TAMPERING)  # the input transformer turns every later cell into a no-op
        assert oracle.lookup("np").allclose(1.0, 2.0) is True  # tampered, in the kernel

        assert verdict(nn_utils.check_affine, oracle.lookup("Affine")()) == expected
        hidden = "nn_utils.check_affine(Affine(), seed=31, shapes=((13, 8, 8), (1, 4, 2)))"
        cell = {"nn_utils": nn_utils, **namespace(oracle, free_names(hidden))}
        with pytest.raises(CheckFailure, match=r"(?s)Affine\.backward: d_weight is wrong"
                                               r".*average twice"):
            exec(hidden, cell)


@pytest.mark.slow
def test_seeds_and_saved_random_states_reach_the_kernel(kernel):
    oracle, client = kernel
    run(client, "def draw():\n    return np.random.rand()\n")
    draw = oracle.lookup("draw")
    from nn_utils.checking import checker

    @checker
    def check_draws(draw):  # draws in the kernel; a check leaves the random state as it was
        draw()

    with seeding_the_kernel(oracle):
        np.random.seed(5)
        first = draw()
        with contextlib.redirect_stdout(io.StringIO()):
            check_draws(draw)
    np.random.seed(5)
    assert first == np.random.rand() and draw() == np.random.rand()  # restored: the next
    # draw in the kernel is the second of seed 5


@pytest.mark.slow
def test_the_pipes_give_the_same_answers_and_survive_a_stalled_kernel(kernel, tmp_path):
    import time

    oracle, client = kernel
    run(client, "import time\ndef twice(x):\n    return 2 * x\n"
                "def stall():\n    time.sleep(2)\n    return 'late'\n")
    twice = oracle.lookup("twice")
    with oracle.serving(tmp_path):
        assert same(twice(np.arange(3.0)), np.arange(3.0) * 2)
        big = np.ones((300, 100))  # over the size from which the kernel keeps an array
        assert same(twice(big), big * 2) and same(twice(big), big * 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".oracle-answers-1",
                                                          ".oracle-requests-1"]
    oracle.deadline = time.monotonic() + 0.5
    with pytest.raises(OracleTimeout):
        with oracle.serving(tmp_path):
            oracle.lookup("stall")()
    oracle.deadline = None
    assert list(tmp_path.iterdir()) == []  # the stalled session's pipes are dropped
    time.sleep(2)  # the stalled call ends; its late answer goes nowhere
    with oracle.serving(tmp_path):
        assert same(twice(big), big * 2)
        assert oracle.lookup("stall")() == "late"


@pytest.mark.slow
def test_the_kit_lends_its_helper_objects_to_student_code_during_a_check(kernel, tmp_path):
    framework = kit("nn_framework").assignment.framework
    _RecordingLayer, _Tanh = framework._RecordingLayer, framework._Tanh

    oracle, client = kernel
    run(client, "def apply(activation, x):\n    return activation.forward(x)\n"
                "def update(layer):\n    layer.parameters['W'] -= 1.0\n"
                "    return sorted(layer.parameters)\n"
                "def peek(layer):\n    return layer.forward.__globals__\n"
                "kept = []\ndef keep(thing):\n    kept.append(thing)\n"
                "def use_later():\n    return kept[0].parameters\n")
    apply, update, peek = (oracle.lookup(n) for n in ("apply", "update", "peek"))

    layer = _RecordingLayer(np.ones((2, 2)), np.zeros((1, 2)), "layer 0", first=True)
    with oracle.serving(tmp_path):
        assert same(apply(_Tanh(), np.array([0.0, 1.0])), np.tanh(np.array([0.0, 1.0])))
        assert update(layer) == ["W", "b"] and same(layer.parameters["W"], np.zeros((2, 2)))
        with pytest.raises(RemoteError, match="public attributes only"):
            peek(layer)  # the grader's modules stay out of reach
        oracle.lookup("keep")(layer)
    with oracle.serving(tmp_path):
        with pytest.raises(RemoteError, match="no object the grader lent"):
            oracle.lookup("use_later")()  # lent for one check only
    with oracle.serving(tmp_path):
        with pytest.raises(codec.CodecError):
            apply(np, 1.0)  # not lendable: a module
        with pytest.raises(codec.CodecError):
            apply(type("Local", (), {"forward": lambda self, x: x})(), 1.0)  # not the kit's


def test_copies_of_proxies_do_not_release_what_the_original_still_uses(local_oracle):
    import copy

    oracle, kernel = local_oracle
    exec("class Model:\n    def __init__(self):\n        self.params = {'W': np.zeros(2)}\n"
         "model = Model()\n", kernel)
    model = oracle.lookup("model")
    params = model.params
    assert copy.deepcopy(model) is model and copy.copy(model) is model
    twin = copy.deepcopy(params)
    assert type(twin) is dict and same(twin["W"], np.zeros(2))
    twin["W"] = np.ones(2)  # the checker's own copy: the kernel's dict is unchanged
    del twin
    gc.collect()
    assert same(model.params["W"], np.zeros(2))
    params["W"] = np.full(2, 3.0)  # the original still writes through
    assert same(kernel["model"].params["W"], np.full(2, 3.0))
