"""Wall time of each reference (source) notebook executed end to end by a real kernel.

    ./kit bench reference_notebooks [ASSIGNMENT ...]

Runs with the same environment as grading (one BLAS thread, Agg plots) and prints the
seconds each notebook took, and whether every cell ran without an error.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from autograder.course import KIT_ROOT, Course


def run(path: Path) -> tuple[float, list[str]]:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    errors = [f"{cell.get('id')}: {out.ename}" for cell in notebook.cells
              if cell.cell_type == "code" for out in cell.outputs if out.output_type == "error"]
    return elapsed, errors


def main(argv: list[str]) -> int:
    assignments = argv or Course().assignments()
    print(f"{'notebook':<44}{'seconds':>9}  errors")
    failed = False
    for assignment in assignments:
        for path in sorted((KIT_ROOT / "source" / assignment).glob("*.ipynb")):
            elapsed, errors = run(path)
            failed |= bool(errors)
            print(f"{str(path.relative_to(KIT_ROOT)):<44}{elapsed:>9.1f}  {', '.join(errors) or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
