"""Every pair of documents, scored by shared fingerprints (copydetect's winnowing, as MOSS).

copydetect tokenizes Python with Pygments and writes every name as one letter and drops
comments and white space, so renamed variables and functions, comments, blank lines and
formatting change nothing; it hashes each run of ``noise`` symbols of that text, keeps a
guaranteed sample of the hashes (winnowing) and compares the sets, so reordered functions
and methods still share theirs. Hashes the handout also has are dropped before anything
is compared, so nobody matches on it.

A pair's score is the mean of its two shares: the part of each side's fingerprinted code
that the other side has too (0 to 1).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from copydetect import CodeFingerprint, compare_files
from copydetect.utils import filter_code, get_token_coverage, winnow

from autograder.similarity.documents import Corpus, Document
from autograder.similarity.settings import Settings

@dataclass
class Pair:
    """Two documents and how much of each the other shares."""

    first: Document
    second: Document
    shares: tuple[float, float]  # of first's code found in second, and the other way
    symbols: int  # symbols of first inside shared runs

    @property
    def score(self) -> float:
        return float(np.mean(self.shares))


def kgram_hashes(text: str, k: int) -> np.ndarray:
    """A hash of every ``k`` characters long substring of ``text``, the same in every process.

    copydetect hashes with Python's ``hash``, which is salted per process, so a pair's score
    moved by a few hundredths from one run to the next; this is a polynomial hash of the
    characters' code points instead (arithmetic modulo 2**64)."""
    # surrogatepass: a lone surrogate (valid in a notebook's JSON) is a code point like any
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"),
                          dtype=np.uint32).astype(np.uint64)
    count = len(codes) - k + 1
    if count <= 0:
        return np.array([], dtype=np.int64)
    hashes = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(k):
            hashes = hashes * np.uint64(1_000_003) + codes[offset:offset + count]
    return hashes.view(np.int64)


JOIN = "\n\n"  # between cells in the text a fingerprint is shown with


class Fingerprint(CodeFingerprint):
    """copydetect's fingerprint of Python cells (what ``compare_files`` reads), hashed with
    ``kgram_hashes``, each cell winnowed on its own so that no hash spans two cells; the
    hashes ``boilerplate`` holds are left out. ``raw_code`` is the cells joined by JOIN."""

    def __init__(self, cells: list[str], k: int, window: int, boilerplate=None):  # noqa: D107
        code = JOIN.join(cells)
        filtered, offsets = filter_code(code, "code.py", "python")
        every = kgram_hashes(filtered, k)
        hashes, where = [], []
        for start, end in _cell_spans(cells, filtered):
            if end - start >= k:
                chosen, at = winnow(every[start:end - k + 1], window, remove_duplicates=False)
                hashes.append(chosen)
                where.append(at + start)
        hashes = np.concatenate(hashes) if hashes else np.array([], dtype=np.int64)
        where = np.concatenate(where) if where else np.array([], dtype=np.int64)
        if boilerplate is not None and len(boilerplate):
            keep = ~np.isin(hashes, boilerplate)
            hashes, where = hashes[keep], where[keep]
        self.hash_idx: dict = {}
        for value, index in zip(hashes.tolist(), where.tolist()):
            self.hash_idx.setdefault(value, []).append(index)
        self.filename, self.raw_code, self.filtered_code = "code.py", code, filtered
        self.offsets, self.k, self.hashes = offsets, k, set(self.hash_idx)
        self.token_coverage = get_token_coverage(self.hash_idx, k, len(filtered))


def _cell_spans(cells: list[str], filtered: str) -> list[tuple[int, int]]:
    """Where each cell lies in the filtered text of the joined cells. The filter drops the
    blank lines that join them, so each cell's own filtered text follows the last one's; if
    a cell's tokens run into the next (an unclosed bracket), the cells count as one."""
    pieces = [filter_code(cell, "code.py", "python")[0] for cell in cells]
    if "".join(pieces) != filtered:
        return [(0, len(filtered))]
    ends = np.cumsum([len(piece) for piece in pieces]).tolist()
    return list(zip([0, *ends[:-1]], ends))


def fingerprint(cells: list[str], settings: Settings, boilerplate=None,
                window: int | None = None) -> Fingerprint:
    """The fingerprint of Python ``cells``, without the ``boilerplate`` hashes."""
    return Fingerprint(cells, settings.noise, window or settings.window, boilerplate)


def handout_hashes(handout: list[str], settings: Settings) -> np.ndarray:
    """Every hash of the handout's cells (no winnowing: a student's sample may pick any), of
    each cell and of the cells run together in order, as a student pasting several of them
    into one cell has them."""
    if not any(cell.strip() for cell in handout):
        return np.array([], dtype=np.int64)
    apart = fingerprint(handout, settings, window=1).hashes
    together = fingerprint([JOIN.join(handout)], settings, window=1).hashes
    return np.array(sorted(apart | together), dtype=np.int64)


def compare(first: Fingerprint, second: Fingerprint) -> tuple:
    """(symbols, (share of first, share of second), (first's slices, second's slices))."""
    symbols, shares, slices = compare_files(first, second)
    return int(symbols), (float(shares[0]), float(shares[1])), slices


class Fingerprinter:
    """Fingerprints of cells without the handout's hashes, each made once per run (a pair's
    page needs its documents' parts again)."""

    def __init__(self, handout: list[str], settings: Settings = Settings()):
        self.settings = settings
        self.boilerplate = handout_hashes(handout, settings)
        self._made: dict[tuple, Fingerprint] = {}

    def __call__(self, cells: list[str]) -> Fingerprint:
        key = tuple(cells)
        if key not in self._made:
            self._made[key] = fingerprint(cells, self.settings, self.boilerplate)
        return self._made[key]


def score_pairs(corpus: Corpus, fingerprinter: Fingerprinter,
                against: Corpus | None = None) -> list[Pair]:
    """Every pair of the corpus's submissions, and each submission with each known
    solution of ``against``; ranked by score, highest first."""
    known = against.documents if against else []
    candidates = itertools.chain(itertools.combinations(corpus.documents, 2),
                                 itertools.product(corpus.documents, known))
    pairs = []
    for first, second in candidates:
        symbols, shares, _ = compare(fingerprinter(first.cells), fingerprinter(second.cells))
        pairs.append(Pair(first, second, shares, symbols))
    pairs.sort(key=lambda p: (-p.score, p.first.name, p.second.name))
    return pairs


@dataclass
class PartMatch:
    """One task of a pair: both sides' code with the shared stretches marked."""

    label: str
    first_code: str
    second_code: str
    first_slices: np.ndarray  # 2 x M: starts and ends of shared stretches in first_code
    second_slices: np.ndarray
    shares: tuple[float, float]


def part_matches(pair: Pair, fingerprinter: Fingerprinter) -> list[PartMatch]:
    """Per task of the pair's first document: its code beside the second's code for the same
    task (or the whole second document, if that has no such task: a known solution's file),
    the shared stretches marked."""
    matches = []
    for label, code in pair.first.parts.items():  # code: the part's cells
        other = pair.second.parts.get(label, pair.second.cells)
        first, second = fingerprinter(code), fingerprinter(other)
        _, shares, slices = compare(first, second)
        matches.append(PartMatch(label, first.raw_code, second.raw_code,
                                 np.asarray(slices[0]), np.asarray(slices[1]), shares))
    return matches
