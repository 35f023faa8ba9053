"""Run a grading kernel that writes down what its code tries beyond its own folder.

    python kernel_watch.py EVENTS_FILE SETTINGS_JSON -f CONNECTION_FILE

The sandbox stops a submission that reads the gradebook or opens a connection, but code
that wraps the attempt in ``try: ... except: pass`` leaves no error behind to flag. So
before the kernel runs any cell this installs a Python audit hook (PEP 578: it cannot be
removed again) that appends one JSON line to EVENTS_FILE for each attempt to open, list,
change or remove a file outside the kernel's folder and the system folders it may read
(SETTINGS_JSON: {"visible": [...], "own": [...]}), to open a notebook in its folder, to
reach the network, to signal another process or to start a program. The grader reads the
file after every cell
(execution.py) and judges the lines (sandbox.attempt).

It also writes down what a cell does to the machinery that runs the cells after it (see
Machinery): IPython's transformers, events and run methods, the name and module
``nn_utils`` and the code of its functions, the numpy functions the checks use. A test
cell runs in this same process, so such a change can alter what a check sees.

It is a watch, not a wall: the sandbox is what stops these attempts; the watch only writes
them down (without a sandbox too, where nothing stops them). Code that finds the hook's state through the garbage collector, or truncates
the file in the same cell, can hide an attempt; it cannot make the attempt succeed.
Standard library only: it runs inside the sandbox, where the grader's packages are not.
The grader copies this file into the kernel's runtime folder and runs it from there.
"""

import builtins
import json
import os
import sys

MAX_LINES = 1000  # per kernel: a loop of attempts must not fill the runtime folder
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_PATH_EVENTS = {"os.listdir": "list", "os.scandir": "list", "os.remove": "remove",
                "os.rmdir": "remove", "shutil.rmtree": "remove", "os.rename": "rename",
                "os.chmod": "change", "os.chown": "change", "os.truncate": "change",
                "os.mkdir": "create", "os.symlink": "create", "os.link": "create"}
_NETWORK_EVENTS = {"socket.connect": "connect", "socket.connect_ex": "connect",
                   "socket.bind": "bind", "socket.sendto": "send",
                   "socket.getaddrinfo": "lookup", "socket.gethostbyname": "lookup",
                   "socket.gethostbyaddr": "lookup"}
_PROGRAM_EVENTS = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
                   "os.fork", "os.forkpty", "pty.spawn")


# What the kernel itself may register: IPython's, ipykernel's and the inline backend's own.
_TRUSTED_MODULES = ("IPython", "ipykernel", "matplotlib_inline", "matplotlib", "traitlets",
                    "jupyter_client", "comm", "debugpy")
_SHELL_LISTS = (("input_transformers_cleanup", "an input transformer"),
                ("input_transformers_post", "an input transformer"),
                ("ast_transformers", "an AST transformer"))
# Methods through which a cell's code is transformed, run and its error reported.
_SHELL_METHODS = ("run_cell", "run_cell_async", "_run_cell", "transform_cell",
                  "transform_ast", "run_ast_nodes", "run_code", "showtraceback",
                  "_showtraceback", "showsyntaxerror", "get_exception_only")
# The numpy functions the checks compare and compute with (not einsum: check_einsum
# counts its calls by wrapping it for the length of the check).
_NUMPY_FUNCTIONS = ("allclose", "isclose", "array_equal", "asarray", "array", "abs", "max",
                    "min", "sum", "mean", "argmax", "exp", "log", "isfinite", "all", "any",
                    "maximum", "where")


# The grader's oracle in the user namespace (autograder/oracle_kernel.NAME), and its methods.
_ORACLE = "__nn_oracle__"
_ORACLE_METHODS = ("__call__", "answer", "prepare", "serve", "callback", "resolve", "handle")


def _name_of(function) -> str:
    return str(getattr(function, "__qualname__", None) or type(function).__name__)


def _imported(module) -> bool:
    """Whether ``module`` is there and done importing (not half-way, as it is while its own
    import compiles code)."""
    spec = getattr(module, "__spec__", None)
    return module is not None and not getattr(spec, "_initializing", False)


def _trusted(function) -> bool:
    module = getattr(function, "__module__", None) or type(function).__module__ or ""
    return str(module).split(".")[0] in _TRUSTED_MODULES


class Machinery:
    """What a grading kernel runs test cells with, as it was before any student code, and
    the changes to it since. Checked on every compilation (the audit event "compile",
    which IPython raises for each cell it runs), so that a change is noted before the
    next cell runs. Each change is described in words, once."""

    def __init__(self, shell):
        self.shell = shell
        self.lists = {name: {id(f) for f in getattr(shell, name, [])} for name, _ in _SHELL_LISTS}
        self.events = {event: {id(f) for f in callbacks}
                       for event, callbacks in shell.events.callbacks.items()}
        # ipykernel sets some of these on the shell itself at start-up: those are its own.
        self.methods = {m: vars(shell).get(m) for m in _SHELL_METHODS}
        self.nn_utils = None  # the module, once the setup cell has imported it
        self.codes = {}  # (module, function name) -> its code object, at that moment
        self.numpy = None
        self.numpy_functions = {}
        self.oracle = None  # the grader's oracle, once installed
        self.oracle_methods = {}

    def changes(self):
        """Descriptions of what was changed since the snapshot (repeats included)."""
        shell = self.shell
        for name, what in _SHELL_LISTS:
            for function in getattr(shell, name, []):
                if id(function) not in self.lists[name] and not _trusted(function):
                    yield f"added {what} to IPython's {name} ({_name_of(function)})"
        for event, callbacks in shell.events.callbacks.items():
            for function in callbacks:
                if id(function) not in self.events.get(event, ()) and not _trusted(function):
                    yield f"registered an IPython {event} callback ({_name_of(function)})"
        for method, own in self.methods.items():
            if vars(shell).get(method) is not own:
                yield f"replaced the IPython shell's {method}"
        yield from self._nn_utils_changes()
        yield from self._numpy_changes()
        yield from self._oracle_changes()

    def _oracle_changes(self):
        """The grader's oracle (autograder/execution/oracle_kernel.py), once it is installed:
        replaced, or its methods changed."""
        oracle = self.shell.user_ns.get(_ORACLE)
        if self.oracle is None:
            if oracle is not None:
                self.oracle = oracle
                self.oracle_methods = {m: vars(type(oracle)).get(m) for m in _ORACLE_METHODS}
            return
        if oracle is not self.oracle:
            yield f"replaced the grader's oracle ({_ORACLE}), which answers the checks"
        for method, own in self.oracle_methods.items():
            if vars(type(self.oracle)).get(method) is not own:
                yield f"changed the grader's oracle ({method})"

    def _nn_utils_changes(self):
        module = sys.modules.get("nn_utils")
        if self.nn_utils is None:
            if _imported(module):
                self.nn_utils = module
                self.codes = self._function_codes()
            return
        if module is not self.nn_utils:
            yield "replaced the module nn_utils in sys.modules"
        if "nn_utils" in self.shell.user_ns and self.shell.user_ns["nn_utils"] is not self.nn_utils:
            yield "rebound the name nn_utils, which the test cells use"
        if hasattr(builtins, "nn_utils"):
            yield "put a name nn_utils into builtins"
        for (module, name), (function, code) in self.codes.items():
            now = vars(module).get(name)
            if now is not function:
                yield f"replaced {module.__name__}.{name}"
            elif getattr(now, "__code__", None) is not code:
                yield f"changed the code of {module.__name__}.{name}"

    @staticmethod
    def _function_codes() -> dict:
        """{(module, name): (function, code)} of nn_utils's functions in the namespaces of
        nn_utils and its modules, where they are defined and where they are exported (the
        test cells call nn_utils.check_affine)."""
        codes = {}
        for module_name, module in list(sys.modules.items()):
            if module_name == "nn_utils" or module_name.startswith("nn_utils."):
                for name, value in list(vars(module).items()):
                    code = getattr(value, "__code__", None)
                    if code is not None and str(getattr(value, "__module__", None) or ""
                                                ).split(".")[0] == "nn_utils":
                        codes[(module, name)] = (value, code)
        return codes

    def _numpy_changes(self):
        numpy = sys.modules.get("numpy")
        if self.numpy is None and not _imported(numpy):
            return
        if self.numpy is None:
            self.numpy = numpy
            self.numpy_functions = {n: getattr(numpy, n, None) for n in _NUMPY_FUNCTIONS}
            return
        for name, function in self.numpy_functions.items():
            if getattr(numpy, name, None) is not function:
                yield f"replaced numpy.{name}"


class Watch:
    """The audit hook and its state: which folders are the kernel's, what was written."""

    def __init__(self, events_file: str, visible: list, own: list):
        self.fd = os.open(events_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.visible = [os.path.realpath(p) for p in visible]
        self.own = [os.path.realpath(p) for p in own]
        self.armed = False
        self.machinery = None
        self.seen = set()
        self.mine = set()  # paths outside its folders that the kernel made
        self.pid = os.getpid()

    def arm(self, shell=None) -> None:
        """Start watching: from now on the events are the notebook's. The folders Python
        imports from are the kernel's to read (an editable install's folder among them);
        ``shell``'s machinery as it is now is the kernel's own."""
        self.visible += [os.path.realpath(p) for p in sys.path if p]
        if shell is not None:
            self.machinery = Machinery(shell)
        self.armed = True

    def note(self, kind: str, **details) -> None:
        key = (kind, *map(str, details.values()))
        if key in self.seen or len(self.seen) >= MAX_LINES:
            return
        self.seen.add(key)
        line = json.dumps({"kind": kind, **{k: str(v)[:300] for k, v in details.items()}})
        os.write(self.fd, (line + "\n").encode())

    @staticmethod
    def _inside(path: str, roots: list) -> bool:
        return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)

    def path_event(self, kind: str, path) -> None:
        if isinstance(path, int) or path is None:  # a file descriptor: opened already
            return
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        full = os.path.normpath(os.path.join(os.getcwd(), os.fspath(path)))
        if kind == "read" and full.endswith(".ipynb") and self._inside(full, self.own):
            # Its own folder is its to read, but the notebook there is the one being graded:
            # a cell has no use for it, and one that looks in it looks for the tests.
            self.note("notebook", path=full)
        if self._inside(full, self.own) or full == os.devnull or full in self.mine:
            return
        if kind in ("read", "list") and self._inside(full, self.visible):
            return
        if kind not in ("read", "list") and not os.path.lexists(full):
            self.mine.add(full)  # what it does with it later, it does with its own file
        self.note(kind, path=full, existed=os.path.lexists(full))

    def __call__(self, event: str, args: tuple) -> None:
        if not self.armed:
            return
        try:
            self._dispatch(event, args)
        except Exception:  # a watch must never break the student's code
            pass

    def _dispatch(self, event: str, args: tuple) -> None:
        if event == "compile":
            if self.machinery is not None:
                for change in self.machinery.changes():
                    self.note("machinery", change=change)
        elif event == "open":
            path, mode, flags = (tuple(args) + (None, None))[:3]
            writes = any(c in (mode or "") for c in "wax+") or bool((flags or 0) & _WRITE_FLAGS)
            self.path_event("write" if writes else "read", path)
        elif event in _PATH_EVENTS:
            self.path_event(_PATH_EVENTS[event], args[0] if args else None)
            if event == "os.rename" and len(args) > 1:
                self.path_event("rename", args[1])
        elif event in _NETWORK_EVENTS:
            address = args[1] if event != "socket.getaddrinfo" and len(args) > 1 else args[0]
            self.note("network", action=_NETWORK_EVENTS[event], address=address)
        elif event in ("os.kill", "os.killpg"):
            if args[0] not in (self.pid, 0) or event == "os.killpg":
                self.note("signal", pid=args[0], signal=args[1])
        elif event.startswith(_PROGRAM_EVENTS):
            command = args[1] if len(args) > 1 and event != "os.system" else args[:1]
            self.note("program", call=event, command=command)


def main() -> None:
    events_file, settings = sys.argv[1], json.loads(sys.argv[2])
    del sys.argv[1:3]
    del sys.path[0]  # this file's folder; ipykernel adds the working folder itself
    watch = Watch(events_file, settings["visible"], settings["own"])
    sys.addaudithook(watch)
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize()
    watch.arm(app.shell)  # after the kernel's own start-up, before any cell
    app.start()


if __name__ == "__main__":
    main()
