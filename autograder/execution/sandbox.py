"""The sandbox every grading kernel runs in (bubblewrap), its limits, and what it stopped.

A submission's code runs on the instructor's machine. Its kernel is started (kernel_manager.py,
kernel_launcher.py) as

    python -m autograder.execution.kernel_launcher LIMITS -- bwrap OPTIONS -- [prlimit --nproc=N --] KERNEL

Inside the sandbox the kernel has its own user, PID, network, IPC, UTS and cgroup
namespaces, no capabilities, no further user namespaces and its own session (no terminal
to inject into); it dies with the grader. It sees, read-only, the system (/usr and the few
/etc files programs need), the Python environment the kernel runs from and the course's
data-set folders; writable, only its own staged copy of the submission (its working folder),
its runtime folder (the connection file and the unix sockets it talks to the grader through:
with no network of its own, TCP to the host's loopback is unreachable) and a private,
size-limited /tmp that is also its $HOME. Nothing else exists in there: no gradebook, no
source/, submitted/, autograded/ or reports/, no other student, no instructor's home.

Limits (the ``Sandbox`` settings; set them in nbgrader_config.py as ``c.Sandbox.NAME``):
CPU seconds and file size (rlimits, set by the launcher), processes (the kernel's cgroup,
cgroups.py, where one can be made, else RLIMIT_NPROC inside the sandbox's user namespace,
where it counts only the sandbox's own processes), CPU share and total memory (the cgroup,
where available), and the output a cell may produce (cut in the grader, execution.py).
The memory per process stays ``Limits.memory`` (RLIMIT_DATA). The limits apply with the
sandbox off too, except the process limit without a cgroup.

Without a working bwrap grading refuses to run (``require``) unless the instructor opts out
(``c.Sandbox.enabled = False`` or ``--no-sandbox``); the report then says that grading ran
WITHOUT a sandbox.
"""

from __future__ import annotations

import errno
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from nn_utils.data.locations import CACHE_DIR_ENV, OFFLINE_ENV, cache_root
from traitlets import Bool, Float, Integer, List, Unicode
from traitlets.config import Config, Configurable

from autograder.status import Status
from autograder.execution import container
from autograder.execution.cgroups import KernelCgroup, parent_dirs

MiB = 1 << 20
# Unix socket paths are limited to 107 bytes: a kernel's runtime folder must be short.
_MAX_RUNTIME_BASE = 50
# The environment a kernel keeps: locale, thread counts, nbgrader's marker, the kit's
# nn_utils settings. Nothing else (tokens, the instructor's paths) goes into the sandbox.
_KEEP = {"PATH", "LANG", "LANGUAGE", "TZ", "PYTHONHASHSEED", "NBGRADER_EXECUTION",
         "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"}
_KEEP_PREFIXES = ("LC_", "NN_UTILS_")
# The /etc files a Python kernel needs: the loader cache, users and groups (getpass, pwd),
# time zone, name service switch. Not all of /etc: it holds the machine's secrets, and the
# sandbox's user is root's own user id when the grader runs as root.
_ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime",
        "timezone", "nsswitch.conf", "passwd", "group", "hosts", "mime.types", "fonts")
_SYSTEM_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
HOME = "/tmp"


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run here and the instructor did not opt out of it."""


class Sandbox(Configurable):
    """How grading kernels are isolated and limited (``c.Sandbox.NAME`` in nbgrader_config.py)."""

    enabled = Bool(True, help="Run each grading kernel in a sandbox. False grades "
                   "WITHOUT isolation, and the grading report says so.").tag(config=True)
    backend = Unicode("auto", help="The sandbox: 'bubblewrap', 'podman' (a container, "
                      "rootless or as root) or 'auto': bubblewrap where it starts, else "
                      "podman.").tag(config=True)
    engine = Unicode("podman", help="The container engine of the podman backend: a name "
                     "on PATH or a path.").tag(config=True)
    engine_arguments = List(Unicode(), help="Options of the container engine itself, before "
                            "'run' (e.g. ['--runtime', 'runc']). Where podman's default "
                            "runtime cannot start a container and runc can (cgroup v1 "
                            "machines), the kit uses runc by itself.").tag(config=True)
    container_root = Unicode("", help="Where the podman backend keeps its skeleton root "
                             "folder (default: nn-kit/grading-root in the user's cache "
                             "folder).").tag(config=True)
    executable = Unicode("bwrap", help="The bubblewrap program: a name on PATH or a path "
                         "(Debian package bubblewrap).").tag(config=True)
    cpu_seconds = Integer(1800, help="CPU seconds for each kernel process (RLIMIT_CPU); "
                          "0: no limit.").tag(config=True)
    processes = Integer(64, help="Processes and threads in one kernel's sandbox; 0: no "
                        "limit.").tag(config=True)
    cpus = Float(1.0, help="CPUs one kernel may keep busy (cgroup CPU quota, where "
                 "available); 0: no limit.").tag(config=True)
    file_bytes = Integer(256 * MiB, help="Largest file a kernel may write (RLIMIT_FSIZE); "
                         "0: no limit.").tag(config=True)
    tmp_bytes = Integer(256 * MiB, help="Size of the sandbox's private /tmp (also its "
                        "$HOME).").tag(config=True)
    output_bytes = Integer(1 * MiB, help="Output one cell may add to the notebook; the rest "
                           "is dropped with a note. 0: no limit.").tag(config=True)
    read_only = List(Unicode(), help="More host folders the kernels may read (data sets); "
                     "$NN_UTILS_*_DIR folders and the nn_utils data cache are "
                     "included.").tag(config=True)
    user = Unicode("", help="Run each grading kernel as this user (a name or a numeric id) "
                   "instead of the grader's, in the sandbox or, where bubblewrap cannot run "
                   "(Gradescope's container), as the only isolation: the user must not be "
                   "able to read the course's files. Empty: the grader's own "
                   "user.").tag(config=True)


def kernel_user(sandbox: Sandbox) -> tuple[int, int] | None:
    """(uid, gid) the kernels run as (``c.Sandbox.user``), or None for the grader's own."""
    name = sandbox.user.strip()
    if not name:
        return None
    try:
        entry = pwd.getpwuid(int(name)) if name.isdigit() else pwd.getpwnam(name)
    except KeyError:
        if name.isdigit():  # an id without a name is still a user to run as
            return int(name), int(name)
        raise SandboxUnavailable(f"c.Sandbox.user is {name!r}, and this machine has no such "
                                 f"user (create it, e.g. useradd --no-create-home {name})")
    if entry.pw_uid == 0:
        raise SandboxUnavailable(f"c.Sandbox.user is {name!r}, which is root: the kernels "
                                 f"must run as an unprivileged user")
    return entry.pw_uid, entry.pw_gid


def let_pass(folder: str) -> None:
    """Let every user pass through ``folder`` (not list or read it): a kernel of its own
    user (c.Sandbox.user) gets to its work folder inside the grader's scratch folder."""
    os.chmod(folder, 0o711)


def hand_over(folder: str, user: tuple[int, int]) -> None:
    """Give ``folder`` and everything in it to ``user``, and check that the user can reach
    it: every folder above it must let others pass (x), or the kernel cannot start there."""
    for root, dirs, files in os.walk(folder):
        for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
            os.chown(name, *user, follow_symlinks=False)
    above = Path(folder).resolve().parent
    for parent in [above, *above.parents]:
        if not parent.stat().st_mode & 0o001:
            raise SandboxUnavailable(f"a kernel running as user {user[0]} cannot reach "
                                     f"{folder}: {parent} does not let others pass (set "
                                     f"$TMPDIR to a folder they can, such as /tmp)")


def message_limit(sandbox: Sandbox) -> int:
    """The largest message the grader accepts from a kernel (0: any). The grader holds about
    three copies of a message while it decodes it, even one the output limit then cuts; a
    larger one drops the kernel's connection (the notebook stops there, kernel_unresponsive).
    Far above what a notebook sends: a plot is a few hundred KB."""
    return max(128 * MiB, 4 * sandbox.output_bytes) if sandbox.output_bytes else 0


def machine_root() -> bool:
    """Whether this process is the machine's root, whose processes RLIMIT_NPROC does not
    count: not the root of a user namespace (a rootless container's, as in ``./kit image``
    on Podman Desktop), to whom it applies as to any user."""
    if os.geteuid() != 0:
        return False
    try:
        with open("/proc/self/uid_map") as mapping:
            return mapping.read().split()[:2] == ["0", "0"]
    except OSError:
        return True


def bwrap_path(sandbox: Sandbox) -> str | None:
    """The bwrap program to run, or None if there is none."""
    return shutil.which(sandbox.executable)


def python_roots() -> list[str]:
    """The folders the kernel's Python needs: its environment and the installation that
    environment was made from (a venv's base interpreter)."""
    roots = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             str(Path(sys.executable).resolve().parent.parent)]
    return _outermost(os.path.realpath(r) for r in roots)


def data_roots(sandbox: Sandbox, environ=os.environ) -> list[str]:
    """Host folders with data sets the notebooks may load: the nn_utils cache, every
    ``$NN_UTILS_*_DIR`` and the configured ``read_only`` folders (those that exist)."""
    folders = [str(cache_root()), *sandbox.read_only]
    folders += [v for k, v in environ.items() if k.startswith("NN_UTILS_") and k.endswith("_DIR")
                and k != CACHE_DIR_ENV and v]
    return _outermost(os.path.realpath(os.path.expanduser(f)) for f in folders
                      if os.path.isdir(os.path.expanduser(f)))


def _outermost(paths) -> list[str]:
    """The distinct paths, without those inside another one of them."""
    unique = sorted(set(paths))
    return [p for p in unique if not any(p != q and p.startswith(q.rstrip("/") + "/")
                                         for q in unique)]


def sandbox_environment(environ: dict) -> dict:
    """The kernel's environment inside the sandbox: the allowed part of ``environ``, and
    $HOME and $TMPDIR on the private /tmp. nn_utils loads data offline from the host's
    cache (bound read-only at the same path): there is no network to download it from."""
    kept = {k: v for k, v in environ.items() if k in _KEEP or k.startswith(_KEEP_PREFIXES)}
    return {**kept, "HOME": HOME, "TMPDIR": HOME, OFFLINE_ENV: "1",
            CACHE_DIR_ENV: os.path.realpath(cache_root())}


def _matplotlib_font_cache(environ) -> list[Path]:
    """The host's matplotlib font list, so that kernels do not rebuild it (and say so)."""
    configured = environ.get("MPLCONFIGDIR")
    home = environ.get("HOME") or str(Path.home())
    folder = Path(configured) if configured else Path(
        environ.get("XDG_CACHE_HOME") or Path(home) / ".cache") / "matplotlib"
    return sorted(folder.glob("fontlist-*.json"))


def warm_matplotlib_font_cache(environ) -> None:
    """Build matplotlib's font list on this machine, outside any kernel, where it is missing.

    A kernel that has to build it runs fc-list, which the kernel watch rightly reports as a
    program started: on a fresh machine or under a fresh $HOME every honest notebook that
    imports matplotlib would be flagged. Built here, by the grader's own Python, it is
    read by unsandboxed kernels and bound read-only into sandboxed ones."""
    if _matplotlib_font_cache(environ):
        return
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"],
                   env=dict(environ), capture_output=True, timeout=600, check=False)


def bwrap_arguments(sandbox: Sandbox, workdir: str, runtime: str, environ: dict,
                    nproc: int = 0, font_lists: list | None = None) -> list[str]:
    """The bwrap command line up to and including "--", to run a kernel in ``workdir``
    (writable, its working folder) talking through ``runtime`` (writable); ``nproc`` > 0
    caps processes with RLIMIT_NPROC inside the user namespace (no cgroup for it);
    ``font_lists``: matplotlib's font lists to show it (default: the grader's)."""
    args = [bwrap_path(sandbox) or sandbox.executable, "--unshare-all", "--unshare-user",
            "--disable-userns", "--cap-drop", "ALL", "--die-with-parent", "--new-session",
            "--hostname", "grading", "--ro-bind", "/usr", "/usr"]
    for name in _SYSTEM_LINKS:
        path = Path("/", name)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    args += [arg for name in _ETC for arg in ("--ro-bind-try", f"/etc/{name}", f"/etc/{name}")]
    # /dev/shm: joblib (scikit-learn) warns in every notebook without a place for semaphores.
    args += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(sandbox.tmp_bytes // 4), "--tmpfs", "/dev/shm",
             "--size", str(sandbox.tmp_bytes), "--tmpfs", HOME]
    for root in python_roots() + data_roots(sandbox, environ):
        args += ["--ro-bind", root, root]
    for font_list in _matplotlib_font_cache(environ) if font_lists is None else font_lists:
        args += ["--ro-bind", str(font_list), f"{HOME}/.cache/matplotlib/{font_list.name}"]
    args += ["--bind", workdir, workdir, "--bind", runtime, runtime,
             "--remount-ro", "/", "--remount-ro", "/dev", "--chdir", workdir, "--clearenv"]
    for name, value in sorted(sandbox_environment(environ).items()):
        args += ["--setenv", name, value]
    args.append("--")
    if nproc:
        args += [shutil.which("prlimit") or "prlimit", f"--nproc={nproc}:{nproc}", "--"]
    return args


def engine_command(sandbox: Sandbox) -> list[str]:
    """The container engine's program and its own options (``c.Sandbox.engine_arguments``)."""
    return [container.engine_path(sandbox.engine) or sandbox.engine, *sandbox.engine_arguments]


def container_root(sandbox: Sandbox) -> Path:
    """Where the podman backend keeps its skeleton root folder (container.skeleton)."""
    if sandbox.container_root:
        return Path(sandbox.container_root).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache, "nn-kit", "grading-root")


def container_prefix(sandbox: Sandbox, workdir: str, runtime: str, environ: dict,
                     memory: int, total: int, font_lists: list | None = None) -> list[str]:
    """The podman command line that runs a kernel as ``bwrap_arguments`` does: the same
    folders, read-only or writable, the same environment and limits (container.py)."""
    links = {f"/{name}": os.readlink(Path("/", name)) for name in _SYSTEM_LINKS
             if Path("/", name).is_symlink()}
    system = ["/usr", *(f"/{name}" for name in _SYSTEM_LINKS
                        if not Path("/", name).is_symlink() and Path("/", name).is_dir())]
    etc = [f"/etc/{name}" for name in _ETC if os.path.exists(f"/etc/{name}")]
    cache = Path(runtime, "matplotlib")
    cache.mkdir(exist_ok=True)
    for font_list in _matplotlib_font_cache(environ) if font_lists is None else font_lists:
        shutil.copy(font_list, cache)
    return container.container_arguments(
        engine_command(sandbox), workdir=workdir, runtime=runtime,
        read_only=_outermost([*system, *etc, *python_roots(), *data_roots(sandbox, environ)]),
        system_links=links,
        files=[(str(cache), f"{HOME}/.cache/matplotlib")],
        environment=sandbox_environment(environ),
        limits={"cpu_seconds": sandbox.cpu_seconds, "file_bytes": sandbox.file_bytes,
                "memory": memory, "processes": sandbox.processes, "cpus": sandbox.cpus,
                "total_memory": total},
        home=HOME, tmp_bytes=sandbox.tmp_bytes, root=container_root(sandbox))


def runtime_folder() -> str:
    """A new private folder for a kernel's connection file and sockets (short enough for
    unix socket paths, which are limited to about 107 bytes)."""
    base = tempfile.gettempdir()
    return tempfile.mkdtemp(prefix="kernel-",
                            dir=base if len(base) <= _MAX_RUNTIME_BASE else "/tmp")


def visible_roots(sandbox: Sandbox, environ=os.environ) -> list[str]:
    """Folders a kernel may read without it being worth a flag: what the sandbox shows it
    of the system (/usr, the Python environment, the data sets, the /etc files)."""
    system = ["/usr", "/proc", "/sys", "/dev", *(f"/etc/{name}" for name in _ETC)]
    system += [os.path.realpath(Path("/", name)) for name in _SYSTEM_LINKS]
    return [*system, *python_roots(), *data_roots(sandbox, environ)]


def home_roots() -> list[str]:
    """The configuration and cache folders of a kernel's home, where libraries keep their
    settings (matplotlib, IPython): the kernel's own to use, in the sandbox's private
    home and, without a sandbox, in the grader's."""
    return [os.path.join(home, name) for home in sorted({HOME, os.path.expanduser("~")})
            for name in (".cache", ".config", ".ipython", ".local", ".jupyter")]


@dataclass
class KernelSandbox:
    """What one kernel runs in: its runtime folder, cgroup, and the bwrap command prefix.

    ``prefix`` is empty when the sandbox is off; the cgroup caps what it can either way.
    """

    runtime: str
    cgroup: KernelCgroup
    prefix: list = field(default_factory=list)
    user: tuple | None = None  # (uid, gid) the kernel runs as (c.Sandbox.user), or None
    engine: list = field(default_factory=list)  # the engine running it (podman), or none
    seen: dict = field(default_factory=dict)  # the cgroup's event counts already reported
    watched: int = 0  # bytes of the kernel's watch file (kernel_watch.py) already read

    @property
    def watch_file(self) -> str:
        return os.path.join(self.runtime, "watch.jsonl")

    @property
    def home(self) -> str:
        """$HOME and $TMPDIR of a kernel that runs as its own user outside bwrap."""
        return os.path.join(self.runtime, "home")

    def watch_command(self, argv: list[str], sandbox: Sandbox, workdir: str,
                      environ=os.environ) -> list[str]:
        """``argv`` (an ipykernel command) run under the kernel watch instead, from a copy
        of kernel_watch.py in the runtime folder; any other kernel command unchanged."""
        if argv[1:3] != ["-m", "ipykernel_launcher"]:
            return argv
        script = os.path.join(self.runtime, "kernel_watch.py")
        shutil.copyfile(Path(__file__).with_name("kernel_watch.py"), script)
        settings = {"visible": visible_roots(sandbox, environ),
                    "own": [workdir, self.runtime, *home_roots()]}
        return [argv[0], script, self.watch_file, json.dumps(settings), *argv[3:]]

    def new_attempts(self) -> list[dict]:
        """The watch's lines written since the last call (a line cut short is left for the
        next call; a line that is not JSON, as a student could write, is skipped)."""
        try:
            with open(self.watch_file, "rb") as watch:
                watch.seek(self.watched)
                data = watch.read(1 << 20)
        except OSError:
            return []
        complete = data[:data.rfind(b"\n") + 1]
        self.watched += len(complete)
        found = []
        for line in complete.splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                found.append(event)
        return found

    @classmethod
    def prepare(cls, sandbox: Sandbox, workdir: str, memory: int, isolate: bool = True,
                environ=os.environ) -> "KernelSandbox":
        """Make the runtime folder and cgroup for a kernel that will run in ``workdir``
        with ``memory`` bytes per process (0: none), in bwrap if ``isolate``. Memory for the
        whole sandbox is that plus its /tmp; the process limit is the cgroup's, else
        RLIMIT_NPROC in the sandbox."""
        user = kernel_user(sandbox)
        total = memory + sandbox.tmp_bytes + 64 * MiB if memory else 0
        cgroup = KernelCgroup.create(sandbox.processes, sandbox.cpus, total)
        kernel = cls(runtime_folder(), cgroup, [], user)
        try:
            fonts = None
            if user:  # its own copy of the grader's files, which that user cannot read
                folder = Path(kernel.home, ".cache", "matplotlib")
                folder.mkdir(parents=True)
                fonts = [Path(shutil.copy(font_list, folder))
                         for font_list in _matplotlib_font_cache(environ)]
                hand_over(kernel.runtime, user)
                hand_over(workdir, user)
            if isolate and sandbox.backend == "podman":
                kernel.engine = engine_command(sandbox)
                kernel.prefix = container_prefix(sandbox, workdir, kernel.runtime, environ,
                                                 memory, total, fonts)
            elif isolate:
                nproc = sandbox.processes if "pids" not in cgroup.caps else 0
                kernel.prefix = bwrap_arguments(sandbox, workdir, kernel.runtime, environ,
                                                nproc, fonts)
        except BaseException:
            kernel.remove()
            raise
        return kernel

    def environment(self, environ: dict, isolated: bool) -> dict:
        """The environment to start the kernel with: ``environ``, or, for a kernel of its
        own user outside bwrap, what the sandbox would keep of it, with its own home."""
        if not self.user or isolated:
            return dict(environ)
        return {**sandbox_environment(environ), "HOME": self.home, "TMPDIR": self.home}

    def new_events(self) -> dict[str, int]:
        """The cgroup's events (refused forks, out-of-memory kills) since the last call."""
        now = self.cgroup.events()
        fresh = {k: n - self.seen.get(k, 0) for k, n in now.items() if n > self.seen.get(k, 0)}
        self.seen = now
        return fresh

    def remove(self) -> None:
        """Remove the cgroup (killing what is left in it), the container (which outlives a
        killed ``podman run``) and the runtime folder."""
        self.cgroup.remove()
        if self.engine:
            container.remove(self.engine, self.runtime)
        shutil.rmtree(self.runtime, ignore_errors=True)


def exit_status(code: int | None, sandboxed: bool) -> int | None:
    """A kernel's exit status as Popen reports it (negative: killed by that signal); bwrap
    reports a signal N as 128 + N."""
    if sandboxed and code is not None and 128 < code < 128 + 65:
        return -(code - 128)
    return code


BACKENDS = ("bubblewrap", "podman")


def choose_backend(sandbox: Sandbox) -> str:
    """Resolve ``c.Sandbox.backend = 'auto'`` on this machine: bubblewrap where it starts,
    else podman where it does; set it on ``sandbox`` and return why neither could, or ""."""
    problems = []
    for backend in BACKENDS:
        sandbox.backend = backend
        problem = probe(sandbox)
        if not problem:
            return ""
        problems.append(f"{backend}: {problem}")
    sandbox.backend = BACKENDS[0]
    return "; ".join(problems)


def probe(sandbox: Sandbox) -> str:
    """Why the sandbox cannot run here, or "" if a Python started in it works as it should:
    its folder writable, a file beside that folder invisible, the grader's loopback
    unreachable. As root, bubblewrap's process limit needs a cgroup (RLIMIT_NPROC ignores
    root). ``auto`` tries each backend (choose_backend)."""
    if sandbox.backend == "auto":
        return choose_backend(sandbox)
    if sandbox.backend not in BACKENDS:
        return (f"c.Sandbox.backend is {sandbox.backend!r}; it is one of auto, "
                f"{', '.join(BACKENDS)}")
    problem = _probe(sandbox)
    if problem and sandbox.backend == "podman" and not sandbox.engine_arguments \
            and "cgroups in hybrid mode" in problem and shutil.which("runc"):
        sandbox.engine_arguments = ["--runtime", "runc"]  # crun wants cgroup v2 only
        problem = _probe(sandbox)
        if problem:
            sandbox.engine_arguments = []
    return problem


def _probe(sandbox: Sandbox) -> str:
    name = "bwrap"
    if sandbox.backend == "podman":
        name = "podman"
        if container.engine_path(sandbox.engine) is None:
            return (f"the container engine {sandbox.engine!r} was not found (install the "
                    f"Debian package podman)")
        if sandbox.user:  # the launcher would start podman as that user, with root's flags
            return "c.Sandbox.user is not supported with the podman backend"
    elif bwrap_path(sandbox) is None:
        return (f"the sandbox program {sandbox.executable!r} was not found (install the "
                f"Debian package bubblewrap)")
    elif sandbox.processes and "pids" not in parent_dirs() and machine_root():
        return ("the process limit cannot be enforced: running as root without a cgroup "
                "to put kernels in (RLIMIT_NPROC does not apply to root)")
    with tempfile.TemporaryDirectory(prefix="sandbox-probe-") as scratch, \
            socket.create_server(("127.0.0.1", 0)) as listener:
        let_pass(scratch)
        Path(scratch, "work").mkdir()
        Path(scratch, "outside").touch()
        try:
            kernel = KernelSandbox.prepare(sandbox, str(Path(scratch, "work")), 0)
        except OSError as error:  # e.g. the container's root folder is not the grader's own
            return f"{name} could not be prepared: {error}"
        port = str(listener.getsockname()[1])
        try:
            as_user = dict(user=kernel.user[0], group=kernel.user[1], extra_groups=[]) \
                if kernel.user else {}  # bwrap runs as the kernels' own user, as they will
            result = subprocess.run(kernel.prefix + [sys.executable, "-I", "-c", _PROBE,
                                                     scratch, port],
                                    capture_output=True, text=True, timeout=60, **as_user)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"{name} could not start: {error}"
        finally:
            kernel.remove()
        said = " ".join((result.stderr.strip() or result.stdout.strip()).splitlines()[-3:])
        if result.returncode != 0 or result.stdout.strip() != "sandboxed":
            hint = ("are user namespaces disabled?" if name == "bwrap" else
                    "see podman's message; rootless podman needs /etc/subuid entries")
            return (f"{name} could not start a sandbox (exit {result.returncode}: "
                    f"{said or 'no message'}); {hint}")
        if not Path(scratch, "work", "written").is_file():
            return "a kernel in the sandbox cannot write to its own folder"
    return ""


# Run inside the sandbox by ``probe``: prints "sandboxed" only if it is.
_PROBE = """
import os, socket, sys
scratch, port = sys.argv[1], int(sys.argv[2])
open(os.path.join(scratch, "work", "written"), "w").close()
if os.path.exists(os.path.join(scratch, "outside")):
    sys.exit("a file outside the kernel's folder is visible")
try:
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
    sys.exit("the grader's network is reachable")
except OSError:
    print("sandboxed")
"""


def require(sandbox: Sandbox, opted_out: bool = False, how: str = "") -> str:
    """Check the sandbox before grading. Returns how the kernels will run, in words, for
    the report; raises SandboxUnavailable when it cannot run and nobody opted out
    (``opted_out``: --no-sandbox, or what ``how`` says; or ``c.Sandbox.enabled = False``)."""
    problem = probe(sandbox)
    if opted_out or not sandbox.enabled:
        how = (how or "the instructor opted out (--no-sandbox)") if opted_out else \
            "the instructor opted out (c.Sandbox.enabled = False)"
        state = f"it could not have run anyway: {problem}" if problem else "it would have run"
        return f"WITHOUT a sandbox: {how}; {state}"
    if problem:
        raise SandboxUnavailable(
            f"grading refuses to run students' code without a sandbox: {problem}. Install "
            f"bubblewrap (apt-get install bubblewrap) where user namespaces are allowed, or "
            f"grade WITHOUT isolation: --no-sandbox, or c.Sandbox.enabled = False in "
            f"nbgrader_config.py")
    return describe(sandbox)


def worker_problem(config: Config) -> str:
    """``probe`` with the settings of ``config``, on whichever machine runs this."""
    return probe(Sandbox(config=config))


def require_on_workers(client, config: Config) -> None:
    """Raise SandboxUnavailable unless the sandbox works on every worker of a Dask
    ``client`` (workers of a remote scheduler may run on other machines)."""
    problems = {w: p for w, p in client.run(worker_problem, config).items() if p}
    if problems:
        listed = "; ".join(f"{worker}: {problem}" for worker, problem in sorted(problems.items()))
        raise SandboxUnavailable(
            f"grading refuses to run students' code without a sandbox, which does not work "
            f"on {len(problems)} Dask worker(s): {listed}. Install bubblewrap there, or grade "
            f"WITHOUT isolation: --no-sandbox, or c.Sandbox.enabled = False")


def describe(sandbox: Sandbox) -> str:
    """The sandbox and its limits, in words."""
    caps = parent_dirs()
    if sandbox.backend == "podman":
        what = (f"podman container sandbox ({' '.join(engine_command(sandbox))}, "
                f"{'rootless' if os.geteuid() else 'as root'})")
        how = cpus = ""  # podman's own limits (container.py)
    else:
        what = f"bubblewrap sandbox ({bwrap_path(sandbox)})"
        how = " (cgroup)" if "pids" in caps else " (RLIMIT_NPROC)"
        cpus = f", {sandbox.cpus:g} CPU(s) (cgroup)" if sandbox.cpus and "cpu" in caps else ""
    processes = f"{sandbox.processes} processes{how}" if sandbox.processes else \
        "no process limit"
    return (f"{what}: no network, only its own folder "
            f"writable; {sandbox.cpu_seconds or 'unlimited'} CPU s, {processes}{cpus}, "
            f"files up to {sandbox.file_bytes // MiB} MiB, {sandbox.tmp_bytes // MiB} MiB "
            f"/tmp, {sandbox.output_bytes // 1024} KiB of output per cell")


# --- What the sandbox stopped, as seen in a cell's error outputs -------------------------

_PATH_IN_ERROR = re.compile(r"\[Errno (\d+)\][^']*'([^']+)'")
_NETWORK_ERRORS = {"ConnectionRefusedError", "ConnectionResetError", "ConnectionAbortedError",
                   "gaierror", "herror"}
_NETWORK_ERRNOS = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL}


def _outside(path: str, workdir: str) -> bool:
    """Whether ``path`` (absolute, or relative to ``workdir``) lies outside ``workdir``."""
    full = os.path.normpath(os.path.join(workdir, path))
    return not (full == workdir or full.startswith(workdir.rstrip("/") + "/"))


def denial(ename: str, evalue: str, workdir: str) -> str:
    """Why an error output shows the sandbox stopping something, or "" if it does not.

    A missing file that exists on the grader's machine, outside the submission's folder;
    a write to the read-only system; a network connection or name lookup.
    """
    if ename in _NETWORK_ERRORS:
        return f"opened a network connection, which the sandbox has none of ({ename}: {evalue})"
    found = _PATH_IN_ERROR.search(evalue)
    code = int(found.group(1)) if found else None
    if ename == "OSError" and code in _NETWORK_ERRNOS:
        return f"opened a network connection, which the sandbox has none of ({ename}: {evalue})"
    if not found or not _outside(found.group(2), workdir):
        return ""
    path = os.path.normpath(os.path.join(workdir, found.group(2)))
    if code == errno.EROFS:
        return f"wrote to {path}, outside its own folder (read-only in the sandbox)"
    if code in (errno.ENOENT, errno.EACCES, errno.EPERM) and os.path.lexists(path):
        return f"opened {path}, outside its own folder (hidden by the sandbox)"
    return ""


def attempt(event: dict, workdir: str, visible: list, sandboxed: bool
            ) -> tuple[str, str] | None:
    """(status, reason) for a line of the kernel's watch (kernel_watch.py) that shows the
    code reaching beyond its own folder, or None for one that does not matter: a file of
    its own (a temporary file in its private /tmp, say) or one that exists nowhere.
    ``visible``: the folders the kernel may read (visible_roots), where writing is flagged.

    The reasons for files read match ``denial``'s, so an attempt seen both ways (an error
    and the watch) is flagged once.
    """
    kind, hidden = event.get("kind"), " (hidden by the sandbox)" if sandboxed else ""
    if kind == "network":
        what = ("looked up the network address of" if event.get("action") == "lookup"
                else "opened a network connection to")
        none = ", which the sandbox has none of" if sandboxed else ""
        return Status.SANDBOX_DENIED, f"{what} {event.get('address')}{none}"
    if kind == "signal":
        return Status.SANDBOX_DENIED, (f"sent signal {event.get('signal')} to process "
                                  f"{event.get('pid')}, which is not its own kernel")
    if kind == "program":
        return Status.PROGRAM_STARTED, (f"started a program ({event.get('call')}: "
                                        f"{event.get('command')})")
    if kind == "input":
        return Status.INPUT_REQUESTED, ("asked for keyboard input (input()), which grading "
                                        "cannot give")
    if kind == "machinery":
        # Noted when the kernel next compiles code: by this cell or at the end of the one
        # before. Test cells run in the same kernel, with what was changed.
        return Status.TAMPERING, ("changed the kernel the test cells run in (seen as this cell "
                             f"ran): {event.get('change')}")
    path = str(event.get("path", ""))
    if kind == "notebook":
        return Status.TAMPERING, (f"opened the notebook file {os.path.basename(path)} in its "
                             "folder, where the notebook being graded is kept")
    if not path or not _outside(path, workdir):
        return None
    # Whether the file was there: on the grader's machine (the sandbox hid it), or, without
    # a sandbox, where the kernel looked when it tried.
    there = os.path.lexists(path) if sandboxed else event.get("existed") == "True"
    if kind in ("read", "list"):
        done = "opened" if kind == "read" else "listed the folder"
        return (Status.SANDBOX_DENIED, f"{done} {path}, outside its own folder{hidden}"
                ) if there else None
    done = "wrote to" if kind == "write" else f"{kind.rstrip('e')}ed"
    if not all(_outside(path, root) for root in visible):
        read_only = " (read-only in the sandbox)" if sandboxed else ""
        return Status.SANDBOX_DENIED, f"{done} {path}, outside its own folder{read_only}"
    private = path.startswith((HOME.rstrip("/") + "/", "/dev/shm/"))
    if private and event.get("existed") != "True":
        return None  # a new file of its own in its (private) /tmp
    if there:
        return Status.SANDBOX_DENIED, f"opened {path}, outside its own folder{hidden}"
    if not private and os.path.isdir(os.path.dirname(path)):
        return Status.SANDBOX_DENIED, f"{done} {path}, outside its own folder{hidden}"
    return None
