"""The grading kernel's half of the oracle: call the student's code when the grader asks.

At grading time the checks run in a trusted process (judge.py). The kernel only answers
requests: it looks up the notebook's names, calls the student's functions, classes and
methods with the grader's arguments, and sends back plain data, or a handle (codec.Ref)
for an object that must stay in the kernel. Requests and answers are codec JSON text; one
call of ``Oracle`` answers one request:

    {"op": "global",  "name": str}
    {"op": "call",    "target": ref, "args": [...], "kwargs": {str: value}}
    {"op": "getattr", "target": ref, "name": str}
    {"op": "setattr", "target": ref, "name": str, "value": value}
    {"op": "getitem", "target": ref, "key": value}
    {"op": "setitem", "target": ref, "key": value, "value": value}
    {"op": "release"}
    each optionally with "release": [handle ids the grader no longer uses]

    -> {"value": value, "mutated": [[i, array], ...]}   "mutated" for "call" only: the
                                         post-call value of each array argument the call
                                         changed, i the array's index in encoding order
    -> {"error": {"type": "ValueError", "message": str}}   the student's code raised
    -> {"fault": str}                                       the request itself was wrong

Nothing here is trusted by the grader: student code in the same process can change any of
it, which makes its answers wrong but cannot make a check pass (the checks run elsewhere).
Standard library and numpy only, and no nn_utils: judge.bootstrap_code installs this
module, with codec.py, into a kernel before any student cell runs.
"""

from __future__ import annotations

from . import codec

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

    def __call__(self, request: str) -> str:
        """Answer one request (JSON text) with JSON text; never raises."""
        try:
            return codec.encode(self.answer(request), ref=self.handle)
        except Exception as error:  # a wrong request, or a result that cannot be sent
            return codec.encode({"fault": f"{type(error).__name__}: {_message(error)}"})

    def answer(self, text: str) -> dict:
        """The answer to one request, before encoding (see the module docstring)."""
        arrays = []
        request = codec.decode(text, ref=self.resolve, arrays=arrays, limits=self.limits)
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
        if request["op"] != "call":
            return {"value": value}
        changed = [[i, a] for i, (a, old) in enumerate(zip(arrays, before))
                   if (a.shape, a.tobytes()) != old]
        return {"value": value, "mutated": changed}

    def prepare(self, request: dict):
        """Check the request's fields; return the function that carries it out, which runs
        student code (and so may raise anything)."""
        op = request["op"]
        if op == "release":
            return lambda: None
        if op == "global":
            name = _field(request, "name", str)
            return lambda: self.lookup(name)
        if "target" not in request:
            raise Fault(f"{op} needs a target")
        target = request["target"]
        if op == "call":
            args, kwargs = _field(request, "args", list), _field(request, "kwargs", dict)
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

    def lookup(self, name: str):
        if name not in self.namespace:
            raise NameError(f"name {name!r} is not defined")
        return self.namespace[name]

    def resolve(self, ref: codec.Ref) -> object:
        if ref.id not in self.objects:
            raise Fault(f"no object has handle {ref.id} (released, or never handed out)")
        return self.objects[ref.id]

    def handle(self, obj) -> codec.Ref:
        """The Ref under which ``obj`` is handed out, the same for as long as it is held."""
        handle = self.handles.get(id(obj))
        if handle is None:
            handle = self.handles[id(obj)] = self.next_handle
            self.objects[handle] = obj
            self.next_handle += 1
        kind = "class" if isinstance(obj, type) else "function" if callable(obj) else "object"
        name = getattr(obj, "__qualname__", None) if kind != "object" else None
        return codec.Ref(handle, type(obj).__name__, kind,
                         name if type(name) is str and name else None)


_OPERATIONS = ("global", "call", "getattr", "setattr", "getitem", "setitem", "release")


def install(namespace: dict) -> None:
    """Put an Oracle serving ``namespace`` into it, under NAME."""
    namespace[NAME] = Oracle(namespace)


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
