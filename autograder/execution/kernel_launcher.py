"""Start a grading kernel within its limits: ``kernel_command`` (kernel_manager.py) runs this.

    python -m autograder.execution.kernel_launcher [--memory BYTES] [--cpu-seconds S] [--file-bytes B]
        [--cgroup DIR ...] [--user UID:GID [--nproc N]] --log FILE -- COMMAND ...

Caps the data segment (RLIMIT_DATA: the heap and the anonymous mappings numpy arrays live
in), the CPU seconds of each process (RLIMIT_CPU: SIGXCPU, then SIGKILL a few seconds
later) and the size of any file written (RLIMIT_FSIZE: Python then gets "File too large"),
moves itself into the kernel's cgroups (cgroups.py), sends its own stdout and stderr
(start-up chatter, fatal errors; not what cells print, which reaches the notebook through
the kernel) to FILE, and then becomes COMMAND (exec): the kernel, or the bwrap sandbox that
runs the kernel (sandbox.py), which inherits all of this. It imports next to nothing: it
runs once for every notebook graded.
"""

from __future__ import annotations

import argparse
import os
import resource

from autograder.course import grading_environment

CPU_GRACE = 5  # seconds between SIGXCPU (the soft limit) and SIGKILL (the hard one)


def _limit(which: int, soft: int, hard: int | None = None) -> None:
    """Set a limit, the hard one too, so that code in the kernel cannot raise it again."""
    resource.setrlimit(which, (soft, soft if hard is None else hard))


def launch(argv: list[str] | None = None) -> None:
    """Apply the limits to this process, then replace it with the command."""
    parser = argparse.ArgumentParser(prog="python -m autograder.execution.kernel_launcher")
    parser.add_argument("--memory", type=int, default=0, help="bytes; 0 for no limit")
    parser.add_argument("--cpu-seconds", type=int, default=0, help="0 for no limit")
    parser.add_argument("--file-bytes", type=int, default=0, help="0 for no limit")
    parser.add_argument("--cgroup", action="append", default=[],
                        help="a cgroup directory to move into (repeat for each hierarchy)")
    parser.add_argument("--user", help="UID:GID to run the command as")
    parser.add_argument("--nproc", type=int, default=0, help="processes of that user")
    parser.add_argument("--log", default=os.devnull)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no kernel command given")
    for directory in args.cgroup:
        with open(os.path.join(directory, "cgroup.procs"), "w") as procs:
            procs.write(str(os.getpid()))
    if args.memory:
        _limit(resource.RLIMIT_DATA, args.memory)
    if args.cpu_seconds:
        _limit(resource.RLIMIT_CPU, args.cpu_seconds, args.cpu_seconds + CPU_GRACE)
    if args.file_bytes:
        _limit(resource.RLIMIT_FSIZE, args.file_bytes)
    log = os.open(args.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    if args.user:
        uid, gid = (int(n) for n in args.user.split(":"))
        if args.nproc:
            _limit(resource.RLIMIT_NPROC, args.nproc)
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)  # after setgid: with the user id gone, the group could not change
    os.execvpe(command[0], command, grading_environment())


if __name__ == "__main__":
    launch()
