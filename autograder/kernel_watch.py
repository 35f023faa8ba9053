"""Run a grading kernel that writes down what its code tries beyond its own folder.

    python kernel_watch.py EVENTS_FILE SETTINGS_JSON -f CONNECTION_FILE

The sandbox stops a submission that reads the gradebook or opens a connection, but code
that wraps the attempt in ``try: ... except: pass`` leaves no error behind to flag. So
before the kernel runs any cell this installs a Python audit hook (PEP 578: it cannot be
removed again) that appends one JSON line to EVENTS_FILE for each attempt to open, list,
change or remove a file outside the kernel's folder and the system folders it may read
(SETTINGS_JSON: {"visible": [...], "own": [...]}), to reach the network, to signal another
process or to start a program. The grader reads the file after every cell
(execution.py) and judges the lines (sandbox.attempt).

It is a watch, not a wall: the sandbox is what stops these attempts; the watch only writes
them down (without a sandbox too, where nothing stops them). Code that finds the hook's state through the garbage collector, or truncates
the file in the same cell, can hide an attempt; it cannot make the attempt succeed.
Standard library only: it runs inside the sandbox, where the grader's packages are not.
The grader copies this file into the kernel's runtime folder and runs it from there.
"""

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


class Watch:
    """The audit hook and its state: which folders are the kernel's, what was written."""

    def __init__(self, events_file: str, visible: list, own: list):
        self.fd = os.open(events_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.visible = [os.path.realpath(p) for p in visible]
        self.own = [os.path.realpath(p) for p in own]
        self.armed = False
        self.seen = set()
        self.mine = set()  # paths outside its folders that the kernel made
        self.pid = os.getpid()

    def arm(self) -> None:
        """Start watching: from now on the events are the notebook's. The folders Python
        imports from are the kernel's to read (an editable install's folder among them)."""
        self.visible += [os.path.realpath(p) for p in sys.path if p]
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
        if event == "open":
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
    watch.arm()  # after the kernel's own start-up, before any cell
    app.start()


if __name__ == "__main__":
    main()
