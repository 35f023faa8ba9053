"""Seconds per PDF by the students' default route (pandoc + typst, no browser).

    ./kit bench pdf_export [--repeat N]

For each released notebook, with the reference solutions filled in as a student who got
everything right would hand it in, it prints the best of N wall times of ``export_pdf``
(reading the notebook, pandoc, Typst, writing the PDF), the page count and the size.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import nbformat

from autograder.authoring import fill_solutions, reference_answers
from autograder.course import KIT_ROOT
from nn_utils.export_pdf import export_pdf


def solved_copy(released: Path, folder: Path) -> Path:
    """``released`` with the reference solutions of its source notebook, written to folder."""
    source = nbformat.read(KIT_ROOT / "source" / released.parent.name / released.name, 4)
    solved = fill_solutions(nbformat.read(released, 4), reference_answers(source))
    path = folder / released.name
    nbformat.write(solved, path)
    return path


def best_time(path: Path, repeat: int) -> tuple[float, Path]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        pdf = export_pdf(path, path.with_suffix(".pdf"), name="Benchmark")
        times.append(time.perf_counter() - start)
    return min(times), pdf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import pypdfium2

    print(f"{'notebook':40} {'seconds':>8} {'pages':>6} {'KiB':>6}")
    with tempfile.TemporaryDirectory(prefix="pdf_export_bench_") as work:
        for released in sorted((KIT_ROOT / "release").glob("*/*.ipynb")):
            seconds, pdf = best_time(solved_copy(released, Path(work)), args.repeat)
            pages = len(pypdfium2.PdfDocument(pdf))
            name = f"{released.parent.name}/{released.name}"
            print(f"{name:40} {seconds:8.2f} {pages:6d} {pdf.stat().st_size // 1024:6d}")


if __name__ == "__main__":
    main()
