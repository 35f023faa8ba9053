"""The container backend of the grading sandbox: Podman (rootless or as root), for
machines where bubblewrap cannot run.

It keeps bubblewrap's guarantees with a container engine's options: no network
(``--network none``), a read-only root (``--read-only``) made of the same read-only binds
bubblewrap makes (/usr, the few /etc files, the Python environment, the data sets), only
the kernel's own folder and runtime folder writable, a private size-limited /tmp, no
capabilities and no privilege gain, no new user namespaces (a seccomp profile, as
bubblewrap's ``--disable-userns``), the grader's rlimits as the container's ``--ulimit``
(CPU seconds, file size, data segment, processes, open files) and, where the engine can
set them, the cgroup limits (processes, memory, CPUs). The kernel watch runs inside as it
does under bubblewrap: the command is the same.

The image is a skeleton: a folder of empty mount points (``--rootfs``), made once per
machine from the binds themselves, so nothing is installed twice and nothing drifts from
pyproject.toml: the container runs the kit's own environment, read-only. It needs no
image registry.

A container outlives a killed ``podman run``: each kernel's container is named after its
runtime folder, and removing the kernel's sandbox removes the container.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import shutil
import subprocess
from pathlib import Path

MiB = 1 << 20
NAME_PREFIX = "nn-kit-kernel-"
OPEN_FILES = 1024  # a kernel opens a few dozen; the engine's default may exceed the grader's
# Podman's seccomp profile: an administrator's, else the default the package installs.
ENGINE_PROFILES = (Path("/etc/containers/seccomp.json"), Path("/usr/share/containers/seccomp.json"))
CLONE_NEWUSER = 0x10000000


def engine_path(engine: str) -> str | None:
    """The container engine's program, or None if there is none."""
    return shutil.which(engine)


def container_name(runtime: str) -> str:
    return NAME_PREFIX + os.path.basename(runtime.rstrip("/"))


def skeleton(binds: list[str], root: Path, home: str) -> str:
    """A folder holding an empty directory (or file) for every bind target: the container's
    root file system, read-only at run time. Made once; more mount points are added when a
    bind needs one. Those inside ``home`` (a tmpfs in the container) are the engine's."""
    for target in binds:
        if target == home or target.startswith(home.rstrip("/") + "/"):
            continue
        place = root / target.lstrip("/")
        if place.exists():
            continue
        if os.path.isdir(target):
            place.mkdir(parents=True, exist_ok=True)
        else:
            place.parent.mkdir(parents=True, exist_ok=True)
            place.touch()
    for name in ("proc", "dev", "sys", "etc", "run", home.lstrip("/")):
        (root / name).mkdir(parents=True, exist_ok=True)
    return str(root)


def _new_user_namespace(flag: int) -> list:
    """A seccomp condition: CLONE_NEWUSER in argument 0 is ``flag`` (0 or CLONE_NEWUSER)."""
    return [{"index": 0, "value": CLONE_NEWUSER, "valueTwo": flag,
             "op": "SCMP_CMP_MASKED_EQ"}]


def seccomp_profile(default: dict) -> dict:
    """The engine's default seccomp profile, less new user namespaces: bubblewrap's
    ``--disable-userns``. Inside one of its own, a kernel would hold every capability again
    (against the kernel's own attack surface, not the files it can see). ``clone`` and
    ``unshare`` are allowed only without CLONE_NEWUSER; ``clone3``, whose flags seccomp
    cannot read, says ENOSYS, and the C library then falls back to ``clone``. The flags
    are argument 0 of both on x86-64 and arm64 (not on s390x, which the kit does not
    support)."""
    gated = {"clone", "clone3", "unshare"}
    rules = []
    for rule in default["syscalls"]:
        listed = rule.get("names") or [rule["name"]]  # older profiles name one call a rule
        names = [name for name in listed if name not in gated]
        if names:
            rules.append({**{k: v for k, v in rule.items() if k != "name"}, "names": names})
    # EPERM, as the kernel says where user namespaces are off (the engine's default
    # action would answer ENOSYS, as if the call did not exist).
    rules += [{"names": ["clone", "unshare"], "action": "SCMP_ACT_ALLOW",
               "args": _new_user_namespace(0)},
              {"names": ["clone", "unshare"], "action": "SCMP_ACT_ERRNO",
               "args": _new_user_namespace(CLONE_NEWUSER), "errnoRet": errno.EPERM},
              {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "args": [],
               "errnoRet": errno.ENOSYS}]
    return {**default, "syscalls": rules}


@functools.lru_cache(maxsize=1)
def _profile_text() -> str | None:
    """``seccomp_profile`` of the engine's profile (ENGINE_PROFILES, the first that reads)
    as JSON, made once per process: every kernel gets the same."""
    for path in ENGINE_PROFILES:
        try:
            return json.dumps(seccomp_profile(json.loads(path.read_text())))
        except (OSError, ValueError):
            continue
    return None


def write_seccomp_profile(folder: str) -> str:
    """The kernels' seccomp profile (``_profile_text``), written into ``folder``. The
    podman sandbox's probe refuses to run where the engine has none (sandbox._probe)."""
    text = _profile_text()
    if text is None:
        raise OSError(f"no seccomp profile of Podman's at {' or '.join(map(str, ENGINE_PROFILES))}")
    path = os.path.join(folder, "seccomp.json")
    with open(path, "w") as profile:
        profile.write(text)
    return path


def own_folder(root: Path) -> Path:
    """``root``, made if missing, refused unless it is a real folder of this user that no
    one else can write to: what is in it becomes every kernel's root file system."""
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = root.lstat()
    if root.is_symlink() or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise PermissionError(f"the container sandbox's root folder {root} must be a folder "
                              f"of this user that others cannot write to")
    return root


def container_arguments(engine: list[str], *, workdir: str, runtime: str, read_only: list[str],
                        system_links: dict[str, str], files: list[tuple[str, str]],
                        environment: dict[str, str], limits: dict[str, int], home: str,
                        tmp_bytes: int, root: Path) -> list[str]:
    """The ``podman run`` command line that runs a kernel as bwrap does.

    Args:
        engine: the engine's program and its own options.
        workdir, runtime: the two writable folders (bound at their own paths).
        read_only: host folders and files bound read-only at their own paths.
        system_links: symbolic links of the root (``/bin`` -> ``usr/bin``) to recreate.
        files: (host folder, path inside) pairs bound writable (matplotlib's cache, with
            the grader's font lists copied in: it must be the kernel's own to be used).
        environment: the kernel's whole environment.
        limits: ``cpu_seconds``, ``file_bytes``, ``memory`` (data segment), ``processes``,
            ``cpus``, ``total_memory`` (0: none).
        home: the private /tmp that is also $HOME.
        tmp_bytes: its size.
        root: where the skeleton root folder is kept.
    """
    targets = [*read_only, *(inside for _, inside in files), workdir, runtime]
    rootfs = skeleton(targets, own_folder(root), home)
    profile = write_seccomp_profile(runtime)
    for link, points_to in system_links.items():
        place = Path(rootfs, link.lstrip("/"))
        if not place.is_symlink() and not place.exists():
            try:
                place.symlink_to(points_to)
            except FileExistsError:  # another kernel's preparation made it just now
                pass
    # --init: a kernel as the container's process 1 would ignore SIGXCPU, the CPU limit's
    # signal, as process 1 of a namespace ignores every signal it has no handler for.
    # --read-only-tmpfs=false: no writable /run and /var/tmp of the engine's, which would
    # have no size limit. notmpcopyup: the private /tmp starts empty, with nothing of the
    # skeleton's. --http-proxy=false: the grader's proxy settings stay out of the kernel.
    args = [*engine, "run", "--rm", "--init", "--name", container_name(runtime),
            "--network", "none", "--read-only", "--read-only-tmpfs=false",
            "--http-proxy=false", "--cap-drop", "all", "--security-opt", "no-new-privileges",
            "--security-opt", f"seccomp={profile}",
            "--hostname", "grading", "--ipc", "private",
            "--tmpfs", f"{home}:rw,size={tmp_bytes},mode=1777,notmpcopyup,U",
            "--tmpfs", f"/dev/shm:rw,size={tmp_bytes // 4},notmpcopyup",
            "--ulimit", f"nofile={OPEN_FILES}:{OPEN_FILES}"]
    if limits.get("cpu_seconds"):
        seconds = limits["cpu_seconds"]
        # --timeout: bubblewrap's --die-with-parent has no equal here; a kernel left idle by
        # a grader killed outright ends after twice its CPU time (plus 10 minutes) of wall.
        args += ["--ulimit", f"cpu={seconds}:{seconds + 5}", "--timeout", str(2 * seconds + 600)]
    if limits.get("file_bytes"):
        args += ["--ulimit", f"fsize={limits['file_bytes']}:{limits['file_bytes']}"]
    if limits.get("memory"):
        args += ["--ulimit", f"data={limits['memory']}:{limits['memory']}"]
    if limits.get("processes"):
        count = limits["processes"]
        args += ["--ulimit", f"nproc={count}:{count}"]
    if os.geteuid() != 0:
        # Rootless podman runs every container in one user namespace of the user's, where
        # RLIMIT_NPROC counts the processes of all of them together: one kernel's fork bomb
        # would stop the next kernel from starting. keep-id gives each container a user
        # namespace of its own (the kernel runs as the grader's user id in it).
        args += ["--userns", "keep-id"]
    else:  # as root only: a rootless engine on cgroup v1 can set no cgroup limits
        if limits.get("processes"):
            args += ["--pids-limit", str(limits["processes"])]
        if limits.get("total_memory"):
            args += ["--memory", str(limits["total_memory"])]
        if limits.get("cpus"):
            args += ["--cpus", f"{limits['cpus']:g}"]
    for folder in read_only:
        args += ["-v", f"{folder}:{folder}:ro"]
    for host, inside in files:
        args += ["-v", f"{host}:{inside}:rw"]
    args += ["-v", f"{workdir}:{workdir}:rw", "-v", f"{runtime}:{runtime}:rw",
             "--workdir", workdir]
    for name, value in sorted(environment.items()):
        args += ["--env", f"{name}={value}"]
    return [*args, "--rootfs", rootfs]


def remove(engine: list[str], runtime: str) -> None:
    """Remove the kernel's container if it is still there (its ``run`` was killed)."""
    subprocess.run([*engine, "rm", "--force", "--time", "0", container_name(runtime)],
                   capture_output=True, timeout=60, check=False)
