"""The grading kernel's half of the oracle: call the student's code when the grader asks.

At grading time the checks run in a trusted process (judge.py). The kernel only answers
requests: it looks up the notebook's names, calls the student's functions, classes and
methods with the grader's arguments, and sends back plain data, or a handle (codec.Ref)
for an object that must stay in the kernel. Requests and answers are codec JSON text; one
call of ``Oracle`` answers one request:

    {"op": "global",  "name": str}
    {"op": "call",    "target": ref, "args": [...], "kwargs": {str: value},
     "count": name}                      "count" optional: also count the call's calls of
                                         numpy.<name> (how a check sees np.einsum used)
    {"op": "getattr", "target": ref, "name": str}
    {"op": "setattr", "target": ref, "name": str, "value": value}
    {"op": "getitem", "target": ref, "key": value}
    {"op": "setitem", "target": ref, "key": value, "value": value}
    {"op": "seed",    "value": int}       numpy.random.seed(value): the grader's checks
                                         seed numpy's global generator for the student's code
    {"op": "random_state", "action": "save" | "restore"}   push numpy's global random
                                         state, or pop it back (checks restore it)
    {"op": "release"}
    each optionally with "release": [handle ids the grader no longer uses]

    -> {"value": value, "mutated": [[i, array], ...], "counted": int}   ("counted" when
                                         asked for) "mutated" for "call" only: the
                                         post-call value of each array argument the call
                                         changed, i the array's index in encoding order. For
                                         call and getitem, a tuple or list holding over
                                         _LARGE bytes of arrays comes as a ref only (the
                                         grader indexes it there)
    -> {"value": ref, "method": true}    for getattr, when the value is a method the
                                         object's class defines: the grader may reuse it
    -> {"value": dict, "holder": ref, "ordered": bool}   for global, getattr and getitem,
                                         when the value is a dict or an OrderedDict: also a
                                         handle of the dict itself, so that the grader's
                                         writes into it reach the kernel; a dict holding
                                         over _LARGE bytes of arrays comes as a ref only
    -> {"error": {"type": "ValueError", "message": str}}   the student's code raised
    -> {"fault": str}                                       the request itself was wrong

Nothing here is trusted by the grader: student code in the same process can change any of
it, which makes its answers wrong but cannot make a check pass (the checks run elsewhere).
Standard library and numpy only, and no nn_utils: judge.bootstrap_code installs this
module, with codec.py, into a kernel before any student cell runs.
"""

from __future__ import annotations

import builtins
import collections

from . import codec  # relative: the kernel installs this module as _nn_oracle.oracle_kernel

NAME = "__nn_oracle__"  # the name under which the kernel's namespace holds the Oracle
_MESSAGE_LENGTH = 10_000


class Fault(Exception):
    """The request does not follow the protocol."""


class Oracle:
    """Serves requests about the objects of one namespace (the kernel's user namespace)."""

    def __init__(self, namespace: dict, limits: codec.Limits = codec.Limits()):
        self.namespace = namespace
        self.limits = limits
        self.objects: dict[int, object] = {}  # handle -> object, kept alive while handed out
        self.handles: dict[int, int] = {}  # id(object) -> handle, so one object has one handle
        self.next_handle = 0
        self.kept = codec.KeptArrays()  # large arrays the grader sends again and again
        self.pipes = None  # (requests, answers) once serve has opened them
        self.states = []  # numpy random states saved for the grader's checks
        self.serving = False
        self.lent: dict[int, Lent] = {}  # the grader's objects in use, by the grader's id

    def __call__(self, request: str) -> str:
        """Answer one request (JSON text) with JSON text; never raises."""
        try:
            return codec.encode(self.answer(request), ref=self.handle)
        except Exception as error:  # a wrong request, or a result that cannot be sent
            return codec.encode({"fault": f"{type(error).__name__}: {_message(error)}"})

    def callback(self, request: dict):
        """Ask the grader to use one of its objects lent to the kernel (Lent), while the
        serve loop runs: a frame with sequence number 0 out, one back."""
        if self.pipes is None or not self.serving:
            raise RuntimeError("the grader's objects can be used only while a check runs")
        reader, writer = self.pipes
        writer.write(_frame(bytes(8), codec.encode(request, ref=self.handle).encode()))
        length = int.from_bytes(_read(reader, 8), "big")
        _read(reader, 8)
        answer = codec.decode(_read(reader, length).decode(), ref=self.resolve,
                              limits=self.limits, kept=self.kept)
        if "error" in answer:
            error = answer["error"]
            kind = getattr(builtins, str(error.get("type")), None)
            if not (isinstance(kind, type) and issubclass(kind, Exception)):
                kind = RuntimeError
            raise kind(str(error.get("message")))
        return answer["value"]

    def serve(self, requests: str, answers: str) -> None:
        """Answer the requests that come through the named pipe ``requests`` on the pipe
        ``answers`` until an empty one (judge.Pipe has the frames). The first call opens
        the pipes; they stay open for the next ones, until the grader makes new ones."""
        if self.pipes is None or self.pipes[0].name != requests:  # new pipes: reopen
            reader = open(requests, "rb", buffering=0)
            self.pipes = (reader, open(answers, "wb", buffering=0))
        reader, writer = self.pipes
        self.serving = True
        try:
            while True:
                length = int.from_bytes(_read(reader, 8), "big")
                sequence = _read(reader, 8)
                if length == 0:
                    return
                writer.write(_frame(sequence, self(_read(reader, length).decode()).encode()))
        finally:
            self.serving = False
            self.lent.clear()  # the grader forgets what it lent once the check is over

    def answer(self, text: str) -> dict:
        """The answer to one request, before encoding (see the module docstring)."""
        arrays = []
        request = codec.decode(text, ref=self.resolve, arrays=arrays, limits=self.limits,
                               kept=self.kept)
        if type(request) is not dict or request.get("op") not in _OPERATIONS:
            raise Fault("a request is a dict whose op is one of " + ", ".join(_OPERATIONS))
        for handle in _field(request, "release", list, []):
            if handle in self.objects:
                del self.handles[id(self.objects.pop(handle))]
        run = self.prepare(request)
        before = [(a.shape, a.tobytes()) for a in arrays]
        try:
            value = run()
        except Exception as error:  # the student's exception is the answer
            return {"error": {"type": type(error).__name__, "message": _message(error)}}
        counted = {}
        if request["op"] == "call" and "count" in request:
            value, counted["counted"] = value
        if request["op"] in ("global", "getattr", "getitem") and type(value) in _DICTS:
            if _array_bytes(value) > _LARGE:  # a data set: it stays here, used by proxy
                return {"value": self.handle(value)}
            return {"value": dict(value), "holder": self.handle(value),
                    "ordered": type(value) is not dict}
        if request["op"] == "getattr" and _class_method(request["target"], request["name"],
                                                        value):
            return {"value": value, "method": True}
        if request["op"] in ("call", "getitem") and type(value) in (tuple, list) and (
                _array_bytes(value) > _LARGE):
            # (outputs, cache) of a whole data set: the grader indexes what it needs
            # rather than holding every intermediate array in a container's memory
            value = self.handle(value)
        if request["op"] != "call":
            return {"value": value}
        changed = [[i, a] for i, (a, old) in enumerate(zip(arrays, before))
                   if (a.shape, a.tobytes()) != old]
        return {"value": value, "mutated": changed, **counted}

    def prepare(self, request: dict):
        """Check the request's fields; return the function that carries it out, which runs
        student code (and so may raise anything)."""
        op = request["op"]
        if op == "release":
            return lambda: None
        if op == "seed":
            seed = _field(request, "value", int)
            return lambda: self.seed(seed)
        if op == "random_state":
            action = _field(request, "action", str)
            return lambda: self.random_state(action)
        if op == "global":
            name = _field(request, "name", str)
            return lambda: self.lookup(name)
        if "target" not in request:
            raise Fault(f"{op} needs a target")
        target = request["target"]
        if op == "call":
            args, kwargs = _field(request, "args", list), _field(request, "kwargs", dict)
            if "count" in request:
                name = _field(request, "count", str)
                return lambda: _counting(target, name, args, kwargs)
            return lambda: target(*args, **kwargs)
        if op in ("getattr", "setattr"):
            name = _field(request, "name", str)
            if op == "getattr":
                return lambda: getattr(target, name)
            value = _field(request, "value", object)
            return lambda: setattr(target, name, value)
        key = _field(request, "key", object)
        if op == "getitem":
            return lambda: target[key]
        value = _field(request, "value", object)
        return lambda: target.__setitem__(key, value)

    @staticmethod
    def seed(value: int) -> None:
        import numpy

        numpy.random.seed(value)

    def random_state(self, action: str) -> None:
        import numpy

        if action == "save":
            self.states.append(numpy.random.get_state())
        elif action == "restore" and self.states:
            numpy.random.set_state(self.states.pop())

    def lookup(self, name: str):
        if name not in self.namespace:
            raise NameError(f"name {name!r} is not defined")
        return self.namespace[name]

    def resolve(self, ref: codec.Ref) -> object:
        if ref.lent:
            if ref.id not in self.lent:
                self.lent[ref.id] = Lent(self, ref)
            return self.lent[ref.id]
        if ref.id not in self.objects:
            raise Fault(f"no object has handle {ref.id} (released, or never handed out)")
        return self.objects[ref.id]

    def handle(self, obj) -> codec.Ref:
        """The Ref under which ``obj`` is handed out, the same for as long as it is held."""
        if type(obj) is Lent:
            return object.__getattribute__(obj, "_ref")
        handle = self.handles.get(id(obj))
        if handle is None:
            handle = self.handles[id(obj)] = self.next_handle
            self.objects[handle] = obj
            self.next_handle += 1
        kind = "class" if isinstance(obj, type) else "function" if callable(obj) else "object"
        name = getattr(obj, "__qualname__", None) if kind != "object" else None
        return codec.Ref(handle, type(obj).__name__, kind,
                         name if type(name) is str and name else None)


class Lent:
    """An object of the grader's, lent to the student's code for one check (a checker's
    helper layer, say): using it asks the grader (Oracle.callback)."""

    def __init__(self, oracle: Oracle, ref: codec.Ref):
        object.__setattr__(self, "_oracle", oracle)
        object.__setattr__(self, "_ref", ref)

    def _ask(self, op: str, **fields):
        return object.__getattribute__(self, "_oracle").callback(
            {"op": op, "target": self, **fields})

    def __getattr__(self, name):
        return self._ask("getattr", name=name)

    def __setattr__(self, name, value):
        self._ask("setattr", name=name, value=value)

    def __call__(self, *args, **kwargs):
        return self._ask("call", args=list(args), kwargs=kwargs)

    def __getitem__(self, key):
        return self._ask("getitem", key=key)

    def __setitem__(self, key, value):
        self._ask("setitem", key=key, value=value)

    def __iter__(self):
        return iter(self._ask("list"))

    def __len__(self):
        return len(self._ask("list"))

    def __contains__(self, key):
        return key in self._ask("list")

    def __repr__(self):
        return f"<the grader's {object.__getattribute__(self, '_ref').type}>"


_DICTS = (dict, collections.OrderedDict)
_LARGE = 32 * 2**20  # bytes of arrays in a dict from which the dict is not copied


def _array_bytes(value, depth: int = 2) -> int:
    """Bytes of the numpy arrays in a dict's values or a list's or tuple's items, counting
    ``depth`` levels of such containers ((out, [x, h, ...]) counts all of its arrays)."""
    items = value.values() if type(value) in _DICTS else value
    total = 0
    for item in items:
        if type(item).__name__ == "ndarray":
            total += item.nbytes
        elif depth > 1 and type(item) in (tuple, list, *_DICTS):
            total += _array_bytes(item, depth - 1)
    return total


_OPERATIONS = ("global", "call", "getattr", "setattr", "getitem", "setitem", "seed",
               "random_state", "release")


def install(namespace: dict) -> None:
    """Put an Oracle serving ``namespace`` into it, under NAME."""
    namespace[NAME] = Oracle(namespace)


def _class_method(target, name: str, value) -> bool:
    """Whether ``value``, target's attribute ``name``, is a method of target's class (not
    one set on the object itself)."""
    function = getattr(value, "__func__", None)
    if function is None or getattr(value, "__self__", None) is not target:
        return False
    if name in getattr(target, "__dict__", {}):
        return False
    return any(vars(klass).get(name) is function for klass in type(target).__mro__)


def _counting(function, name: str, args: list, kwargs: dict) -> tuple:
    """(function(*args, **kwargs), how many times it called numpy.<name>), counting calls
    through numpy and through names bound to it in the function's module."""
    import numpy

    original = getattr(numpy, name)
    calls = []

    def counted(*a, **k):
        calls.append(None)
        return original(*a, **k)

    namespace = getattr(function, "__globals__", {})
    aliases = [key for key, value in list(namespace.items()) if value is original]
    setattr(numpy, name, counted)
    for key in aliases:
        namespace[key] = counted
    try:
        result = function(*args, **kwargs)
    finally:
        setattr(numpy, name, original)
        for key in aliases:
            namespace[key] = original
    return result, len(calls)


def _frame(sequence: bytes, payload: bytes) -> bytes:
    """A frame of judge.Pipe: 8-byte length, the 8-byte sequence number, the payload."""
    return len(payload).to_bytes(8, "big") + sequence + payload


def _read(pipe, count: int) -> bytes:
    data = bytearray()  # not bytes: a large request comes in many pieces
    while len(data) < count:
        chunk = pipe.read(count - len(data))
        if not chunk:
            raise EOFError("the grader closed the pipe")
        data.extend(chunk)
    return bytes(data)


def _field(request: dict, key: str, kind: type, default=...):
    """request[key], which must be there (unless a default is given) and of type kind."""
    value = request.get(key, default)
    if value is ... or (kind is not object and value is not default and type(value) is not kind):
        raise Fault(f"{request['op']} needs {key} of type {kind.__name__}")
    return value


def _message(error: BaseException) -> str:
    try:
        return str(error)[:_MESSAGE_LENGTH]
    except Exception:  # a student's exception whose __str__ itself raises
        return f"<{type(error).__name__} whose message cannot be shown>"
