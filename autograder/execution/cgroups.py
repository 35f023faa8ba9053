"""A cgroup of its own for each grading kernel: caps on its processes, CPU share and memory.

Resource limits (setrlimit) are per process, and RLIMIT_NPROC does nothing for root: a
kernel that forks could multiply its memory and CPU, and as root fork without bound. A
cgroup caps the kernel and everything it starts together. This works where this process may
create cgroups: as root (with cgroup v1 or v2), or in a delegated cgroup v2 subtree with the
controllers enabled. Elsewhere ``parent_dirs`` finds nothing and the sandbox falls back to
RLIMIT_NPROC inside its user namespace (sandbox.py).

Used by the kernel manager (kernel_manager.py): ``KernelCgroup.create`` before the kernel starts, the
launcher (kernel_launcher.py) moves itself in before it becomes the sandbox, ``events`` tells
what the caps stopped, ``remove`` after the kernel is gone.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

CONTROLLERS = ("pids", "cpu", "memory")
CPU_PERIOD = 100_000  # microseconds: the scheduler's default period for a CPU quota


def _cgroup_mounts() -> list[tuple[str, Path, str, set]]:
    """(root within the hierarchy, mount point, fstype, mount options) of every cgroup file
    system, from /proc/self/mountinfo."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) > 4 and tail and tail[0] in ("cgroup", "cgroup2"):
            options = set(tail[2].split(",")) if len(tail) > 2 else set()
            found.append((fields[3], Path(fields[4]), tail[0], options))
    return found


def _own_cgroups() -> dict[str, str]:
    """This process's cgroup path per v1 controller, and under "" its cgroup v2 path."""
    paths = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            paths[controller] = path
    return paths


def _inside(mount: Path, root: str, path: str) -> Path | None:
    """Where cgroup ``path`` is under a mount of the hierarchy's ``root``, or None."""
    relative = os.path.relpath(path, root)
    return None if relative.startswith("..") else (mount / relative).resolve()


def parent_dirs() -> dict[str, Path]:
    """controller -> a directory this process may create kernel cgroups in (none: {})."""
    try:
        mounts, own = _cgroup_mounts(), _own_cgroups()
    except OSError:
        return {}
    found: dict[str, Path] = {}
    for root, mount, fstype, options in mounts:
        if fstype == "cgroup":
            for controller in CONTROLLERS:
                if controller in options and controller in own:
                    where = _inside(mount, root, own[controller])
                    if where is not None:
                        found.setdefault(controller, where)
        elif "" in own and (where := _inside(mount, root, own[""])) is not None:
            try:
                enabled = (where / "cgroup.subtree_control").read_text().split()
            except OSError:
                continue
            for controller in CONTROLLERS:
                if controller in enabled:
                    found.setdefault(controller, where)
    return {c: d for c, d in found.items() if os.access(d, os.W_OK | os.X_OK)}


def _write(path: Path, value) -> bool:
    """Write a cgroup setting; False if the kernel refused it."""
    try:
        path.write_text(str(value))
        return True
    except OSError:
        return False


def _count(path: Path, key: str) -> int:
    """The number after ``key`` in a cgroup events file ("max 3"), or 0."""
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


@dataclass
class KernelCgroup:
    """One kernel's cgroup: a directory in each hierarchy that has one of the controllers.

    ``caps`` names what is really capped ("pids", "cpu", "memory"); ``dirs`` are the
    directories the launcher must join (cgroup.procs).
    """

    dirs: list = field(default_factory=list)
    caps: dict = field(default_factory=dict)  # controller -> directory holding its limit

    @classmethod
    def create(cls, processes: int, cpus: float, memory: int) -> "KernelCgroup":
        """A new cgroup with each limit that is positive and can be set; may cap nothing."""
        wanted = {"pids": processes, "cpu": cpus, "memory": memory}
        name = f"autograder-kernel-{uuid.uuid4().hex[:12]}"
        group = cls()
        made = {}
        for controller, parent in parent_dirs().items():
            if not wanted[controller] or wanted[controller] <= 0:
                continue
            if parent not in made:
                try:
                    (parent / name).mkdir()
                except OSError:
                    continue
                made[parent] = parent / name
                group.dirs.append(str(parent / name))
            if group._limit(controller, made[parent], wanted[controller]):
                group.caps[controller] = made[parent]
        return group

    @staticmethod
    def _limit(controller: str, where: Path, value) -> bool:
        """Set one controller's limit in ``where`` (cgroup v1 or v2 file names)."""
        if controller == "pids":
            return _write(where / "pids.max", int(value))
        if controller == "cpu":
            quota = max(1000, int(value * CPU_PERIOD))
            if (where / "cpu.max").exists():
                return _write(where / "cpu.max", f"{quota} {CPU_PERIOD}")
            return (_write(where / "cpu.cfs_period_us", CPU_PERIOD)
                    and _write(where / "cpu.cfs_quota_us", quota))
        if (where / "memory.max").exists():
            return _write(where / "memory.max", int(value))
        return _write(where / "memory.limit_in_bytes", int(value))

    def events(self) -> dict[str, int]:
        """How often each cap stopped something so far: refused forks, out-of-memory kills."""
        counts = {}
        if "pids" in self.caps:
            counts["pids"] = _count(self.caps["pids"] / "pids.events", "max")
        if "memory" in self.caps:
            where = self.caps["memory"]
            counts["memory"] = (_count(where / "memory.events", "oom_kill")
                                or _count(where / "memory.oom_control", "oom_kill"))
        return counts

    def remove(self, wait: float = 5.0) -> None:
        """Kill whatever is still in the cgroup, then remove its directories."""
        deadline = time.monotonic() + wait
        for directory in map(Path, self.dirs):
            while directory.exists():
                try:
                    pids = [int(p) for p in (directory / "cgroup.procs").read_text().split()]
                except OSError:
                    pids = []
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                try:
                    directory.rmdir()
                except OSError:
                    if time.monotonic() > deadline:
                        break  # left behind, empty or not: nothing else depends on it
                    time.sleep(0.05)
