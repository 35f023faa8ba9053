"""Intake: put handed-in files where nbgrader looks for them, and account for every one.

``collect(course, assignment, path)`` accepts, as a folder or as a .zip of it:

(a) ``<student>.ipynb`` files (one-notebook assignments only);
(b) ``<student>/`` folders holding that student's notebooks and any other files they
    handed in;
(c) an LMS download whose file names carry the student id, by default
    ``<student>_<timestamp or numeric ids>_<original name>`` (Canvas style, ``LATE_``
    allowed) or Blackboard's ``<assignment>_<student>_attempt_<timestamp>_<name>``; the
    regular expressions are nbgrader zip_collect's ``named_regexp`` (groups
    ``student_id``, ``file_id``, optional ``timestamp``) and can be replaced; they are
    applied to the top name of each path (a file of a flat download, or the folder or
    zip holding one student's files), not to the absolute path as nbgrader does;
(d) an nbgrader ``submitted/<student>/<assignment>/`` tree.

Zips found at the top of the input (a zip per student) or named like (c) are opened too;
a lone folder wrapping everything (``submissions/...``) is looked through. The result is
``submitted/<student>/<assignment>/``: the expected notebooks are the ``*.ipynb`` files of
``release/<assignment>/``, renamed copies ("Copy of X", "X (1)", "X-Copy1", other case)
take the expected name, other files keep their place beside them.

Every file found ends with exactly one outcome (``Intake.check`` proves count in = count
out): placed, renamed (placed under the expected name), superseded (an older version of
the same file), duplicate (same content as the file used), unmatched (no student, or a
notebook that is not one of the assignment's: listed, and copied beside the placed ones
when its student is known), broken (a notebook nbformat cannot read or validate: placed
all the same when it is the student's only version, so grading gives it 0 with the
reason) and rejected (unsafe or unusable: listed with the reason, never copied).

The report goes to ``reports/<assignment>/intake.txt`` (for people) and ``intake.json``
(for the grading step) in the course.
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat

from autograder.course import Course

_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")

OUTCOMES = ("placed", "renamed", "superseded", "duplicate", "unmatched", "broken", "rejected")

# Default LMS file-name patterns, tried in order (nbgrader named_regexp syntax).
DEFAULT_NAMED_REGEXPS = (
    # Blackboard, the example of nbgrader's zip_collect documentation:
    # ps1_hacker_attempt_2016-01-30-20-30-10_problem1.ipynb
    r"^.+?_(?P<student_id>[A-Za-z0-9][A-Za-z0-9.-]*)_attempt_"
    r"(?P<timestamp>\d{4}(?:-\d{2}){5})_(?P<file_id>.+)$",
    # <student>_[LATE_]<timestamp or numeric ids>_<original name>, e.g. Canvas's
    # kim_12345_67890_FC_nets.ipynb or kim_2024-03-01T17-05-00_FC_nets.ipynb. Student ids
    # with "_" need a pattern of your own (--regexp).
    r"^(?P<student_id>[A-Za-z0-9][A-Za-z0-9.-]*)_(?:LATE_|late_)?"
    r"(?:(?P<timestamp>\d{4}-?\d{2}-?\d{2}(?:[T_ -]?\d{2}[:-]?\d{2}(?:[:-]?\d{2})?)?)"
    r"|\d+(?:_\d+)*)_(?P<file_id>.+)$",
)

# Files operating systems leave in folders and zips; nobody hands them in on purpose.
_SYSTEM_FILES = ("__MACOSX", ".DS_Store", "._*", "Thumbs.db", "desktop.ini")

# How a notebook's name gets changed on its way to us (applied to the lower-cased stem).
_DECORATIONS = (
    re.compile(r"^copy[ _-]of[ _-]+"),  # Google Drive: "Copy of X"
    re.compile(r"[ _-]*\(\d+\)$"),  # browsers: "X (1)"
    re.compile(r"[ _-]+copy\d*$"),  # Jupyter "X-Copy1", Windows "X - Copy"
    re.compile(r"[ _-]+v\d+$"),  # "X_v2"
    re.compile(r"[ _-]+final$"),  # "X_final"
    re.compile(r"-\d+$"),  # Canvas resubmissions: "X-1"
)


class IntakeError(RuntimeError):
    """Intake lost track of a file: count in differs from count out (a bug, not bad input)."""


@dataclass(frozen=True)
class IntakeLimits:
    """Caps against archive bombs and runaway inputs."""

    max_file_bytes: int = 200 * 2**20  # any one file, in a folder or unpacked from a zip
    max_total_bytes: int = 2 * 2**30  # everything unpacked from archives, together
    max_entries: int = 20_000  # entries per archive
    max_depth: int = 3  # archives inside archives


@dataclass
class Entry:
    """One input file and what intake did with it."""

    origin: str  # where it came from: a path in the input folder, or archive::entry
    outcome: str  # one of OUTCOMES
    reason: str = ""
    student: str = ""
    destination: Path | None = None  # where it was copied, if it was
    index: int = -1  # the input file's number, to check that each is accounted for once


@dataclass
class Intake:
    """What collect found and did; ``entries`` has one Entry per input file."""

    assignment: str = ""
    source: str = ""
    notebooks: tuple = ()  # the expected notebook names
    inputs: int = 0  # files found in the input, in its archives too (see ``archives``)
    archives: list = field(default_factory=list)  # archives opened, as origins
    entries: list = field(default_factory=list)
    decisions: list = field(default_factory=list)  # version choices and other notes
    roster: list | None = None  # student ids expected, None when no roster was available
    roster_from: str = ""
    report_files: list = field(default_factory=list)

    def of(self, outcome: str) -> list:
        """The entries with this outcome."""
        return [e for e in self.entries if e.outcome == outcome]

    def counts(self) -> Counter:
        return Counter(e.outcome for e in self.entries)

    @property
    def placed(self) -> dict:
        """student -> the assignment notebooks placed for them (readable ones)."""
        found = defaultdict(list)
        for e in self.entries:
            if e.outcome in ("placed", "renamed") and e.destination is not None \
                    and e.destination.name in self.notebooks:
                found[e.student].append(e.destination)
        return {student: sorted(paths) for student, paths in sorted(found.items())}

    @property
    def skipped(self) -> list:
        """(origin, reason) of every file not placed as what it was meant to be."""
        return [(Path(e.origin), e.reason) for e in self.entries
                if e.outcome not in ("placed", "renamed")]

    @property
    def students(self) -> list:
        """Every student something was collected for (a submitted/ folder was written)."""
        return sorted({e.student for e in self.entries if e.destination is not None})

    @property
    def broken(self) -> list:
        """Entries of notebooks nbformat cannot read; see also ``broken_students``."""
        return self.of("broken")

    @property
    def broken_students(self) -> dict:
        """student -> reason, for students whose every assignment notebook is broken.

        Their broken file is placed in submitted/ (the grading step grades it as 0 with
        the reason); this is the list to check that each of them got that row."""
        placed = self.placed
        found = {}
        for e in self.broken:
            if e.student and e.student not in placed and e.destination is not None:
                found.setdefault(e.student, f"{e.destination.name}: {e.reason}")
        return dict(sorted(found.items()))

    @property
    def without_notebook(self) -> list:
        """Students with a submitted/ folder but none of the assignment's notebooks in it."""
        has = set(self.placed) | set(self.broken_students)
        return [s for s in self.students if s not in has]

    @property
    def missing(self) -> list:
        """Roster students nothing came in for."""
        seen = {e.student for e in self.entries if e.student}
        return sorted(set(self.roster or ()) - seen)

    @property
    def not_on_roster(self) -> list:
        """Students collected (all the same) who are not on the roster."""
        if self.roster is None:
            return []
        return sorted(set(self.students) - set(self.roster))

    def check(self) -> None:
        """Raise IntakeError unless every input file has exactly one entry."""
        indices = sorted(e.index for e in self.entries)
        if indices != list(range(self.inputs)):
            lost = sorted(set(range(self.inputs)) - set(indices))
            twice = sorted(i for i, n in Counter(indices).items() if n > 1)
            raise IntakeError(f"intake of {self.assignment}: {self.inputs} file(s) in, "
                              f"{len(self.entries)} accounted for (lost: {lost}, "
                              f"twice: {twice})")
        unknown = {e.outcome for e in self.entries} - set(OUTCOMES)
        if unknown:
            raise IntakeError(f"intake of {self.assignment}: unknown outcome(s) {unknown}")

    def summary(self) -> str:
        """A few lines: counts, then every file that was not simply placed, then roster."""
        counts = self.counts()
        opened = f" (after opening {len(self.archives)} archive(s))" if self.archives else ""
        lines = [
            f"intake of {self.assignment} from {self.source}: {self.inputs} file(s) in"
            f"{opened}, {len(self.entries)} accounted for",
            f"collected {len(self.placed)} submission(s) with a readable notebook, "
            f"{len(self.students)} student folder(s) in all; expected notebooks: "
            f"{', '.join(self.notebooks)}",
            "  " + ", ".join(f"{counts[o]} {o}" for o in OUTCOMES),
        ]
        for outcome in OUTCOMES[1:]:
            for e in self.of(outcome):
                who = f"{e.student}: " if e.student else ""
                lines.append(f"  {outcome}: {who}{e.origin} ({e.reason})")
        lines += [f"  note: {d}" for d in self.decisions]
        for student, reason in self.broken_students.items():
            lines.append(f"  no readable notebook from {student} (graded 0): {reason}")
        for student in self.without_notebook:
            lines.append(f"  {student} handed in none of the assignment's notebooks")
        if self.roster is None:
            lines.append("  roster: none given and no students in the gradebook; not checked")
        else:
            lines.append(f"  roster ({self.roster_from}): {len(self.roster)} student(s), "
                         f"{len(self.missing)} without a submission"
                         + (f": {', '.join(self.missing)}" if self.missing else ""))
            if self.not_on_roster:
                lines.append(f"  not on the roster (collected all the same): "
                             f"{', '.join(self.not_on_roster)}")
        return "\n".join(lines)

    def report(self) -> str:
        """The summary, then one line per input file."""
        lines = [self.summary(), "", "every file:"]
        for e in sorted(self.entries, key=lambda e: e.index):
            where = f" -> {e.destination}" if e.destination else ""
            why = f" ({e.reason})" if e.reason else ""
            lines.append(f"  [{e.outcome}] {e.origin}{where}{why}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "assignment": self.assignment, "source": self.source,
            "notebooks": list(self.notebooks), "inputs": self.inputs,
            "archives": self.archives, "counts": dict(self.counts()),
            "students": self.students, "placed": {s: [str(p) for p in ps]
                                                  for s, ps in self.placed.items()},
            "broken_students": self.broken_students,
            "without_notebook": self.without_notebook,
            "roster_from": self.roster_from if self.roster is not None else None,
            "missing": self.missing, "not_on_roster": self.not_on_roster,
            "decisions": self.decisions,
            "entries": [{"origin": e.origin, "outcome": e.outcome, "reason": e.reason,
                         "student": e.student,
                         "destination": str(e.destination) if e.destination else None}
                        for e in sorted(self.entries, key=lambda e: e.index)],
        }

    def write_report(self, folder: Path) -> list[Path]:
        """Write ``folder``/intake.txt and intake.json; return their paths."""
        folder.mkdir(parents=True, exist_ok=True)
        text, data = folder / "intake.txt", folder / "intake.json"
        text.write_text(self.report() + "\n")
        data.write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        self.report_files = [text, data]
        return self.report_files


# ---------------------------------------------------------------- names and notebooks

def notebook_problem(path: Path, *, validate: bool = True) -> str:
    """Why this file is not a usable notebook, or "" when it is.

    Intake also checks nbformat's schema (``validate``); grading only needs nbgrader to
    be able to read the file.
    """
    try:
        notebook = nbformat.read(path, as_version=4)
        if validate:
            nbformat.validate(notebook)
    except Exception as error:  # any parse or schema error makes the file unusable
        return f"{type(error).__name__}: {(str(error).splitlines() or [''])[0][:200]}"
    return ""


def _squash(stem: str) -> str:
    """A name with case and separators (space - _ .) evened out."""
    return re.sub(r"[\s_.-]+", "_", stem.lower()).strip("_")


def _name_variants(stem: str) -> set:
    """Every name ``stem`` may have had before copies, downloads and uploads decorated it."""
    found, todo = set(), [stem.lower().strip()]
    while todo:
        name = todo.pop()
        if name in found or not name:
            continue
        found.add(name)
        todo += [pattern.sub("", name) for pattern in _DECORATIONS]
    return {_squash(name) for name in found}


def notebooks_named(name: str, expected) -> list:
    """Those of the ``expected`` notebook names that the file ``name`` may be a copy of
    (``backprop_digits (1).ipynb``, ``Backprop-Digits-Copy1.ipynb``: backprop_digits.ipynb)."""
    if not _is_notebook(name):
        return []
    variants = _name_variants(name[:-len(".ipynb")])
    return [e for e in expected if _squash(e[:-len(".ipynb")]) in variants]


def _is_notebook(name: str) -> bool:
    return name.lower().endswith(".ipynb")


def _parse_timestamp(text: str) -> datetime | None:
    """A file-name timestamp (2024-03-01-17-05-00, 20240301T170500, ...) or None."""
    digits = re.sub(r"\D", "", text)
    for form, length in (("%Y%m%d%H%M%S", 14), ("%Y%m%d%H%M", 12), ("%Y%m%d", 8)):
        if len(digits) == length:
            try:
                return datetime.strptime(digits, form)
            except ValueError:
                return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        return None


def compile_named_regexps(named_regexp) -> list:
    """``named_regexp`` (a pattern or several) compiled and checked for its groups."""
    patterns = [named_regexp] if isinstance(named_regexp, str) else list(named_regexp)
    compiled = []
    for pattern in patterns:
        try:
            regexp = re.compile(pattern)
        except re.error as error:
            raise ValueError(f"not a regular expression: {pattern!r} ({error})") from None
        missing = {"student_id", "file_id"} - set(regexp.groupindex)
        if missing:
            raise ValueError(f"the file-name pattern {pattern!r} needs the named group(s) "
                             f"{', '.join(sorted(missing))}, like nbgrader's named_regexp")
        compiled.append(regexp)
    return compiled


@dataclass
class _Rules:
    """What intake knows about the assignment and how names map to students and files."""

    assignment: str
    expected: tuple  # notebook names
    shipped: frozenset  # top-level names the release ships besides the notebooks
    patterns: list  # compiled named_regexps
    explicit: bool  # the patterns were given, not the defaults
    ignore: tuple  # fnmatch patterns of files nobody grades
    tree: bool = False  # the input holds <student>/<assignment>/ folders (nbgrader's)

    def resolve(self, name: str) -> list:
        """The expected notebooks ``name`` may be (a renamed copy of)."""
        return notebooks_named(name, self.expected)

    def ignored(self, parts: tuple) -> str:
        """Why a file at ``parts`` is nobody's work (system file, checkpoint...), or ""."""
        for part in parts:
            for pattern in _SYSTEM_FILES:
                if fnmatch.fnmatchcase(part, pattern):
                    return f"operating-system file ({part})"
            for pattern in self.ignore:
                if fnmatch.fnmatchcase(part, pattern):
                    return f"ignored like nbgrader does ({part} matches CourseDirectory.ignore " \
                           f"{pattern!r})"
        return ""

    def lms(self, name: str):
        """(student, file_id, timestamp) when ``name`` is an LMS-style name, else None."""
        for regexp in self.patterns:
            match = regexp.match(name)
            if match and match.group("student_id") and match.group("file_id"):
                stamp = match.groupdict().get("timestamp")
                return (match.group("student_id"), match.group("file_id"),
                        _parse_timestamp(stamp) if stamp else None)
        return None

    def is_student_folder(self, name: str, inside: list) -> bool:
        """Whether a lone top folder ``name`` holding ``inside`` (paths) is one student's
        submission, not a wrapper to look through: it holds an assignment notebook or an
        assignment folder, and not LMS-named files."""
        if any(self.lms(p[0]) for p in inside):
            return False
        return any(len(p) == 1 and self.resolve(p[0]) or len(p) > 1 and p[0] == self.assignment
                   for p in inside)

    def locate(self, parts: tuple):
        """(student, path in the submission, LMS timestamp, from an nbgrader tree) for a
        file at ``parts``, or the reason it belongs to no student."""
        if len(parts) >= 3 and parts[1] == self.assignment:
            return parts[0], parts[2:], None, True
        found = self.lms(parts[0])
        if self.tree and len(parts) >= 3 and not found:
            return f"{parts[0]}/{parts[1]}/ is not {self.assignment}'s folder in this " \
                   f"nbgrader tree"
        if found and not self._plain_student_notebook(parts, found[1]):
            student, file_id, stamp = found
            inner = (file_id,) if len(parts) == 1 else parts[1:]  # a file, or a folder's
            if len(inner) > 1 and inner[0] == self.assignment:
                inner = inner[1:]
            return student, inner, stamp, False
        if len(parts) == 1:
            return self._by_file_name(parts[0])
        if parts[0] == self.assignment:
            return "in a folder named like the assignment, not like a student"
        return parts[0], parts[1:], None, False

    def _plain_student_notebook(self, parts: tuple, file_id: str) -> bool:
        """A top-level ``<student>.ipynb`` the default LMS patterns happen to match
        (``ab_12_c.ipynb``): read it as layout (a) unless the LMS reading finds the
        assignment's notebook in it."""
        return (not self.explicit and len(parts) == 1 and len(self.expected) == 1
                and _is_notebook(parts[0]) and not self.resolve(file_id))

    def _by_file_name(self, name: str):
        """Layout (a): ``<student>.ipynb`` in the top folder."""
        if not _is_notebook(name):
            return "not a notebook"
        if self.resolve(name):
            return "named like the assignment's notebook, so no student id: put it in a " \
                   "<student>/ folder"
        if len(self.expected) > 1:
            return f"a <student>.ipynb fits one-notebook assignments; {self.assignment} has " \
                   f"{len(self.expected)}: hand them in as <student>/ folders"
        return name[:-len(".ipynb")], (self.expected[0],), None, False


# ---------------------------------------------------------------- reading the input

@dataclass
class _Item:
    """One input file: where it came from, its path in the input, its bytes on disk."""

    index: int
    origin: str
    parts: tuple  # path inside the input, wrapper folders removed
    file: Path | None  # the file itself, or its copy unpacked from an archive
    when: datetime | None = None
    when_from: str = ""
    problem: str = ""  # why it cannot be used at all, found while reading


class _OverCap(Exception):
    pass


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB"


def _member_parts(info: zipfile.ZipInfo) -> tuple[tuple, str]:
    """The path of an archive entry as parts, and why it is unsafe ("" when it is not)."""
    name = info.filename.replace("\\", "/")
    if any(ord(c) < 32 for c in name):
        return (), "control characters in the entry name"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return (), "absolute path in the archive: not unpacked"
    parts = tuple(p for p in name.split("/") if p not in ("", "."))
    if ".." in parts:
        return (), "path leaves the archive (..): not unpacked"
    if not parts:
        return (), "entry without a name"
    if stat.S_ISLNK(info.external_attr >> 16):
        return parts, "symbolic link in the archive: ignored"
    return parts, ""


def _wrapper(paths: list, rules: _Rules) -> tuple:
    """The chain of lone folders that wraps every path (``submissions/...``), which
    carries no student; stops at a folder that looks like one student's submission."""
    prefix = ()
    while paths and all(len(p) > 1 for p in paths) and len({p[0] for p in paths}) == 1:
        inside = [p[1:] for p in paths]
        if rules.is_student_folder(paths[0][0], inside):
            break
        prefix += (paths[0][0],)
        paths = inside
    return prefix


def _unwrapped(parts: tuple, prefix: tuple) -> tuple:
    return parts[len(prefix):] if prefix and parts[:len(prefix)] == prefix else parts


class _Reader:
    """Lists every file of the input as an _Item, opening archives safely on the way."""

    def __init__(self, staging: Path, limits: IntakeLimits, rules: _Rules):
        self.staging, self.limits, self.rules = staging, limits, rules
        self.items: list[_Item] = []
        self.archives: list[str] = []
        self.unpacked = 0  # bytes taken out of archives so far
        self.copies = 0  # files taken out of archives so far (their names in staging)

    def read(self, path: Path) -> list[_Item]:
        if path.is_dir():
            self._folder(path)
        elif zipfile.is_zipfile(path):
            self._archive(path, "", (), depth=1)
        else:
            raise ValueError(f"{path} is neither a folder nor a .zip archive")
        return self.items

    def _add(self, origin, parts, file, when=None, when_from="", problem="") -> None:
        self.items.append(_Item(len(self.items), origin, parts, file, when, when_from, problem))

    def _opens(self, local: tuple) -> bool:
        """Whether a file at ``local`` (path in its folder or archive) is an archive to
        open: one at the top (a zip per student, nbgrader's zip_collect does the same) or
        one named like an LMS file; a zip inside a student's folder is handed-in work."""
        name = local[-1]
        return (name.lower().endswith(".zip") and not self.rules.ignored(local)
                and (len(local) == 1 or self.rules.lms(name) is not None))

    def _folder(self, root: Path) -> None:
        found = []  # (parts, path, problem)
        for here, folders, files in os.walk(root):
            folders.sort()
            base = Path(here)
            for name in folders:
                if (base / name).is_symlink():
                    found.append(((base / name).relative_to(root).parts, base / name,
                                  "symbolic link to a folder: not followed"))
            for name in sorted(files):
                path = base / name
                problem = ""
                if path.is_symlink():
                    problem = "symbolic link: ignored"
                elif not path.is_file():
                    problem = "not a regular file"
                elif path.stat().st_size > self.limits.max_file_bytes:
                    problem = f"{_size(path.stat().st_size)}: over the " \
                              f"{_size(self.limits.max_file_bytes)} cap per file"
                found.append((path.relative_to(root).parts, path, problem))
        prefix = _wrapper([p for p, _, problem in found
                           if not problem and not self.rules.ignored(p)], self.rules)
        for parts, path, problem in found:
            local = _unwrapped(parts, prefix)
            origin = "/".join(parts)
            if not problem and self._opens(local):
                self._archive(path, origin, local, depth=1)
                continue
            when = None if problem else datetime.fromtimestamp(path.stat().st_mtime)
            self._add(origin, local, None if problem else path, when, "file date", problem)

    def _archive(self, path: Path, origin: str, own: tuple, depth: int) -> None:
        """Add the entries of the zip at ``path``. ``origin`` names it in the report ("" for
        the input itself); its entries appear under a folder named like it (``own``)."""
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as error:
            self._add(origin, own, None, problem=f"not a readable zip archive ({error})")
            return
        self.archives.append(origin or path.name)
        with archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
            members = []
            for n, info in enumerate(infos):
                parts, problem = _member_parts(info)
                if n >= self.limits.max_entries:
                    problem = f"the archive has more than {self.limits.max_entries} entries"
                members.append((info, parts, problem))
            usable = [p for _, p, problem in members if not problem and not self.rules.ignored(p)]
            prefix = _wrapper(usable, self.rules)
            folder = self._folder_of(own, [_unwrapped(p, prefix) for p in usable])
            labels = Counter()
            for info, parts, problem in members:
                label = f"{origin}::{info.filename}" if origin else info.filename
                labels[label] += 1
                if labels[label] > 1:  # zips may hold one name twice: both are counted
                    label += f" (entry {labels[label]})"
                local = _unwrapped(parts, prefix)
                when = _entry_date(info)
                if not problem and not self.rules.ignored(folder + local):
                    file, problem = self._unpack(archive, info)
                    if not problem and self._opens(local):
                        if depth < self.limits.max_depth:
                            self._archive(file, label, folder + local, depth + 1)
                            continue
                        problem = f"archive nested more than {self.limits.max_depth} deep"
                else:
                    file = None
                self._add(label, folder + local, None if problem else file, when,
                          "zip entry date", problem)

    def _folder_of(self, own: tuple, inside: list) -> tuple:
        """Where an archive's entries go: a folder named like the archive (kim.zip ->
        kim/), unless its entries carry the student ids themselves (an LMS download)."""
        if not own:
            return ()
        if any(self.rules.lms(p[0]) for p in inside) and not self.rules.lms(own[-1]):
            return own[:-1]
        return own[:-1] + (re.sub(r"(?i)\.zip$", "", own[-1]),)

    def _unpack(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo):
        """(file on disk, "") for one archive entry, or (None, why not), within the caps."""
        cap, total = self.limits.max_file_bytes, self.limits.max_total_bytes
        if info.file_size > cap:
            return None, f"{_size(info.file_size)} unpacked: over the {_size(cap)} cap per file"
        if self.unpacked + info.file_size > total:
            return None, f"the archives unpack to more than the {_size(total)} cap"
        self.copies += 1
        target = self.staging / str(self.copies)
        written = 0
        try:
            with archive.open(info) as source, open(target, "wb") as out:
                while chunk := source.read(2**20):
                    written += len(chunk)  # counted as read: a lying header cannot hide a bomb
                    if written > cap or self.unpacked + written > total:
                        raise _OverCap
                    out.write(chunk)
        except _OverCap:
            target.unlink()
            return None, f"unpacks to more than its cap ({_size(cap)} per file, " \
                         f"{_size(total)} in all)"
        except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError,
                OSError) as error:  # damaged, encrypted, unknown compression
            target.unlink(missing_ok=True)
            return None, f"could not unpack ({type(error).__name__}: {error})"
        self.unpacked += written
        return target, ""


def _entry_date(info: zipfile.ZipInfo) -> datetime | None:
    try:
        return datetime(*info.date_time)
    except ValueError:  # zips may carry impossible dates
        return None


# ---------------------------------------------------------------- deciding

@dataclass
class _Claim:
    """An input file that belongs to a student, and the place it asks for."""

    item: _Item
    student: str
    slot: str  # path inside submitted/<student>/<assignment>/
    outcome: str  # if it is the version used: placed, renamed, unmatched or broken
    reason: str
    stamp: datetime | None  # from an LMS file name

    @property
    def when(self) -> datetime | None:
        return self.stamp or self.item.when

    def dated(self) -> str:
        if self.stamp:
            return f"{self.stamp:%Y-%m-%d %H:%M:%S}, from its name"
        if self.item.when:
            return f"{self.item.when:%Y-%m-%d %H:%M:%S}, {self.item.when_from}"
        return "no date"


def _claim(item: _Item, rules: _Rules):
    """What an input file is: a _Claim on a place in a submission, or a final Entry."""
    def final(outcome, reason, student=""):
        return Entry(item.origin, outcome, reason, student, index=item.index)

    if item.problem:
        return final("rejected", item.problem)
    if reason := rules.ignored(item.parts):
        return final("rejected", reason)
    found = rules.locate(item.parts)
    if isinstance(found, str):
        return final("unmatched", found)
    student, inner, stamp, from_nbgrader = found
    if not _STUDENT_ID.match(student) or student in (".", ".."):
        return final("rejected", f"{student!r} is not a usable student id (letters, digits "
                                 f"and _ . - only, starting with a letter or digit)")
    if any(part in ("", ".", "..") for part in inner):  # an LMS file_id may be ".."
        return final("rejected", f"unsafe file name {'/'.join(inner)!r}", student)
    name, here = inner[-1], "/".join(inner)
    matches = rules.resolve(name) if _is_notebook(name) else []
    if len(inner) == 1 and name in rules.expected:
        slot, outcome, reason = name, "placed", ""
    elif inner[0] in rules.shipped:
        return final("rejected", f"the release ships {inner[0]}: the release's copy is used, "
                                 f"not the student's", student)
    elif len(matches) == 1:
        slot, outcome, reason = matches[0], "renamed", f"{here} taken as {matches[0]}"
    elif _is_notebook(name):
        slot, outcome = here, "unmatched"
        reason = (f"could be {' or '.join(matches)}" if matches else
                  f"not one of the assignment's notebooks ({', '.join(rules.expected)})")
    elif inner == ("timestamp.txt",) and not from_nbgrader:
        return final("rejected", "timestamp.txt sets the submission time: trusted only from "
                                 "an nbgrader submitted/ tree", student)
    else:
        slot, outcome, reason = here, "placed", "other file handed in"
    if outcome in ("placed", "renamed") and slot in rules.expected:
        if problem := notebook_problem(item.file):
            outcome = "broken"
            reason = f"not a readable notebook: {problem}" + (f"; {reason}" if reason else "")
    return _Claim(item, student, slot, outcome, reason, stamp)


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(2**20), b""):
            sha.update(block)
    return sha.hexdigest()


def _choose(claims: list, decisions: list) -> tuple:
    """(the claim used, [(claim, outcome, reason) for the others]) for one place.

    The newest version wins (its LMS time stamp, else its zip entry or file date); a
    readable notebook always beats a broken one; same content is a duplicate."""
    readable = [c for c in claims if c.outcome != "broken"]
    pool = readable or claims
    winner = max(pool, key=lambda c: (c.when or datetime.min, c.outcome == "placed",
                                      c.item.origin))
    if len(claims) == 1:
        return winner, []
    digest = _digest(winner.item.file)
    others = []
    for claim in sorted(claims, key=lambda c: c.item.index):
        if claim is winner:
            continue
        if claim not in pool:
            outcome, why = "broken", f"{claim.reason}; {winner.item.origin} used instead"
        elif _digest(claim.item.file) == digest:
            outcome, why = "duplicate", f"same content as {winner.item.origin}"
        else:
            outcome, why = "superseded", f"older than {winner.item.origin}"
        others.append((claim, outcome, why))
    tie = any(c.when == winner.when for c, outcome, _ in others if outcome == "superseded")
    decisions.append(
        f"{winner.student}/{winner.slot}: used {winner.item.origin} ({winner.dated()})"
        + "".join(f"; not {c.item.origin} ({c.dated()}, {outcome})" for c, outcome, _ in others)
        + ("; same date: chosen by name, check by hand" if tie else ""))
    return winner, others


def _place(course: Course, assignment: str, student: str, winners: list,
           decisions: list) -> dict:
    """Write one student's submitted/<student>/<assignment>/ afresh from ``winners``;
    return claim -> destination, or the reason it could not be written."""
    folder = course.submitted / student / assignment
    if folder.exists():
        shutil.rmtree(folder)  # a new intake replaces the earlier copy whole
        decisions.append(f"{student}: replaced the earlier copy in {folder}")
    folder.mkdir(parents=True)
    written = {}
    for claim in sorted(winners, key=lambda c: c.slot):
        target = folder.joinpath(*claim.slot.split("/"))
        try:
            if folder.resolve() not in target.resolve().parents:
                raise PermissionError(f"{claim.slot} would land outside {folder}")
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                raise FileExistsError(f"{claim.slot} is already there")
            shutil.copyfile(claim.item.file, target)
        except OSError as error:  # a file and a folder of the same name, say
            written[id(claim)] = f"could not be written ({error})"
            continue
        written[id(claim)] = target
    stamps = [c.stamp for c in winners if c.stamp]
    if stamps and not (folder / "timestamp.txt").exists():
        # As nbgrader zip_collect does: autograde reads it to tell late submissions.
        (folder / "timestamp.txt").write_text(max(stamps).isoformat(" "))
        decisions.append(f"{student}: timestamp.txt {max(stamps).isoformat(' ')} "
                         f"(newest time stamp in the file names)")
    return written


# ---------------------------------------------------------------- roster

def read_roster(path: Path) -> list[str]:
    """Student ids from a CSV file with an ``id`` column (first_name, last_name, email may
    follow), the format of ``nbgrader db student import``."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if "id" not in (reader.fieldnames or []):
            raise ValueError(f"{path}: a roster needs an 'id' column (like nbgrader db "
                             f"student import); columns found: {reader.fieldnames}")
        return sorted({row["id"].strip() for row in reader if (row["id"] or "").strip()})


def gradebook_students(course: Course) -> list[str] | None:
    """The students in the course's gradebook, or None when there is no gradebook yet."""
    if not course.has_gradebook():
        return None
    with course.gradebook() as gradebook:
        return sorted(student.id for student in gradebook.students)


def _roster(course: Course, roster) -> tuple:
    """(student ids or None, where they came from)."""
    if roster is not None:
        return read_roster(Path(roster)), str(roster)
    students = gradebook_students(course)
    return (students, "gradebook") if students else (None, "")


# ---------------------------------------------------------------- entry points

def released_notebooks(course: Course, assignment: str) -> tuple:
    """The notebook names of ``release/<assignment>/``: what students hand back."""
    names = tuple(sorted(p.name for p in (course.release / assignment).glob("*.ipynb")))
    if not names:
        raise FileNotFoundError(f"no notebooks in {course.release / assignment}: release the "
                                f"assignment first (./kit release {assignment})")
    return names


def _check_not_course_folder(course: Course, path: Path) -> None:
    """Refuse inputs that are, or hold, the submitted/ folder intake writes to."""
    source, submitted = path.resolve(), course.submitted.resolve()
    if source == submitted or submitted in source.parents or source in submitted.parents:
        raise ValueError(f"{path} is or holds the course's own submitted/ folder, which "
                         f"intake rewrites: collect from a copy elsewhere")


def collect(course: Course, assignment: str, path: Path, roster=None, *,
            named_regexp=None, notebooks=None, limits: IntakeLimits = IntakeLimits(),
            write_report: bool = True) -> Intake:
    """Collect the submissions in ``path`` (a folder or a .zip) into submitted/.

    Args:
        course: the course directory.
        assignment: the assignment id.
        path: the submissions, in any layout the module docstring lists.
        roster: a CSV of student ids (``id`` column); default: the gradebook's students.
        named_regexp: LMS file-name pattern(s) with groups student_id and file_id
            (timestamp optional), replacing DEFAULT_NAMED_REGEXPS.
        notebooks: the expected notebook names; default: those of release/<assignment>/.
        limits: caps on file and archive sizes.
        write_report: write reports/<assignment>/intake.txt and intake.json.
    Returns the Intake, checked: every input file has exactly one outcome.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"submissions not found: {path}")
    _check_not_course_folder(course, path)
    expected = tuple(notebooks) if notebooks else released_notebooks(course, assignment)
    release = course.release / assignment
    # nn_utils is always the grader's (bundle.py), built into the release or not yet.
    shipped = (frozenset(p.name for p in release.iterdir()) - set(expected)
               if release.is_dir() else frozenset()) | {"nn_utils"}
    ignore = tuple(course.config().CourseDirectory.get("ignore", ())) or (
        ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback")
    rules = _Rules(assignment, expected, shipped,
                   compile_named_regexps(named_regexp or DEFAULT_NAMED_REGEXPS),
                   named_regexp is not None, ignore)
    students, roster_from = _roster(course, roster)
    intake = Intake(assignment, str(path), expected, roster=students, roster_from=roster_from)
    with tempfile.TemporaryDirectory(prefix="intake-") as staging:
        reader = _Reader(Path(staging), limits, rules)
        items = reader.read(path)
        rules.tree = any(len(i.parts) >= 3 and i.parts[1] == assignment for i in items)
        intake.inputs, intake.archives = len(items), reader.archives
        _decide_and_place(course, assignment, items, rules, intake)
    intake.check()
    if write_report:
        intake.write_report(course.root / "reports" / assignment)
    return intake


def _decide_and_place(course: Course, assignment: str, items: list, rules: _Rules,
                      intake: Intake) -> None:
    """Turn every item into an Entry of ``intake``, copying the versions used."""
    places = defaultdict(list)  # (student, slot) -> claims
    for item in items:
        found = _claim(item, rules)
        if isinstance(found, Entry):
            intake.entries.append(found)
        else:
            places[found.student, found.slot].append(found)
    winners = defaultdict(list)  # student -> claims to copy
    for claims in places.values():
        winner, others = _choose(claims, intake.decisions)
        winners[winner.student].append(winner)
        for claim, outcome, reason in others:
            intake.entries.append(Entry(claim.item.origin, outcome, reason, claim.student,
                                        index=claim.item.index))
    earlier = sorted(p.parent.name for p in course.submitted.glob(f"*/{assignment}")
                     if p.parent.name not in winners)
    if earlier:  # the grading step grades every submitted/ folder, these too
        intake.decisions.append(f"submitted/ keeps earlier intakes of {', '.join(earlier)}, "
                                f"who are not in this input")
    for student, chosen in sorted(winners.items()):
        written = _place(course, assignment, student, chosen, intake.decisions)
        for claim in chosen:
            target = written[id(claim)]
            if isinstance(target, Path):
                intake.entries.append(Entry(claim.item.origin, claim.outcome, claim.reason,
                                            student, target, claim.item.index))
            else:
                intake.entries.append(Entry(claim.item.origin, "rejected", target, student,
                                            index=claim.item.index))


def collect_folder(course: Course, assignment: str, folder: Path, notebook: str) -> Intake:
    """Copy ``folder/<student>.ipynb`` to ``submitted/<student>/<assignment>/<notebook>.ipynb``
    (and ``folder/<student>/`` folders as they are); no report files are written.

    Args:
        course: the course directory.
        assignment: the assignment id.
        folder: a folder of notebooks, one per student, named by student id.
        notebook: the notebook name the release uses (without .ipynb).
    """
    if not Path(folder).is_dir():
        raise FileNotFoundError(f"submissions folder not found: {folder}")
    return collect(course, assignment, Path(folder), notebooks=(f"{notebook}.ipynb",),
                   write_report=False)
