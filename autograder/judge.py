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
import queue
import symtable
import time
import weakref
from pathlib import Path

import numpy as np

from . import codec
from .oracle_kernel import NAME

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
    """

    def __init__(self, client, timeout: float = 120.0, limits: codec.Limits = codec.Limits()):
        self.client = client
        self.timeout = timeout
        self.limits = limits
        self._proxies: weakref.WeakValueDictionary[int, Remote] = weakref.WeakValueDictionary()
        self._released: set[int] = set()  # handles whose proxies are gone, for the next request
        self._classes: dict[tuple, type] = {}

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
        return self._ask({"op": "global", "name": name})["value"]

    def call(self, target: Remote, args: tuple = (), kwargs: dict | None = None):
        """target(*args, **kwargs) in the kernel. Arrays among the arguments that the
        call changes in place are changed here too."""
        sent = []
        answer = self._ask({"op": "call", "target": target, "args": list(args),
                            "kwargs": dict(kwargs or {})}, sent)
        mutated = answer.get("mutated")
        if type(mutated) is not list:
            raise OracleError("a call's answer needs the list 'mutated'")
        for entry in mutated:
            if not (type(entry) is list and len(entry) == 2 and type(entry[0]) is int
                    and 0 <= entry[0] < len(sent) and type(entry[1]) is np.ndarray
                    and entry[1].shape == sent[entry[0]].shape):
                raise OracleError(f"malformed entry in 'mutated': {str(entry)[:200]}")
            np.copyto(sent[entry[0]], entry[1], casting="unsafe")
        return answer["value"]

    def getattr(self, target: Remote, name: str):
        return self._ask({"op": "getattr", "target": target, "name": name})["value"]

    def setattr(self, target: Remote, name: str, value) -> None:
        self._ask({"op": "setattr", "target": target, "name": name, "value": value})

    def getitem(self, target: Remote, key):
        return self._ask({"op": "getitem", "target": target, "key": key})["value"]

    def setitem(self, target: Remote, key, value) -> None:
        self._ask({"op": "setitem", "target": target, "key": key, "value": value})

    # -- the exchange --------------------------------------------------------------------

    def _ask(self, request: dict, sent: list | None = None) -> dict:
        """Send one request; return the answer {"value": ..., ...} or raise the student's
        exception (RemoteError) or OracleError."""
        released = sorted(self._released)
        text = codec.encode({**request, "release": released}, ref=self._ref_of, arrays=sent)
        self._released.difference_update(released)
        reply = self._send("", {"r": f"{NAME}({text!r})"})
        result = _dig(reply, "user_expressions", "r") if reply.get("status") == "ok" else {}
        if result.get("status") != "ok":
            failed = result if "ename" in result else reply
            raise OracleError("the kernel did not evaluate the request: "
                              f"{str(failed.get('ename'))[:100]}: "
                              f"{str(failed.get('evalue'))[:1000]}")
        try:
            answer = codec.decode(self._answer_text(_dig(result, "data").get("text/plain")),
                                  ref=self._adopt, limits=self.limits)
        except codec.CodecError as error:
            raise OracleError(f"the kernel's answer was refused: {error}") from None
        if type(answer) is not dict:
            raise OracleError(f"an answer is a dict, not {type(answer).__name__}")
        if "fault" in answer:
            raise OracleError(f"the kernel refused the request: {str(answer['fault'])[:1000]}")
        if "error" in answer:
            raise _remote_exception(answer["error"])
        if "value" not in answer:
            raise OracleError("an answer needs a value, an error or a fault")
        return answer

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
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                reply = self.client.get_shell_msg(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise OracleTimeout(f"no answer from the kernel within {self.timeout} s") from None
            if _dig(reply, "parent_header").get("msg_id") == msg_id:  # not a late answer
                return _dig(reply, "content")

    # -- proxies ---------------------------------------------------------------------------

    def _ref_of(self, value) -> codec.Ref:
        if isinstance(value, Remote) and value._Remote__oracle is self:
            return value._Remote__ref
        raise codec.CodecError(f"cannot send a value of type {type(value).__name__} to the "
                               "kernel: only plain data and this kernel's own objects")

    def _adopt(self, ref: codec.Ref) -> Remote:
        """The one proxy of the remote object ``ref`` names."""
        proxy = self._proxies.get(ref.id)
        if proxy is None:
            proxy = self._proxy_class(ref)(self, ref)
            self._proxies[ref.id] = proxy
            self._released.discard(ref.id)  # its old proxy died, but the handle lives on
        return proxy

    def _proxy_class(self, ref: codec.Ref) -> type:
        """A subclass of RemoteFunction, RemoteClass or RemoteObject named after the remote
        type, so that type(proxy).__name__ reads as it would in the kernel."""
        key = (ref.kind, ref.type)
        if key not in self._classes:
            base = {"function": RemoteFunction, "class": RemoteClass, "object": RemoteObject}
            self._classes[key] = type(ref.type, (base[ref.kind],), {"__module__": "remote"})
        return self._classes[key]

    def _forget(self, handle: int) -> None:
        self._released.add(handle)


class Remote:
    """A proxy of an object that lives in the kernel. Attribute access, attribute
    assignment and item access are carried out there; what comes back is data (a copy)
    or another proxy. A function's or class's ``__name__`` and ``__qualname__`` are
    known here; hasattr works (AttributeError comes back as AttributeError)."""

    def __init__(self, oracle: KernelOracle, ref: codec.Ref):
        object.__setattr__(self, "_Remote__oracle", oracle)
        object.__setattr__(self, "_Remote__ref", ref)
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

    def __setitem__(self, key, value) -> None:
        self.__oracle.setitem(self, key, value)

    def __repr__(self) -> str:
        return f"<remote {self.__ref.type} #{self.__ref.id}>"

    def __del__(self):
        self.__oracle._forget(self.__ref.id)


class RemoteFunction(Remote):
    """A proxy of a callable: calling it calls the remote object (KernelOracle.call)."""

    def __call__(self, *args, **kwargs):
        return self._Remote__oracle.call(self, args, kwargs)


class RemoteClass(RemoteFunction):
    """A proxy of a class: calling it makes a remote instance and returns its proxy."""


class RemoteObject(Remote):
    """A proxy of any other remote object."""


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
