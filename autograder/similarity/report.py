"""The similarity pages: ``reports/<assignment>/similarity.html`` (pairs ranked),
``similarity/pair-NNNN.html`` (one pair, task by task, side by side) and ``similarity.csv``
(every pair compared)."""

from __future__ import annotations

import csv
import html
import shutil
from pathlib import Path

import numpy as np

from autograder.similarity.compare import Fingerprinter, Pair, PartMatch, part_matches
from autograder.similarity.documents import Corpus

STYLE = """body { font-family: sans-serif; margin: 1em 2em; }
td, th { padding: 2px 8px; text-align: left; vertical-align: top; }
tr:nth-child(even) { background: #f2f2f2; }
tr.over td { font-weight: bold; }
.note { background: #fff4d6; border-left: 4px solid #e0a800; padding: 6px 10px; }
.sides { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
pre { background: #fafafa; border: 1px solid #ddd; padding: 6px; overflow-x: auto;
      font-size: 12px; white-space: pre-wrap; }
mark { background: #ffd27f; }"""

NOTICE = ("This report never changes a grade. A high score says two submissions share "
          "code beyond the handout; it does not say why. It points a person at pairs to "
          "read side by side before anything is decided.")
BELOW_SHOWN = 10  # pairs under the threshold listed on the page, for context
MOST_PAGES = 100  # side-by-side pages written, the highest scores first


def _page(title: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{STYLE}</style></head><body>
{body}
</body></html>
"""


def marked(code: str, slices: np.ndarray) -> str:
    """``code`` as HTML with each shared stretch (slices: 2 x M starts and ends) in <mark>."""
    if slices.size == 0:
        return html.escape(code)
    out, at = [], 0
    for start, end in sorted(zip(slices[0].tolist(), slices[1].tolist())):
        start, end = max(start, at), min(end, len(code))
        if start >= end:
            continue
        out += [html.escape(code[at:start]), "<mark>", html.escape(code[start:end]), "</mark>"]
        at = end
    out.append(html.escape(code[at:]))
    return "".join(out)


def _part_section(pair: Pair, part: PartMatch) -> str:
    first, second = html.escape(pair.first.name), html.escape(pair.second.name)
    return f"""<h2>{html.escape(part.label)}</h2>
<p>{100 * part.shares[0]:.0f}% of {first}'s code here is shared;
{100 * part.shares[1]:.0f}% of {second}'s.</p>
<div class="sides">
<div><h3>{first}</h3><pre>{marked(part.first_code, part.first_slices)}</pre></div>
<div><h3>{second}</h3><pre>{marked(part.second_code, part.second_slices)}</pre></div>
</div>"""


def pair_page(assignment: str, rank: int, pair: Pair, fingerprinter: Fingerprinter) -> str:
    """One pair, task by task, the shared stretches marked on both sides."""
    settings = fingerprinter.settings
    parts = sorted(part_matches(pair, fingerprinter), key=lambda p: -max(p.shares))
    sections = "\n".join(_part_section(pair, part) for part in parts)
    title = f"{assignment}: {pair.first.name} and {pair.second.name}"
    return _page(title, f"""<p><a href="../similarity.html">all pairs</a></p>
<h1>{html.escape(title)}</h1>
<p class="note">{html.escape(NOTICE)}</p>
<p>Pair {rank}: score {pair.score:.2f}. Marked: stretches of at least {settings.noise} symbols
of code both sides have (names, comments and layout set aside; the handout's code never
counts).
Tasks with the most in common come first.</p>
{sections}""")


def write_csv(pairs: list[Pair], path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8", errors="backslashreplace") as out:
        writer = csv.writer(out)
        writer.writerow(["rank", "first", "second", "score", "share_of_first",
                         "share_of_second", "shared_symbols", "second_is_known_solution"])
        for rank, pair in enumerate(pairs, 1):
            writer.writerow([rank, pair.first.name, pair.second.name, f"{pair.score:.4f}",
                             f"{pair.shares[0]:.4f}", f"{pair.shares[1]:.4f}", pair.symbols,
                             "yes" if pair.second.kind == "reference" else "no"])
    return path


def write_pages(folder: Path, assignment: str, corpus: Corpus, pairs: list[Pair],
                fingerprinter: Fingerprinter, seconds: float,
                against: Corpus | None = None) -> Path:
    """Write similarity.html, similarity.csv and a page per pair at or over the threshold
    (the MOST_PAGES highest) into ``folder``; return the main page's path."""
    settings = fingerprinter.settings
    folder.mkdir(parents=True, exist_ok=True)
    pages = folder / "similarity"
    if pages.exists():
        shutil.rmtree(pages)  # pages of an earlier run name pairs that may be gone
    pages.mkdir()
    write_csv(pairs, folder / "similarity.csv")
    over = [pair for pair in pairs if pair.score >= settings.threshold]
    paged = min(len(over), MOST_PAGES)
    shown = over[:MOST_PAGES] + pairs[len(over):len(over) + BELOW_SHOWN]
    rows = []
    for rank, pair in enumerate(shown, 1):
        link = html.escape(f"{pair.first.name} and {pair.second.name}")
        if rank <= paged:
            name = f"pair-{rank:04d}.html"
            (pages / name).write_text(pair_page(assignment, rank, pair, fingerprinter),
                                      encoding="utf-8", errors="backslashreplace")
            link = f'<a href="similarity/{name}">{link}</a>'
        number = rank if rank <= paged else len(over) + rank - paged
        rows.append(f'<tr class="{"over" if rank <= paged else ""}"><td>{number}</td>'
                    f"<td>{link}</td><td>{pair.score:.2f}</td><td>{100 * pair.shares[0]:.0f}%</td>"
                    f"<td>{100 * pair.shares[1]:.0f}%</td><td>{pair.symbols}</td></tr>")
    known = len(against.documents) if against else 0
    unreadable = corpus.unreadable + (against.unreadable if against else [])
    skipped = ("<h2>Not compared</h2><ul>" + "".join(
        f"<li>{html.escape(where)}: {html.escape(why)}</li>" for where, why in unreadable)
        + "</ul>") if unreadable else ""
    back = ('<p><a href="report.html">grading report</a></p>'
            if (folder / "report.html").is_file() else "")
    page = folder / "similarity.html"
    page.write_text(_page(f"{assignment}: similarity", f"""{back}
<h1>{html.escape(assignment)}: code shared between submissions</h1>
<p class="note">{html.escape(NOTICE)}</p>
<p>{len(corpus.documents)} submissions{f" and {known} known solutions" if known else ""};
{len(pairs)} pairs compared in {seconds:.1f} s. {len(over)} pairs score at least
{settings.threshold:g} (the threshold; <code>--threshold</code> changes it){
f"; the {MOST_PAGES} highest have a page side by side, similarity.csv lists the rest"
if len(over) > MOST_PAGES else ""}.
A pair's score is the mean of two shares: how much of each side's code the other has too,
counted in stretches of at least {settings.noise} symbols of code (a name counts as one symbol;
names, comments and layout are set aside) once the handout's code is removed.
similarity.csv lists every pair.</p>
<table><tr><th>rank</th><th>pair</th><th>score</th><th>share of first</th>
<th>share of second</th><th>shared symbols</th></tr>
{chr(10).join(rows)}
</table>
{skipped}"""), encoding="utf-8", errors="backslashreplace")
    return page
