"""The similarity verb: documents in, ranked pairs and pages out."""

from __future__ import annotations

import time
from pathlib import Path

from autograder.course import Course
from autograder.similarity.compare import Fingerprinter, score_pairs
from autograder.similarity.documents import reference_documents, submission_documents
from autograder.similarity.report import write_pages
from autograder.similarity.settings import Settings


def find_similar(course: Course, assignment: str, against: Path | None = None,
                 settings: Settings = Settings()) -> Path:
    """Compare the submissions of ``assignment`` (and each with the known solutions in
    ``against``); write reports/<assignment>/similarity.html and .csv; return the page."""
    if not 0 <= settings.threshold <= 1:
        raise ValueError(f"the threshold is a share between 0 and 1, not {settings.threshold}")
    corpus = submission_documents(course, assignment)
    if not corpus.documents:
        raise FileNotFoundError(f"no submissions of {assignment} in {course.submitted}: "
                                f"collect them first (./kit collect {assignment} PATH)")
    known = reference_documents(course, assignment, against, corpus.handout) if against else None
    started = time.perf_counter()
    fingerprinter = Fingerprinter(corpus.handout, settings)
    pairs = score_pairs(corpus, fingerprinter, known)
    return write_pages(course.root / "reports" / assignment, assignment, corpus, pairs,
                       fingerprinter, time.perf_counter() - started, known)
