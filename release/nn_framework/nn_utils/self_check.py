"""Run a notebook from a clean kernel and say which checks fail; exit non-zero if any does.

    python -m nn_utils.self_check NOTEBOOK.ipynb [--timeout SECONDS]

What *Kernel -> Restart & Run All* shows, as a command with an exit status a script can
trust (``nbgrader validate`` exits 0 even when tests fail). Every check cell is judged as
the grader judges it: an error, or anything written to stderr, fails it. The notebook
file is not changed. Hidden tests are not in your copy of the notebook, so passing here
is necessary, not sufficient.

Exit status: 0 every check passes; 1 a check fails or a task is not done; 2 the notebook
could not be read or run.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class CellVerdict:
    grade_id: str
    points: float
    problem: str  # "" when the cell passed
    hidden: bool  # only comments here: the release stripped its hidden tests


def _only_comments(source: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in source.splitlines())


def _problem(cell) -> str:
    """Why the grader would score this executed cell 0, or ""."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            message = str(output.get("evalue", "")).strip()
            return f"{output.get('ename')}: {message}" if message else str(output.get("ename"))
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            return ("wrote to stderr, which the grader scores 0: "
                    + output.get("text", "").strip()[:200])
    return ""


def check_notebook(path: Path, timeout: int = 600) -> list[CellVerdict]:
    """Execute a copy of the notebook in its own folder; return a verdict per check cell."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, allow_errors=True,
                            kernel_name=notebook.metadata.get("kernelspec", {}).get("name", "python3"),
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    verdicts = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        verdicts.append(CellVerdict(meta.get("grade_id", "?"), float(meta.get("points", 0)),
                                    _problem(cell), _only_comments(cell.source)))
    return verdicts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nn_utils.self_check",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    try:
        verdicts = check_notebook(args.notebook, args.timeout)
    except Exception as error:  # unreadable file, kernel that would not start, ...
        print(f"self_check: cannot run {args.notebook}: {type(error).__name__}: {error}",
              file=sys.stderr)
        return 2
    visible = [v for v in verdicts if not v.hidden]
    failed = [v for v in visible if v.problem]
    for verdict in verdicts:
        if verdict.hidden:
            print(f"  -  {verdict.grade_id} ({verdict.points:g} points): hidden tests, run at grading")
            continue
        mark = "FAIL" if verdict.problem else "ok  "
        print(f"{mark} {verdict.grade_id} ({verdict.points:g} points)"
              + (f": {verdict.problem}" if verdict.problem else ""))
    earned = sum(v.points for v in visible if not v.problem)
    print(f"{len(visible) - len(failed)} of {len(visible)} checks pass "
          f"({earned:g} of {sum(v.points for v in visible):g} points of visible checks)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
