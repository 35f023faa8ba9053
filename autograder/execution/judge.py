"""The trusted side of grading: run checks here, ask the student's kernel only for values.

A check that runs inside the student's kernel can be undone by the student's code (it can
patch numpy, rebind nn_utils, hook IPython). Here the checks run in the grader's own
process; the kernel is an oracle (oracle_kernel.py) that calls the student's code with
the grader's arguments and sends back plain data (codec.py). Student objects stay in the
kernel and are used through proxies, so the existing checkers run unchanged:

    oracle = KernelOracle(client)         # a jupyter_client BlockingKernelClient
    oracle.install()                      # before the student's first cell
    ...                                   # the notebook runs as usual
    names = namespace(oracle, free_names(test_cell_source))
    exec(test_cell_source, {"np": numpy, "nn_utils": nn_utils, **names})

A request is an execute_request with no code (silent, not stored in the history) whose
``user_expressions`` calls the oracle: {"r": "__nn_oracle__('<codec JSON>')"}. The reply's
text/plain is the repr of the answer string; it is read with ast.literal_eval, then the
codec, within its limits. Nothing the kernel returns is ever executed or unpickled.
"""

from __future__ import annotations

import ast
import builtins
import collections
import contextlib
import copy
import errno
import io
import os
import queue
import select
import symtable
import time
import warnings
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.execution import codec
from autograder.execution.oracle_kernel import NAME

TRUSTED_NAMES = frozenset({"np", "numpy", "nn_utils"})  # the grader provides its own


class OracleError(RuntimeError):
    """The kernel did not answer a request as the protocol says."""


class OracleTimeout(OracleError):
    """The kernel did not answer in time (student code still running, or a dead kernel).
    The kernel may still be busy: interrupt or restart it before asking again."""


class RemoteError(Exception):
    """Base of the exceptions raised here for exceptions of the student's code. The
    class of each is named after the remote exception and derives from the built-in
    exception of that name when there is one, so ``except ValueError`` still works."""

    def __init__(self, message: str):
        Exception.__init__(self, message)  # not the built-in base's: some want more arguments

    def __str__(self) -> str:
        return self.args[0]


def bootstrap_code() -> str:
    """Python source that makes a kernel an oracle: run it once, before any student cell.

    It installs codec.py and oracle_kernel.py from their text as the modules
    ``_nn_oracle.codec`` and ``_nn_oracle.oracle_kernel`` (the kernel may not be able to
    import the grader's packages), and puts the Oracle into the user namespace as NAME.
    """
    here = Path(__file__).parent
    sources = {name: (here / f"{name}.py").read_text() for name in ("codec", "oracle_kernel")}
    return f"""\
def _install_oracle(sources):
    import sys, types
    package = sys.modules["_nn_oracle"] = types.ModuleType("_nn_oracle")
    package.__path__ = []
    for name, source in sources.items():
        module = types.ModuleType("_nn_oracle." + name)
        module.__package__ = "_nn_oracle"
        sys.modules[module.__name__] = module
        exec(compile(source, "<oracle " + name + ">", "exec"), module.__dict__)
    sys.modules["_nn_oracle.oracle_kernel"].install(globals())
_install_oracle({sources!r})
del _install_oracle
"""


class KernelOracle:
    """Asks one running kernel, through a blocking jupyter_client KernelClient, for the
    values of its names and the results of calls. Not thread-safe.

    Args:
        client: a started BlockingKernelClient of the kernel. It may be a second client
            of a kernel that another (say nbclient's) drives: replies go to the client
            that asked. Only the shell channel is read.
        timeout: seconds to wait for one answer.
        limits: what an answer may hold (codec.Limits).
        owner: (uid, gid) of the kernel's own user (``c.Sandbox.user``), who must be able
            to open the pipes; None when it runs as the grader's user.
    """

    def __init__(self, client, timeout: float = 120.0, limits: codec.Limits = codec.Limits(),
                 owner: tuple | None = None):
        self.client = client
        self.owner = owner
        self.timeout = timeout
        self.deadline: float | None = None  # time.monotonic() by which every answer is due
        self.limits = limits
        self._proxies: weakref.WeakValueDictionary[int, Remote] = weakref.WeakValueDictionary()
        self._released: set[int] = set()  # handles whose proxies are gone, for the next request
        self._classes: dict[tuple, type] = {}
        self._sent = codec.SentArrays()  # the large arrays the kernel keeps
        self._pipe: Pipe | None = None
        self._pipes = 0  # pipes made so far: each has a new name
        self._lent: dict[int, object] = {}  # id -> the grader's objects lent while serving
        self._raised_here: Exception | None = None  # a check failed in a lent object

    def install(self) -> None:
        """Make the kernel an oracle (bootstrap_code); call it before any student code."""
        reply = self._send(bootstrap_code(), {})
        if reply.get("status") != "ok":
            raise OracleError(f"could not install the oracle: {reply.get('ename')}: "
                              f"{reply.get('evalue')}")

    # -- the operations ------------------------------------------------------------------

    def lookup(self, name: str):
        """The value of ``name`` in the kernel's namespace: data, or a proxy. A missing
        name raises NameError, as it would in the kernel."""
        return self._held(self._ask({"op": "global", "name": name}))

    def seed(self, value: int) -> None:
        """numpy.random.seed(value) in the kernel."""
        self._ask({"op": "seed", "value": int(value)})

    def random_state(self, action: str) -> None:
        """Push ("save") numpy's global random state in the kernel, or pop it back
        ("restore")."""
        self._ask({"op": "random_state", "action": action})

    def call(self, target: Remote, args: tuple = (), kwargs: dict | None = None,
             count: str | None = None):
        """target(*args, **kwargs) in the kernel. Arrays among the arguments that the
        call changes in place are changed here too. With ``count``, (the result, how many
        times the call used numpy.<count>)."""
        sent = []
        request = {"op": "call", "target": target, "args": list(args),
                   "kwargs": dict(kwargs or {})}
        answer = self._ask({**request, "count": count} if count else request, sent)
        mutated = answer.get("mutated")
        if type(mutated) is not list:
            raise OracleError("a call's answer needs the list 'mutated'")
        for entry in mutated:
            if not (type(entry) is list and len(entry) == 2 and type(entry[0]) is int
                    and 0 <= entry[0] < len(sent) and type(entry[1]) is np.ndarray
                    and entry[1].shape == sent[entry[0]].shape):
                raise OracleError(f"malformed entry in 'mutated': {str(entry)[:200]}")
            np.copyto(sent[entry[0]], entry[1], casting="unsafe")
        if count:
            if type(answer.get("counted")) is not int:
                raise OracleError("a counted call's answer needs the int 'counted'")
            return answer["value"], answer["counted"]
        return answer["value"]

    def getattr(self, target: Remote, name: str):
        methods = target._Remote__methods
        if name in methods:
            return methods[name]
        answer = self._ask({"op": "getattr", "target": target, "name": name})
        if answer.get("method") is True and isinstance(answer["value"], RemoteFunction):
            # A method of the object's class: asking again would give the same method
            # (a class changed while the checks run is the student's code changing its
            # answers, which it can do anyway).
            methods[name] = answer["value"]
        return self._held(answer)

    def setattr(self, target: Remote, name: str, value) -> None:
        self._ask({"op": "setattr", "target": target, "name": name, "value": value})

    def getitem(self, target: Remote, key):
        return self._held(self._ask({"op": "getitem", "target": target, "key": key}))

    @staticmethod
    def _held(answer: dict):
        """The answer's value; a dict the kernel holds comes as a RemoteDict."""
        holder, value = answer.get("holder"), answer["value"]
        if isinstance(holder, Remote) and type(value) is dict:
            return (RemoteOrderedDict if answer.get("ordered") is True else RemoteDict)(
                value, holder)
        return value

    def setitem(self, target: Remote, key, value) -> None:
        self._ask({"op": "setitem", "target": target, "key": key, "value": value})

    # -- the exchange --------------------------------------------------------------------

    def _ask(self, request: dict, sent: list | None = None) -> dict:
        """Send one request; return the answer {"value": ..., ...} or raise the student's
        exception (RemoteError) or OracleError."""
        for attempt in (1, 2):
            try:
                return self._exchange(request, sent)
            except OracleError as error:  # the kernel forgot the arrays it kept: send again
                if attempt == 2 or codec.UNKNOWN_CACHED not in str(error):
                    raise
                self._sent.digests.clear()
                if sent is not None:
                    sent.clear()

    def _exchange(self, request: dict, sent: list | None) -> dict:
        released = sorted(self._released)
        text = codec.encode({**request, "release": released}, ref=self._ref_of, arrays=sent,
                            sent=self._sent)
        self._released.difference_update(released)
        text = (self._pipe.ask(text, self._due(), self._callback)
                if self._pipe and self._pipe.serving else self._by_expression(text))
        try:
            answer = codec.decode(text, ref=self._adopt, limits=self.limits)
        except codec.CodecError as error:
            raise OracleError(f"the kernel's answer was refused: {error}") from None
        if type(answer) is not dict:
            raise OracleError(f"an answer is a dict, not {type(answer).__name__}")
        if "fault" in answer:
            raise OracleError(f"the kernel refused the request: {str(answer['fault'])[:1000]}")
        if "error" in answer:
            raised_here, self._raised_here = self._raised_here, None
            remote = _remote_exception(answer["error"])
            if raised_here is not None and str(remote) == _shown(raised_here)[:2000]:
                raise raised_here  # a lent object's check failed inside the student's code
            raise remote
        self._raised_here = None
        if "value" not in answer:
            raise OracleError("an answer needs a value, an error or a fault")
        return answer

    def _by_expression(self, text: str) -> str:
        """One request as a user_expression of a silent execute_request; the answer."""
        reply = self._send("", {"r": f"{NAME}({text!r})"})
        result = _dig(reply, "user_expressions", "r") if reply.get("status") == "ok" else {}
        if result.get("status") != "ok":
            failed = result if "ename" in result else reply
            raise OracleError("the kernel did not evaluate the request: "
                              f"{str(failed.get('ename'))[:100]}: "
                              f"{str(failed.get('evalue'))[:1000]}")
        return self._answer_text(_dig(result, "data").get("text/plain"))

    @contextlib.contextmanager
    def serving(self, folder: Path):
        """While it lasts, requests go through two named pipes in ``folder`` (a folder the
        kernel can open), which is some 20 times faster than one execute_request each: the
        kernel runs the oracle's serve loop (one silent execute_request) until the end."""
        if self._pipe is None:
            self._pipes += 1
            self._pipe = Pipe(folder, self._pipes, self.limits.bytes, self.owner)
        pipe = self._pipe
        msg_id = self.client.execute(f"{NAME}.serve({str(pipe.requests)!r}, "
                                     f"{str(pipe.answers)!r})", silent=True,
                                     store_history=False, allow_stdin=False)
        try:
            pipe.start(self._due())
            yield
        finally:
            pipe.serving = False
            self._lent.clear()
            if not pipe.broken:
                try:
                    pipe.end(self._due())
                    self._reply_to(msg_id)
                except OracleError:
                    pass  # broken now: dropped below
            if pipe.broken:  # the kernel stopped answering: the next session gets new pipes
                pipe.close()
                self._pipe = None

    def _due(self) -> float:
        deadline = time.monotonic() + self.timeout
        return deadline if self.deadline is None else min(deadline, self.deadline)

    def close(self) -> None:
        if self._pipe is not None:
            self._pipe.close()

    def _answer_text(self, shown) -> str:
        # The repr of a str at most doubles its length (every character escaped at worst
        # is a backslash or a quote); a longer text is refused before it is parsed.
        if type(shown) is not str or len(shown) > 2 * self.limits.bytes + 2:
            raise OracleError("the answer is missing or too long")
        try:
            text = ast.literal_eval(shown)
        except (ValueError, SyntaxError, RecursionError, MemoryError):
            raise OracleError("the answer is not a string literal") from None
        if type(text) is not str:
            raise OracleError(f"the answer is a {type(text).__name__}, not a string")
        return text

    def _send(self, code: str, expressions: dict) -> dict:
        """Execute ``code`` silently with ``user_expressions``; the reply's content."""
        msg_id = self.client.execute(code, silent=True, store_history=False,
                                     user_expressions=expressions, allow_stdin=False)
        return self._reply_to(msg_id)

    def _reply_to(self, msg_id: str) -> dict:
        """The content of the kernel's reply to the request ``msg_id``."""
        deadline = self._due()
        while True:
            try:
                reply = self.client.get_shell_msg(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise OracleTimeout("no answer from the kernel in time") from None
            if _dig(reply, "parent_header").get("msg_id") == msg_id:  # not a late answer
                return _dig(reply, "content")

    # -- proxies ---------------------------------------------------------------------------

    def _ref_of(self, value) -> codec.Ref:
        if isinstance(value, (RemoteDict, RemoteOrderedDict)):
            value = value.holder
        if isinstance(value, (Remote, RemoteClassType)) and value._Remote__oracle is self:
            return value._Remote__ref
        if self._pipe is not None and self._pipe.serving and lendable(value):
            self._lent[id(value)] = value
            kind = "class" if isinstance(value, type) else \
                "function" if callable(value) else "object"
            name = getattr(value, "__qualname__", None) if kind != "object" else None
            return codec.Ref(id(value), type(value).__name__, kind,
                             name if type(name) is str and name else None, lent=True)
        raise codec.CodecError(f"cannot send a value of type {type(value).__name__} to the "
                               "kernel: only plain data and this kernel's own objects")

    def _adopt(self, ref: codec.Ref) -> Remote:
        """The one proxy of the remote object ``ref`` names (or the grader's own object,
        for a Ref of one it lent)."""
        if ref.lent:
            if ref.id not in self._lent:
                raise codec.CodecError("no object the grader lent has that id")
            return self._lent[ref.id]
        proxy = self._proxies.get(ref.id)
        if proxy is None:
            proxy = (RemoteClassType.of(self, ref) if ref.kind == "class"
                     else self._proxy_class(ref)(self, ref))
            self._proxies[ref.id] = proxy
            self._released.discard(ref.id)  # its old proxy died, but the handle lives on
        return proxy

    def _proxy_class(self, ref: codec.Ref) -> type:
        """A subclass of RemoteFunction or RemoteObject named after the remote type, so
        that type(proxy).__name__ reads as it would in the kernel."""
        key = (ref.kind, ref.type)
        if key not in self._classes:
            base = {"function": RemoteFunction, "object": RemoteObject}
            self._classes[key] = type(ref.type, (base[ref.kind],), {"__module__": "remote"})
        return self._classes[key]

    def _callback(self, text: str) -> str:
        """The answer to the kernel's request to use an object the grader lent it."""
        try:
            request = codec.decode(text, ref=self._adopt, limits=self.limits)
            value = self._use_lent(request)
            if type(value).__name__ in _VIEWS:
                value = list(value)
            return codec.encode({"value": value}, ref=self._ref_of)
        except Exception as error:  # the kit's code raised, or the request was refused
            from nn_utils.errors import CheckFailure

            self._raised_here = error if isinstance(error, CheckFailure) else None
            return codec.encode({"error": {"type": type(error).__name__,
                                           "message": _shown(error)[:2000]}})

    def _use_lent(self, request):
        if type(request) is not dict or request.get("op") not in _LENT_OPERATIONS:
            raise OracleError("not a request about a lent object")
        target, op = request.get("target"), request["op"]
        if not any(target is lent for lent in self._lent.values()):
            raise OracleError("the target is not an object the grader lent")
        name = request.get("name")
        if op in ("getattr", "setattr") and not (type(name) is str and name.isidentifier()
                                                 and not name.startswith("_")):
            raise AttributeError(f"the grader's objects lend public attributes only, not "
                                 f"{str(name)[:100]!r}")
        if op == "getattr":
            return getattr(target, name)
        if op == "setattr":
            return setattr(target, name, request.get("value"))
        if op == "call":
            args, kwargs = request.get("args"), request.get("kwargs")
            if type(args) is not list or type(kwargs) is not dict:
                raise OracleError("a call needs args and kwargs")
            return target(*args, **kwargs)
        if op == "getitem":
            return target[request.get("key")]
        if op == "setitem":
            target[request.get("key")] = request.get("value")
            return None
        return list(target)

    def _forget(self, handle: int, proxy) -> None:
        """``proxy`` of ``handle`` is going: the kernel may let the object go, unless
        another proxy of it is alive (one made after the first became garbage, before it
        was collected)."""
        if self._proxies.get(handle) in (None, proxy):
            self._released.add(handle)


_LENT_OPERATIONS = ("getattr", "setattr", "call", "getitem", "setitem", "list")
_VIEWS = ("odict_items", "odict_keys", "odict_values", "dict_items", "dict_keys",
          "dict_values")


def lendable(value) -> bool:
    """Whether the kernel may use ``value``, one of the grader's objects, through a proxy:
    objects of the kit's own classes (a checker's helper layer), OrderedDicts, and the
    methods of either. Nothing else: the kernel must not reach the grader's modules."""
    module = str(getattr(type(value), "__module__", "") or "")
    if module.split(".")[0] == "nn_utils" and not isinstance(value, type):
        return True
    if type(value) is collections.OrderedDict:
        return True
    owner = getattr(value, "__self__", None)
    return callable(value) and owner is not None and owner is not value \
        and not isinstance(owner, type) and lendable(owner)


class Pipe:
    """The judge's ends of two named pipes to a kernel's Oracle.serve: requests go out and
    answers come back as frames (8-byte length, 8-byte sequence number, then UTF-8 text;
    length 0 ends the serve loop). Every wait has a deadline, and an answer is read only
    up to ``limit`` bytes, so a kernel that stops answering or floods cannot hold the
    grader."""

    def __init__(self, folder: Path, number: int, limit: int, owner: tuple | None = None):
        self.requests = folder / f".oracle-requests-{number}"
        self.answers = folder / f".oracle-answers-{number}"
        for path in (self.requests, self.answers):
            if path.exists():
                path.unlink()
            os.mkfifo(path, 0o600)
            if owner:  # the kernel's own user opens the other ends
                os.chown(path, *owner)
        self.limit = limit
        self.read_fd = os.open(self.answers, os.O_RDONLY | os.O_NONBLOCK)
        self.write_fd: int | None = None
        self.serving = False
        self.broken = False  # a wait timed out or the kernel broke the frames: unusable
        self.sequence = 0
        self.buffer = bytearray()

    def start(self, deadline: float) -> None:
        """Wait for the kernel's serve loop (the first time: for it to open the pipes)."""
        while self.write_fd is None:
            try:
                self.write_fd = os.open(self.requests, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as error:  # ENXIO: the kernel has not opened its end yet
                if error.errno != errno.ENXIO:
                    raise
                if time.monotonic() >= deadline:
                    self.broken = True
                    raise OracleTimeout("the kernel did not start serving in time") from None
                time.sleep(0.001)
        self.serving = True

    def ask(self, text: str, deadline: float, callback) -> str:
        """Send one request; return its answer. Meanwhile the kernel may ask to use objects
        the grader lent it (frames of sequence number 0): ``callback`` answers those."""
        self.sequence += 1
        self._send(text, self.sequence, deadline)
        while True:  # answers to requests that timed out earlier are skipped
            length = int.from_bytes(self._read(8, deadline), "big")
            sequence = int.from_bytes(self._read(8, deadline), "big")
            if length > self.limit:
                self.broken = True
                raise OracleError(f"an answer of {length} bytes is over the limit")
            try:
                answer = self._read(length, deadline).decode()
            except UnicodeDecodeError:
                self.broken = True
                raise OracleError("the answer is not UTF-8 text") from None
            if sequence == 0:
                self._send(callback(answer), 0, deadline)
            elif sequence == self.sequence:
                return answer

    def _send(self, text: str, sequence: int, deadline: float) -> None:
        data = text.encode()
        self._write(len(data).to_bytes(8, "big") + sequence.to_bytes(8, "big") + data,
                    deadline)

    def end(self, deadline: float) -> None:
        self._write(bytes(16), deadline)

    def _write(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            self._wait(self.write_fd, deadline, write=True)
            try:
                view = view[os.write(self.write_fd, view):]
            except BlockingIOError:
                continue
            except BrokenPipeError:
                self.broken = True
                raise OracleError("the kernel closed its end of the pipe") from None

    def _read(self, count: int, deadline: float) -> bytes:
        while len(self.buffer) < count:
            self._wait(self.read_fd, deadline, write=False)
            try:
                chunk = os.read(self.read_fd, max(count - len(self.buffer), 2**16))
            except BlockingIOError:
                continue
            if not chunk:  # no writer: the kernel closed its end (or has not opened it)
                time.sleep(0.001)
                continue
            self.buffer.extend(chunk)  # a bytearray: large answers come in 64 KiB pieces
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        return data

    def _wait(self, fd: int, deadline: float, write: bool) -> None:
        left = max(0.0, deadline - time.monotonic())
        ready = select.select([], [fd], [], left)[1] if write else \
            select.select([fd], [], [], left)[0]
        if not ready:
            self.broken = True
            raise OracleTimeout("no answer from the kernel in time")

    def close(self) -> None:
        for fd in (self.read_fd, self.write_fd):
            if fd is not None:
                os.close(fd)
        for path in (self.requests, self.answers):
            path.unlink(missing_ok=True)


class Remote:
    """A proxy of an object that lives in the kernel. Attribute access, attribute
    assignment and item access are carried out there; what comes back is data (a copy)
    or another proxy. A function's or class's ``__name__`` and ``__qualname__`` are
    known here; hasattr works (AttributeError comes back as AttributeError)."""

    def __init__(self, oracle: KernelOracle, ref: codec.Ref):
        object.__setattr__(self, "_Remote__oracle", oracle)
        object.__setattr__(self, "_Remote__ref", ref)
        object.__setattr__(self, "_Remote__methods", {})  # name -> method proxy (getattr)
        if ref.name is not None:
            object.__setattr__(self, "__name__", ref.name.rpartition(".")[2])
            object.__setattr__(self, "__qualname__", ref.name)

    def __getattr__(self, name: str):
        if name.startswith("_Remote__"):  # not set yet: never ask the kernel for these
            raise AttributeError(name)
        return self.__oracle.getattr(self, name)

    def __setattr__(self, name: str, value) -> None:
        self.__oracle.setattr(self, name, value)

    def __getitem__(self, key):
        return self.__oracle.getitem(self, key)

    @property
    def __dict__(self):
        """The remote object's attributes (vars() reads them), writing through."""
        return self.__oracle.getattr(self, "__dict__")

    def __setitem__(self, key, value) -> None:
        self.__oracle.setitem(self, key, value)

    def __repr__(self) -> str:
        return f"<remote {self.__ref.type} #{self.__ref.id}>"

    # A proxy stands for one object in the kernel; a copy of it would be a second proxy of
    # the same object, releasing it when the copy goes. The kernel's object is not copied.
    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce_ex__(self, protocol):
        raise TypeError("a proxy of an object in the student's kernel cannot be pickled")

    def __del__(self):
        self.__oracle._forget(self.__ref.id, self)


class RemoteFunction(Remote):
    """A proxy of a callable: calling it calls the remote object (KernelOracle.call)."""

    def __call__(self, *args, **kwargs):
        return self._Remote__oracle.call(self, args, kwargs)

    def count_calls(self, name: str, *args):
        """(self(*args), how many times the call used numpy.<name>), counted in the kernel
        (which could lie: a check of style, not of values)."""
        return self._Remote__oracle.call(self, args, {}, count=name)


class RemoteClassType(type):
    """The type of the proxies of remote classes. Such a proxy is itself a class, so that
    ``isinstance(proxy, type)`` holds as it does for the class in the kernel; calling it
    makes a remote instance and returns its proxy; its other attributes are the remote
    class's."""

    @classmethod
    def of(mcs, oracle: KernelOracle, ref: codec.Ref) -> "RemoteClassType":
        name = ref.name or ref.type
        return mcs(name.rpartition(".")[2], (RemoteClass,), {
            "_Remote__oracle": oracle, "_Remote__ref": ref, "_Remote__methods": {},
            "__module__": "remote", "__qualname__": name})

    def __call__(cls, *args, **kwargs):
        return cls._Remote__oracle.call(cls, args, kwargs)

    def __getattr__(cls, name: str):
        if name.startswith("_Remote__") or name.startswith("__"):
            raise AttributeError(name)
        return cls._Remote__oracle.getattr(cls, name)

    def __repr__(cls) -> str:
        return f"<remote class {cls.__qualname__} #{cls._Remote__ref.id}>"

    def __del__(cls):
        cls._Remote__oracle._forget(cls._Remote__ref.id, cls)


class RemoteClass:
    """The base of every proxy of a remote class (see RemoteClassType)."""


class RemoteObject(Remote):
    """A proxy of any other remote object."""


class RemoteDict(dict):
    """A copy of a dict that lives in the kernel (model.params, say), which writes through:
    setting an item sets it here and there. Reading reads the copy, taken when the dict
    was fetched. Sent back to the kernel, it stands for the kernel's own dict."""

    def __init__(self, items: dict, holder: Remote):
        super().__init__(items)
        self.holder = holder

    def __setitem__(self, key, value) -> None:
        self.holder[key] = value
        super().__setitem__(key, value)

    def __deepcopy__(self, memo):  # a copy is the checker's own: it writes nowhere
        return copy.deepcopy(dict(self), memo)

    def __copy__(self):
        return dict(self)


class RemoteOrderedDict(collections.OrderedDict):
    """RemoteDict's twin for an OrderedDict in the kernel (checks may ask for one)."""

    def __init__(self, items: dict, holder: Remote):
        self.holder = None  # filling the copy writes nothing back
        super().__init__(items)
        self.holder = holder

    def __setitem__(self, key, value) -> None:
        if self.holder is not None:
            self.holder[key] = value
        super().__setitem__(key, value)

    def __deepcopy__(self, memo):
        return copy.deepcopy(collections.OrderedDict(self), memo)

    def __copy__(self):
        return collections.OrderedDict(self)


def _dig(message, *keys) -> dict:
    """message[k1][k2]..., or {} where that is not a dict: the kernel writes its replies,
    and student code in it can change what they hold."""
    for key in keys:
        message = message.get(key) if isinstance(message, dict) else None
    return message if isinstance(message, dict) else {}


_EXCEPTION_CLASSES: dict[str, type] = {}


def _remote_exception(error) -> RemoteError:
    """The local stand-in of a remote exception: same class name, same str()."""
    if not (type(error) is dict and type(error.get("type")) is str
            and type(error.get("message")) is str):
        raise OracleError("malformed error in the answer")
    name = error["type"] if error["type"].isidentifier() else "RemoteError"
    if name not in _EXCEPTION_CLASSES:
        builtin = getattr(builtins, name, None)
        bases = (RemoteError,) + ((builtin,) if isinstance(builtin, type)
                                  and issubclass(builtin, Exception) else ())
        _EXCEPTION_CLASSES[name] = type(name, bases, {"__module__": "remote"})
    return _EXCEPTION_CLASSES[name](error["message"])


def free_names(code: str) -> set[str]:
    """The names ``code`` (a test cell, plain Python: no magics) reads but does not bind
    itself, at any depth: what it needs from the notebook. symtable, not a walk of the
    ast, decides, so scopes (comprehensions, functions, ``global``) count as Python counts
    them. A name the cell binds anywhere at top level counts as bound, even if read
    before."""
    free, bound = set(), set()
    tables = [symtable.symtable(code, "<cell>", "exec")]
    while tables:
        table = tables.pop()
        tables.extend(table.get_children())
        for symbol in table.get_symbols():
            if table.get_type() != "module" and not symbol.is_global():
                continue
            if symbol.is_referenced():
                free.add(symbol.get_name())
            if symbol.is_assigned() or symbol.is_imported():
                bound.add(symbol.get_name())
    return free - bound


def namespace(oracle: KernelOracle, names, provided=TRUSTED_NAMES) -> dict:
    """{name: data or proxy} from the kernel for each of ``names`` that it defines, except
    the names the grader provides itself (``provided`` and the builtins). A name the
    kernel lacks is left out, so the test cell raises NameError here as it would there.

    ``provided`` must hold every name the notebook's own (locked) cells import for its
    tests, e.g. ``rel_error`` in FC_nets: a name fetched from the kernel is the student's.
    """
    found = {}
    for name in sorted(set(names) - set(provided)):
        if hasattr(builtins, name):
            continue
        try:
            found[name] = oracle.lookup(name)
        except NameError:
            continue
    return found


# -- running a test cell here ----------------------------------------------------------------

def trusted_imports(sources) -> dict[str, ast.Module]:
    """{name: the import statement that binds it} for the top-level imports of ``sources``,
    the notebook's locked cells. nbgrader restores locked cells from the course's copy, so
    what they import is the course's choice, and the grader imports it itself."""
    found = {}
    for statement in top_level_statements(sources):
        absolute = isinstance(statement, ast.Import) or (
            isinstance(statement, ast.ImportFrom) and statement.level == 0)
        if absolute:
            for alias in statement.names:
                if alias.name != "*":
                    bound = alias.asname or alias.name.split(".")[0]
                    found[bound] = ast.fix_missing_locations(ast.Module(
                        body=[type(statement)(**{**vars(statement), "names": [alias]})],
                        type_ignores=[]))
    return found


def top_level_statements(sources):
    """The top-level statements of each of ``sources`` in order, skipping a source that
    is not Python (nbgrader's own error covers it)."""
    for source in sources:
        try:
            yield from ast.parse(source).body
        except SyntaxError:
            continue


def trusted_names(needed, imports: dict[str, ast.Module], oracle: KernelOracle,
                  kit=None) -> dict:
    """The values of those of ``needed`` that ``imports`` binds (and np, numpy and
    nn_utils), imported here; nn_utils, and what is imported from it, through a KitView
    of ``kit``: the assignment's nn_utils (bundle.kit_module), the kit's own when None."""
    import nn_utils

    view = KitView(kit or nn_utils, oracle)
    env: dict = {"np": np, "numpy": np}
    for name in set(needed) & set(imports):
        statement = imports[name].body[0]
        alias = statement.names[0]
        if isinstance(statement, ast.ImportFrom) and statement.module == "nn_utils" \
                and not statement.level:
            env[name] = getattr(view, alias.name)
        elif isinstance(statement, ast.Import) and alias.name == "nn_utils":
            env[name] = view
        else:
            exec(compile(imports[name], "<import>", "exec"), env)
    env["nn_utils"] = view
    return env


class KitView:
    """nn_utils as the test cells see it here: the grader's own module, except for the
    functions marked ``runs_in_kernel`` (they read state of the kernel's process, such as
    the figures it drew), which are the kernel's and run there."""

    def __init__(self, module, oracle: KernelOracle):
        self._module, self._oracle = module, oracle

    def __getattr__(self, name: str):
        value = getattr(self._module, name)
        if getattr(value, "runs_in_kernel", False) is True:
            return getattr(self._oracle.lookup("nn_utils"), name)
        return value


@dataclass
class CellRun:
    """What a test cell printed, showed and raised when it ran here."""

    stdout: str = ""
    stderr: str = ""  # warnings included, as the kernel would have shown them
    result: str | None = None  # IPython's text/plain of the last expression's value
    error: tuple[str, str] | None = None  # (exception class name, message)
    timed_out: bool = False
    broken_protocol: str = ""  # what the kernel's answers did wrong, if anything


def run_test_cell(oracle: KernelOracle, source: str, imports: dict, state: dict,
                  kit=None) -> CellRun:
    """Run one test cell in this process, with the notebook's names from the kernel and
    ``kit`` as nn_utils (see trusted_names).

    ``state`` holds what earlier test cells bound (they ran here too); it is updated with
    this cell's names. The last expression's value is shown as IPython shows it, because
    nbgrader reads a partial score from it.
    """
    run = CellRun()
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        run.error = ("SyntaxError", str(error))
        return run
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for category in _IGNORED_WARNINGS:  # as Python's default filters, in a kernel too
            warnings.filterwarnings("ignore", category=category)
        try:
            needed = free_names(source) - set(state)
            env = trusted_names(needed, imports, oracle, kit)
            env.update(namespace(oracle, needed - set(env), provided=set(env)))
            env.update(state)
            with seeding_the_kernel(oracle):
                exec(compile(tree, "<test cell>", "exec"), env)
                if last is not None:
                    value = eval(compile(ast.Expression(last.value), "<test cell>", "eval"),
                                 env)
                if value is not None:
                    from IPython.lib.pretty import pretty

                    run.result = pretty(value)
        except OracleTimeout as error:
            run.timed_out, run.error = True, ("TimeoutError", str(error))
        except OracleError as error:
            run.broken_protocol = str(error)
            run.error = ("GradingProtocolError", str(error))
        except Exception as error:  # the check's verdict, or the student's code failing
            run.error = (type(error).__name__, _shown(error))
        finally:
            state.update({name: env[name] for name in _bound(tree, last) if name in env}
                         if "env" in locals() else {})
    run.stdout = out.getvalue()
    shown = {f"{w.filename}:{w.lineno}: {w.category.__name__}: {w.message}\n" for w in caught}
    run.stderr = err.getvalue() + "".join(sorted(shown))
    return run


@contextlib.contextmanager
def seeding_the_kernel(oracle: KernelOracle):
    """While it lasts, what the checks do here to numpy's global generator they do to the
    kernel's too: seed it (for student code that draws from it, such as initialisers), and
    save and restore its state around each check (nn_utils.checking), as a check in the
    kernel leaves a student's random numbers as they were."""
    from nn_utils.checking import RANDOM_STATE_MIRRORS

    seed_here = np.random.seed

    def seed(value=None):
        seed_here(value)
        if value is not None:
            oracle.seed(value)

    mirror = KernelRandomState(oracle)
    np.random.seed = seed
    RANDOM_STATE_MIRRORS.append(mirror)
    try:
        yield
    finally:
        np.random.seed = seed_here
        RANDOM_STATE_MIRRORS.remove(mirror)


class KernelRandomState:
    """The kernel's numpy random state, saved and restored around a check."""

    def __init__(self, oracle: KernelOracle):
        self.oracle = oracle

    def save(self) -> None:
        self.oracle.random_state("save")

    def restore(self) -> None:
        self.oracle.random_state("restore")


# Warnings Python does not show by default: here they would also come from the grader's
# own objects (an event loop collected during the cell), not from the check.
_IGNORED_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning,
                     ResourceWarning)


def _bound(tree: ast.Module, last) -> set[str]:
    names = set()
    for node in ast.walk(ast.Module(body=tree.body + ([last] if last else []), type_ignores=[])):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def _shown(error: BaseException) -> str:
    try:
        return str(error)
    except Exception:
        return f"<{type(error).__name__} whose message cannot be shown>"
