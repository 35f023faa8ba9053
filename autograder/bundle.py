"""An assignment's nn_utils: the shared engine plus that assignment's own checks.

A course keeps each assignment's checks beside its notebooks, as the package
``source/<assignment>/checks`` written against the engine. Students get them inside
``nn_utils`` (as ``nn_utils/assignment``, re-exported by the engine's ``__init__``), so a test
cell calls ``nn_utils.check_affine(affine)`` as in the original homework; the grader's
kernels import the same bundle; and the grader's own process, which runs the test cells,
loads the checks from the files it shipped, never from the kernel's folder.

Every bundle is named by a hash of its content, recorded with the grades, so anyone can
tell which checks graded a submission.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import sys
import tempfile
import types
import zipfile
from pathlib import Path

import nn_utils

from autograder.course import Course

ENGINE = Path(nn_utils.__file__).resolve().parent
CHECKS = "checks"  # source/<assignment>/checks
# ... which a bundle holds as nn_utils/assignment (nbgrader's ignore list drops "checks"
# folders wherever they are, so the bundled one must have another name).
BUNDLED = "assignment"
STAMP = "nn_utils/BUNDLE"  # "<assignment> <hash>": which bundle a student has


def _tree(folder: Path, prefix: str) -> dict[str, bytes]:
    """``prefix``/relative path -> bytes of every file below ``folder``, compiled
    Python left out."""
    return {f"{prefix}/{p.relative_to(folder).as_posix()}": p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()
            and "__pycache__" not in p.parts and p.suffix != ".pyc"}


def write_files(files: dict[str, bytes], folder: Path) -> None:
    """Write each relative path -> bytes of ``files`` below ``folder``."""
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def checks_folder(course: Course, assignment: str) -> Path | None:
    """``source/<assignment>/checks``, or None for an assignment without checks of its own."""
    folder = course.source / assignment / CHECKS
    return folder if (folder / "__init__.py").is_file() else None


def content_hash(files: dict[str, bytes]) -> str:
    """12 hex digits of SHA-256 over the bundle's paths and bytes (its stamp left out)."""
    digest = hashlib.sha256()
    for name in sorted(files):
        if name != STAMP:
            digest.update(name.encode() + b"\0" + len(files[name]).to_bytes(8, "big"))
            digest.update(files[name])
    return digest.hexdigest()[:12]


def package_files(course: Course, assignment: str) -> dict[str, bytes]:
    """The assignment's nn_utils, relative path -> bytes: the engine, the checks as
    nn_utils/assignment, and the stamp naming both."""
    files = {name: data for name, data in _tree(ENGINE, "nn_utils").items()
             if not name.startswith(f"nn_utils/{BUNDLED}/")}
    folder = checks_folder(course, assignment)
    if folder is not None:
        files.update(_tree(folder, f"nn_utils/{BUNDLED}"))
    files[STAMP] = f"{assignment} {content_hash(files)}\n".encode()
    return files


def stamp_of(files: dict[str, bytes]) -> str:
    """The hash a bundle's stamp names ("" without one)."""
    text = files.get(STAMP, b"").decode(errors="replace").split()
    return text[1] if len(text) == 2 else ""


def write_package(files: dict[str, bytes], folder: Path) -> Path:
    """Write ``files`` into ``folder`` (replacing any nn_utils there); return folder/nn_utils."""
    target = folder / "nn_utils"
    if target.exists():
        shutil.rmtree(target)
    write_files(files, folder)
    return target


# What a student's Python needs for every notebook, the data downloads and the PDF export:
# the bundle's requirements.txt. Pins as in pyproject.toml (tests/test_packaging.py checks).
STUDENT_REQUIREMENTS = ("numpy", "scipy", "matplotlib", "scikit-learn", "pooch", "jupyter",
                        "pypandoc-binary==1.17", "typst==0.14.9")


def student_zip(course: Course, assignment: str, out_dir: Path) -> Path:
    """``out_dir/<assignment>-<hash>.zip``: the released notebooks, the assignment's
    nn_utils and a requirements.txt (``pip install -r requirements.txt``) in a folder
    named after the assignment: all a student needs."""
    files = package_files(course, assignment)
    notebooks = sorted((course.release / assignment).glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"release/{assignment} has no notebooks: release it first")
    for old in out_dir.glob(f"{assignment}-*.zip"):
        old.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{assignment}-{stamp_of(files)}.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in notebooks:
            archive.writestr(f"{assignment}/{path.name}", path.read_bytes())
        for name, data in sorted(files.items()):
            archive.writestr(f"{assignment}/{name}", data)
        archive.writestr(f"{assignment}/requirements.txt",
                         "# pip install -r requirements.txt  (no root needed)\n"
                         + "\n".join(STUDENT_REQUIREMENTS) + "\n")
    return target


_LOADED: dict[str, types.ModuleType] = {}  # hash -> the checks package loaded from it


def load_checks(files: dict[str, bytes]) -> types.ModuleType | None:
    """The checks package among a bundle's ``files``, imported in this process under a
    name of its own (nn_utils.assignment_<hash>), or None when the bundle has none. The
    grader calls this with the files it ships, before any kernel runs, so no student
    code can have changed them."""
    prefix = f"nn_utils/{BUNDLED}/"
    checks = {name[len(prefix):]: data for name, data in files.items() if name.startswith(prefix)}
    if "__init__.py" not in checks:
        return None
    key = content_hash({prefix + name: data for name, data in checks.items()})
    if key not in _LOADED:
        folder = Path(tempfile.mkdtemp(prefix=f"nn-checks-{key}-"))
        write_files(checks, folder)
        _LOADED[key] = _import_package(f"nn_utils.{BUNDLED}_{key}", folder)
    return _LOADED[key]


def _import_package(name: str, folder: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(
        name, folder / "__init__.py", submodule_search_locations=[str(folder)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its modules import each other by relative imports
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def kit_module(checks: types.ModuleType | None) -> types.ModuleType:
    """nn_utils as a notebook of the assignment sees it: the engine's names with the
    checks' (a module of its own; the kit's nn_utils is left as it is)."""
    if checks is None:
        return nn_utils
    kit = types.ModuleType("nn_utils", nn_utils.__doc__)
    kit.__dict__.update({k: v for k, v in vars(nn_utils).items() if not k.startswith("__")})
    kit.__dict__.update({name: getattr(checks, name) for name in checks.__all__})
    kit.__all__ = [*nn_utils.__all__, *checks.__all__]
    kit.__path__, kit.__file__ = nn_utils.__path__, nn_utils.__file__
    kit.assignment = checks
    nn_utils.integrity.lock(kit, {name: getattr(checks, name) for name in checks.__all__})
    return kit


def kit_for(course: Course, assignment: str) -> types.ModuleType:
    """``kit_module`` of the assignment's checks as they are in the course's source/."""
    return kit_module(load_checks(package_files(course, assignment)))
