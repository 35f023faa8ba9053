"""The one place where grading kernels are launched.

Every kernel that grades a submission is started by ``GradingKernelManager``, whose command
line comes from ``kernel_command``: the kernel's own argv run through the launcher and, unless
the instructor opted out, the sandbox (sandbox.py),

    python -m autograder.execution.kernel_launcher --memory BYTES ... --log FILE \
        -- bwrap ... -- KERNEL ARGV

The launcher applies the rlimits and joins the kernel's cgroup, then becomes bwrap, which
runs the kernel (kernel_launcher.py). A sandboxed kernel talks to the grader over unix
sockets in its runtime folder (it has no network to reach the grader's TCP ports) and is
interrupted by a message (a signal to bwrap would not reach it). The kernel itself runs
under the kernel watch (kernel_watch.py), which notes what its code tries beyond its folder.
"""

from __future__ import annotations

import os
import sys

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import AsyncKernelManager, KernelManager
from traitlets import Bool, Integer, Type, Unicode, default

from autograder.execution.sandbox import (KernelSandbox, Sandbox, exit_status, message_limit,
                                          warm_matplotlib_font_cache)


def kernel_command(argv: list[str], memory: int, log_file: str,
                   kernel: KernelSandbox | None = None,
                   sandbox: Sandbox | None = None) -> list[str]:
    """The command that starts a grading kernel: ``argv`` under the launcher, with the
    limits of ``sandbox`` and in ``kernel``'s cgroup and bwrap prefix (if any)."""
    command = [sys.executable, "-m", "autograder.execution.kernel_launcher",
               "--memory", str(memory),
               "--log", log_file or os.devnull]
    if sandbox is not None:
        command += ["--cpu-seconds", str(sandbox.cpu_seconds),
                    "--file-bytes", str(sandbox.file_bytes)]
    for directory in kernel.cgroup.dirs if kernel else []:
        command += ["--cgroup", directory]
    if kernel and kernel.user:
        command += ["--user", "%d:%d" % kernel.user]
        if sandbox is not None and sandbox.processes and not kernel.prefix \
                and "pids" not in kernel.cgroup.caps:
            command += ["--nproc", str(sandbox.processes)]  # counts that user's processes
    return [*command, "--", *(kernel.prefix if kernel else []), *argv]


def _limited_context(client, context):
    """``context``, set so that its sockets drop a kernel that sends a message larger than
    ``client``'s manager's ``message_bytes`` (zmq's MAXMSGSIZE), before the grader holds
    it in memory."""
    limit = getattr(client.parent, "message_bytes", 0)
    if limit:
        context.setsockopt(zmq.MAXMSGSIZE, limit)
    return context


class GradingKernelClient(AsyncKernelClient):
    """The client that runs the cells: its messages are size-limited (_limited_context)."""

    @default("context")
    def _context_default(self):
        return _limited_context(self, super()._context_default())


class OracleClient(BlockingKernelClient):
    """The judge's client (judge.KernelOracle): blocking, shell channel only, its messages
    size-limited as the cells' client's are."""

    @default("context")
    def _context_default(self):
        return _limited_context(self, super()._context_default())


class GradingKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels start through ``kernel_command``, each in a sandbox
    of its own (``c.Sandbox``) unless that is switched off."""

    memory_limit = Integer(0, help="Bytes of data segment for the kernel; 0: no limit.").tag(
        config=True)
    log_file = Unicode("", help="Where the kernel process's own stdout/stderr go.").tag(
        config=True)

    watch = Bool(True, help="Run the kernel under the kernel watch (kernel_watch.py), "
                 "which notes what its code tries beyond its folder.").tag(config=True)

    client_factory = Type(GradingKernelClient, klass=AsyncKernelClient)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.sandbox = Sandbox(parent=self)
        self.message_bytes = message_limit(self.sandbox)
        self.kernel_sandbox: KernelSandbox | None = None

    async def start_kernel(self, **kw):
        """Prepare the kernel's sandbox (runtime folder, cgroup), then start it there."""
        self.workdir = os.path.realpath(kw.get("cwd") or os.getcwd())
        warm_matplotlib_font_cache(kw.get("env") or os.environ)
        self.kernel_sandbox = KernelSandbox.prepare(self.sandbox, self.workdir,
                                                    self.memory_limit,
                                                    isolate=self.sandbox.enabled)
        runtime = self.kernel_sandbox.runtime
        if self.sandbox.enabled or self.kernel_sandbox.user:
            # Unix sockets in the runtime folder, which the sandbox shares and the kernel's
            # own user owns (the kernel makes them; the grader may connect to anything).
            self.transport = "ipc"
            self.cache_ports = False
            self.ip = os.path.join(runtime, "k-ipc")
        if self.sandbox.enabled:
            self.kernel_spec.interrupt_mode = "message"
        self.connection_file = os.path.join(runtime, "kernel.json")
        kw["env"] = self.kernel_sandbox.environment(kw.get("env") or os.environ,
                                                    self.sandbox.enabled)
        try:
            await KernelManager._async_start_kernel(self, **kw)
        except BaseException:
            self.kernel_sandbox.remove()
            raise

    async def cleanup_resources(self, restart: bool = False) -> None:
        await KernelManager._async_cleanup_resources(self, restart)
        if self.kernel_sandbox is not None and not restart:
            self.kernel_sandbox.remove()

    @property
    def kernel_user(self) -> tuple | None:
        """(uid, gid) of the kernel's own user (c.Sandbox.user), None for the grader's."""
        return self.kernel_sandbox.user if self.kernel_sandbox is not None else None

    def write_connection_file(self, **kwargs) -> None:
        """Write the connection file, readable by the kernel's own user if it has one."""
        super().write_connection_file(**kwargs)
        if self.kernel_user:
            os.chown(self.connection_file, *self.kernel_user)

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        argv = super().format_kernel_cmd(extra_arguments)
        if self.kernel_sandbox is not None and self.watch:
            argv = self.kernel_sandbox.watch_command(argv, self.sandbox, self.workdir)
        return kernel_command(argv, self.memory_limit, self.log_file, self.kernel_sandbox,
                              self.sandbox)

    def oracle_client(self) -> OracleClient:
        """A second, blocking client of the running kernel, with its shell channel started:
        the judge's (replies go to the client that asked, so the cells' client is not
        disturbed)."""
        client = OracleClient(parent=self)
        client.load_connection_info(self.get_connection_info())
        client.start_channels(iopub=False, stdin=False, hb=False, control=False)
        return client

    def exit_status(self) -> int | None:
        """The dead kernel's exit status as Popen gives it (negative: the signal that
        killed it), or None when unknown."""
        process = getattr(self.provisioner, "process", None)
        return exit_status(process.poll() if process is not None else None,
                           self.sandbox.enabled)

    def watched_attempts(self) -> list[dict]:
        """The kernel watch's new lines (kernel_watch.py) since the last call."""
        return self.kernel_sandbox.new_attempts() if self.kernel_sandbox else []

    def limit_events(self) -> dict[str, int]:
        """What the kernel's cgroup stopped since the last call: refused forks ("pids"),
        out-of-memory kills ("memory")."""
        return self.kernel_sandbox.new_events() if self.kernel_sandbox else {}
