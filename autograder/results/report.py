"""The instructor's summary of a graded assignment: ``reports/<assignment>/report.html``.

Per autograded question: the mean score, the share of students with full marks, and the
most common failure message (the first line of the error the cell showed, read from the
autograded notebooks); and a histogram of the students' autograded totals, as a PNG
beside the page; and every problem grading flagged (grading.json). Built from the
gradebook (ScoreTable), autograded/ and grading.json.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from pathlib import Path

import nbformat

from autograder.course import Course
from autograder.scoring.scores import ScoreTable, read_scores


def failure_messages(course: Course, assignment: str) -> dict[str, Counter]:
    """grade_id -> Counter of the first lines of the errors its cell showed, over students."""
    found: dict[str, Counter] = {}
    for path in sorted(course.autograded.glob(f"*/{assignment}/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            for output in cell.get("outputs", []) if grade_id else []:
                if output.get("output_type") == "error":
                    first = (str(output.get("evalue", "")).strip().splitlines() or [""])[0]
                    found.setdefault(grade_id, Counter())[f"{output.get('ename')}: {first}"[:160]] += 1
    return found


def question_rows(table: ScoreTable, failures: dict[str, Counter]) -> list[dict]:
    """One row per autograded cell: mean, share of full marks, most common failure."""
    rows = []
    for grade_id in table.grade_ids:
        if grade_id not in table.autograded:
            continue
        cells = [table.cells[s][grade_id] for s in table.students if grade_id in table.cells[s]]
        if not cells or cells[0].max_score == 0:
            continue
        common = failures.get(grade_id, Counter()).most_common(1)
        rows.append({"question": grade_id, "max": cells[0].max_score,
                     "mean": sum(c.score for c in cells) / len(cells),
                     "full": sum(c.score >= c.max_score for c in cells) / len(cells),
                     "failure": f"{common[0][0]} ({common[0][1]}x)" if common else ""})
    return rows


def plot_totals(table: ScoreTable, path: Path) -> Path:
    """A histogram of the totals graded so far (manual points count once graded), as PNG."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    totals = [table.graded_total(s)[0] for s in table.students]
    top = max((table.graded_total(s)[1] for s in table.students), default=1) or 1
    figure, axis = plt.subplots(figsize=(6, 3.2))
    axis.hist(totals, bins=min(20, max(5, len(totals))), range=(0, top), color="#4477aa")
    axis.set_xlabel(f"points graded so far (of {top:g})")
    axis.set_ylabel("students")
    axis.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    axis.set_title(f"{table.assignment}: {len(totals)} submissions")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def grading_record(course: Course, assignment: str) -> dict:
    """reports/<assignment>/grading.json as a dict (empty before any grading)."""
    path = course.root / "reports" / assignment / "grading.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def flagged_rows(record: dict) -> list[dict]:
    """Every problem grading flagged (``record``: grading.json), by student."""
    return [{"student": entry["student"], **flag}
            for entry in record.get("submissions", [])
            for flag in entry.get("flags", [])]


def write_report(course: Course, assignment: str) -> Path:
    """Write ``reports/<assignment>/report.html`` and its PNG; return the page's path."""
    table = read_scores(course, assignment)
    folder = course.root / "reports" / assignment
    folder.mkdir(parents=True, exist_ok=True)
    plot = plot_totals(table, folder / "score_distribution.png")
    rows = question_rows(table, failure_messages(course, assignment))
    record = grading_record(course, assignment)
    body = "\n".join(
        f"<tr><td>{html.escape(r['question'])}</td><td>{r['max']:g}</td>"
        f"<td>{r['mean']:.2f}</td><td>{100 * r['full']:.0f}%</td>"
        f"<td>{html.escape(r['failure'])}</td></tr>" for r in rows)
    flags = "\n".join(
        f"<tr><td>{html.escape(f['student'])}</td><td>{html.escape(f['notebook'])}</td>"
        f"<td>{html.escape(f['status'])}</td><td>{html.escape(f['reason'])}</td></tr>"
        for f in flagged_rows(record))
    flagged = (f"""<h2>Flagged by grading</h2>
<p>What the sandbox stopped, what the kernel's watch saw and which of the assignment's
cells were edited (grading.json has it all).</p>
<table><tr><th>student</th><th>notebook</th><th>flag</th><th>reason</th></tr>
{flags}
</table>""" if flags else "<p>Grading flagged nothing.</p>")
    similarity = ('<p><a href="similarity.html">Similarity report</a>: pairs of submissions '
                  'that share code beyond the handout (it changes no grade).</p>'
                  if (folder / "similarity.html").is_file() else "")
    ran = record.get("sandbox", "")  # how the kernels ran: in which sandbox, or WITHOUT one
    unsandboxed = (f'<p class="warning"><strong>Graded {html.escape(ran)}.</strong> Nothing '
                   f"kept the code graded here from the grader's files or network.</p>"
                   if ran.startswith("WITHOUT") else
                   f"<p>The students' code ran in a {html.escape(ran)}.</p>" if ran else "")
    page = folder / "report.html"
    page.write_text(f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(assignment)}: grading report</title>
<style>body {{ font-family: sans-serif; }} td, th {{ padding: 2px 8px; text-align: left; }}
tr:nth-child(even) {{ background: #f2f2f2; }}
.warning {{ background: #fde2e1; border-left: 4px solid #c62828; padding: 6px 10px; }}
</style></head><body>
<h1>{html.escape(assignment)}</h1>
{unsandboxed}
<p>{len(table.students)} submissions; grades.csv has the totals, task_scores.csv the
points per student and task.</p>
<img src="{plot.name}" alt="distribution of the autograded totals">
<table><tr><th>question</th><th>points</th><th>mean</th><th>full marks</th>
<th>most common failure</th></tr>
{body}
</table>
{flagged}
{similarity}
</body></html>
""", encoding="utf-8")
    return page
