"""Seconds for ``./kit similarity`` on a class, and the planted set's margins.

    ./kit bench similarity_speed [--n 300] [--assignment two_layer_mnist] [--seed 0]

Writes N submissions of the assignment into a scratch course's submitted/ and times
``find_similar`` on them, step by step: reading the notebooks, fingerprinting, comparing
every pair, writing the pages. Each submission is made cell by cell from the code the
tests hold (tests/planted_similarity.py): per solution cell, the reference, a correct
alternative or the release left as it is, the reference sometimes with one of the
assignment's mutants, and most cells disguised with names of the student's own. So the
class is many variations of a few sources: far more pairs in common than a real class has,
which makes comparing slower, not faster.

Then, for every assignment's planted set (the test's): the lowest score of a planted copy
pair and the highest of an independent pair.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import nbformat  # noqa: E402
from planted_similarity import (ASSIGNMENTS, disguise, independent, planted,  # noqa: E402
                                reference)

from autograder.authoring import fill_solutions  # noqa: E402
from autograder.course import KIT_ROOT, Course  # noqa: E402
from autograder.similarity.compare import Fingerprinter, score_pairs  # noqa: E402
from autograder.similarity.documents import (Corpus, handout_code,  # noqa: E402
                                             submission_documents)
from autograder.similarity.report import write_pages  # noqa: E402
from autograder.similarity.settings import Settings  # noqa: E402


def make_class(assignment: str, n: int, seed: int) -> dict[str, dict[str, str]]:
    """{student: {grade_id: code}} for n students (see the module docstring)."""
    rng = random.Random(seed)
    sources = independent(assignment)
    mutants = __import__(f"{assignment}_variants").MUTANTS
    base = reference(assignment)
    students = {}
    for number in range(n):
        answers = {}
        for grade_id in base:
            choices = [s for s in sources.values() if grade_id in s]
            if rng.random() < 0.1:
                continue  # left as released
            code = rng.choice(choices)[grade_id]
            fitting = [m for m in mutants if m.grade_id == grade_id
                       and getattr(m, "old", "") and base[grade_id].count(m.old) == 1]
            if code is base[grade_id] and fitting and rng.random() < 0.3:
                code = rng.choice(fitting).apply(base)[grade_id]
            if rng.random() < 0.7:
                try:
                    code = disguise(code, f"s{number}")
                except SyntaxError:
                    pass  # a fragment (an indented method body) stays as it is
            answers[grade_id] = code
        students[f"student{number:04d}"] = answers
    return students


def write_class(root: Path, assignment: str, students: dict) -> None:
    for folder in ("source", "release"):
        shutil.copytree(KIT_ROOT / folder / assignment, root / folder / assignment)
    released = {path.name: nbformat.read(path, as_version=4)
                for path in sorted((root / "release" / assignment).glob("*.ipynb"))}
    for student, answers in students.items():
        folder = root / "submitted" / student / assignment
        folder.mkdir(parents=True)
        for name, notebook in released.items():
            ids = {c.metadata.get("nbgrader", {}).get("grade_id") for c in notebook.cells}
            nbformat.write(fill_solutions(notebook, {g: a for g, a in answers.items()
                                                     if g in ids}), folder / name)


def time_class(n: int, assignment: str, seed: int) -> None:
    settings = Settings()
    with tempfile.TemporaryDirectory(prefix="similarity-bench-") as scratch:
        root = Path(scratch) / "course"
        write_class(root, assignment, make_class(assignment, n, seed))
        course = Course(root)
        started = time.perf_counter()
        corpus = submission_documents(course, assignment)
        read = time.perf_counter()
        fingerprinter = Fingerprinter(corpus.handout, settings)
        for document in corpus.documents:
            fingerprinter(document.cells)
        printed = time.perf_counter()
        pairs = score_pairs(corpus, fingerprinter)
        scored = time.perf_counter()
        write_pages(root / "reports" / assignment, assignment, corpus, pairs, fingerprinter,
                    scored - read)
        written = time.perf_counter()
        over = sum(p.score >= settings.threshold for p in pairs)
        pages = len(list((root / "reports" / assignment / "similarity").glob("*.html")))
        print(f"{assignment}, {len(corpus.documents)} submissions, {len(pairs)} pairs "
              f"({over} at or over {settings.threshold:g}; {pages} pair pages written)")
        print(f"  read the notebooks      {read - started:7.2f} s")
        print(f"  fingerprint             {printed - read:7.2f} s")
        print(f"  compare every pair      {scored - printed:7.2f} s "
              f"({1e6 * (scored - printed) / max(len(pairs), 1):.0f} us per pair)")
        print(f"  write the pages         {written - scored:7.2f} s")
        print(f"  total                   {written - started:7.2f} s")


def planted_margins() -> None:
    print("planted sets: lowest copy pair, highest independent pair (threshold "
          f"{Settings().threshold:g})")
    for assignment in ASSIGNMENTS:
        documents, copies = planted(assignment)
        pairs = score_pairs(Corpus(documents, []),
                            Fingerprinter(handout_code(Course(), assignment)))
        copied = [p.score for p in pairs if frozenset({p.first.name, p.second.name}) in copies]
        others = [p.score for p in pairs
                  if frozenset({p.first.name, p.second.name}) not in copies]
        print(f"  {assignment:16s} {len(documents)} documents, {len(copied)} copy pairs: "
              f"lowest copy {min(copied):.3f}, highest independent {max(others):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--assignment", default="two_layer_mnist")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    time_class(args.n, args.assignment, args.seed)
    planted_margins()


if __name__ == "__main__":
    main()
