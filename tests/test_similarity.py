"""The similarity report ranks disguised copies above independent work, ignores the
handout, reads what the intake reads, and writes pages a person can read."""

import csv
import shutil
import subprocess
import sys

import nbformat
import numpy as np
import pytest

from planted_similarity import ASSIGNMENTS, disguise, planted, planted_answers, reference
from autograder.authoring import fill_solutions
from autograder.course import KIT_ROOT, Course
from autograder.similarity.compare import Fingerprinter, kgram_hashes, score_pairs
from autograder.similarity.documents import (ADDED, Corpus, Document, handout_code,
                                             notebook_parts)
from autograder.similarity.settings import Settings

SETTINGS = Settings()


def _pair_names(pair) -> frozenset:
    return frozenset({pair.first.name, pair.second.name})


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_planted_copy_ranks_above_every_independent_pair(assignment):
    documents, copies = planted(assignment)
    pairs = score_pairs(Corpus(documents, []), Fingerprinter(handout_code(Course(), assignment)))
    copied = [p for p in pairs if _pair_names(p) in copies]
    independent = [p for p in pairs if _pair_names(p) not in copies]
    assert len(copied) == len(copies) and independent
    lowest_copy = min(p.score for p in copied)
    highest_independent = max(p.score for p in independent)
    assert lowest_copy > highest_independent, (
        f"{assignment}: a copy scores {lowest_copy:.2f}, an independent pair "
        f"{highest_independent:.2f} ({max(independent, key=lambda p: p.score).first.name})")
    assert lowest_copy >= SETTINGS.threshold > highest_independent
    assert {_pair_names(p) for p in pairs[:len(copies)]} == copies


def _released(assignment: str) -> list:
    return [nbformat.read(path, as_version=4)
            for path in sorted((KIT_ROOT / "release" / assignment).glob("*.ipynb"))]


def _document(name: str, notebooks, handout_cells: set) -> Document:
    parts = {}
    for notebook in notebooks:
        parts.update(notebook_parts(notebook, handout_cells))
    return Document(name, parts)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_handout_alone_never_makes_a_pair_similar(assignment):
    released = _released(assignment)
    cells = {c.source for nb in released for c in nb.cells if c.cell_type == "code"}
    handout = handout_code(Course(), assignment)
    blank = _document("blank", released, cells)
    assert blank.parts and ADDED not in blank.parts  # the skeletons, nothing added
    # Two students who paste the handout's code into cells of their own and write nothing
    # else (so their cells are not the handout's cells as they stand).
    pasted = [Document(name, {**blank.parts, ADDED: [sep.join(handout)]})
              for name, sep in (("pasted", "\n\n\n"), ("pasted again", "\n#\n"))]
    pairs = score_pairs(Corpus([blank, _document("blank too", released, cells), *pasted],
                               handout), Fingerprinter(handout))
    by_names = {_pair_names(p): p for p in pairs}
    assert by_names[frozenset({"blank", "blank too"})].score == 0
    assert max(p.score for p in pairs) < SETTINGS.threshold


def test_the_same_code_scores_the_same_in_another_process():
    code = reference("two_layer_mnist")["q1backward-impl"]
    here = kgram_hashes(code, SETTINGS.noise)
    there = subprocess.run(
        [sys.executable, "-c", "import sys; from autograder.similarity.compare import "
         "kgram_hashes; print(kgram_hashes(sys.stdin.read(), 25).tolist())"],
        input=code, capture_output=True, text=True, check=True).stdout
    assert here.tolist() == eval(there) and len(set(here.tolist())) > 100


def test_a_copy_scores_high_and_an_unrelated_file_zero():
    code = reference("two_layer_mnist")["q1backward-impl"]
    pairs = score_pairs(Corpus([Document("a", {"q1backward": [code]}),
                                Document("b", {"q1backward": [disguise(code)]}),
                                Document("c", {"q1data": ["print('hello')\n"]})], []),
                        Fingerprinter([]))
    scores = {_pair_names(p): p.score for p in pairs}
    assert scores[frozenset("ab")] > 0.8
    assert scores[frozenset("ac")] == scores[frozenset("bc")] == 0


# ------------------------------------------------------------ the command, end to end

STUDENTS = {"reference": "s01", "copy of reference": "s02", "seed style": "s03",
            "mean and einsum style": "s04", "copy of mean and einsum style": "s05"}


@pytest.fixture(scope="module")
def similarity_run(tmp_path_factory):
    """A course with the planted two_layer_mnist set submitted, one notebook broken, and a
    folder of known solutions (an LMS-style notebook and a .py file); after ``kit
    similarity --against``."""
    assignment = "two_layer_mnist"
    root = tmp_path_factory.mktemp("similarity") / "course"
    for folder in ("source", "release"):
        shutil.copytree(KIT_ROOT / folder / assignment, root / folder / assignment)
    answers, _ = planted_answers(assignment)
    (release,) = _released(assignment)
    for name, student in STUDENTS.items():
        target = root / "submitted" / student / assignment / f"{assignment}.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(fill_solutions(release, answers[name]), target)
    broken = root / "submitted" / "s06" / assignment / f"{assignment}.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text("{ not a notebook")
    known = root.parent / "known"
    known.mkdir()
    (known / "oldstudent").mkdir()
    nbformat.write(fill_solutions(release, answers["copy of seed style"]),
                   known / "oldstudent" / f"{assignment}.ipynb")
    (known / "found_online.py").write_text(
        disguise(answers["mean and einsum style"]["q1backward-impl"], "web"))
    result = subprocess.run([sys.executable, "-m", "autograder", "--course", str(root),
                             "similarity", assignment, "--against", str(known)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return root / "reports" / assignment, result.stdout


def test_the_command_ranks_the_copies_first_and_writes_the_csv(similarity_run):
    folder, stdout = similarity_run
    assert "similarity.html" in stdout and "changes no grade" in stdout
    with open(folder / "similarity.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 5 * 4 // 2 + 5 * 2  # the pairs of 5 readable notebooks, 5 x 2 known
    # s05 copied s04, whose backward found_online.py has too (disguised)
    top = [frozenset({r["first"], r["second"]}) for r in rows[:5]]
    assert set(top) == {frozenset({"s01", "s02"}), frozenset({"s04", "s05"}),
                        frozenset({"s03", "known: oldstudent"}),
                        frozenset({"s04", "known: found_online.py"}),
                        frozenset({"s05", "known: found_online.py"})}, rows[:6]
    assert all(float(r["score"]) >= SETTINGS.threshold for r in rows[:5])
    assert all(float(r["score"]) < SETTINGS.threshold for r in rows[5:])
    assert [float(r["score"]) for r in rows] == sorted((float(r["score"]) for r in rows),
                                                       reverse=True)


def test_the_page_lists_the_pairs_and_what_it_could_not_read(similarity_run):
    folder, _ = similarity_run
    page = (folder / "similarity.html").read_text()
    assert "never changes a grade" in page
    assert "s06/two_layer_mnist.ipynb" in page  # listed, not dropped
    assert page.count('href="similarity/pair-') == 5
    pair = (folder / "similarity" / "pair-0001.html").read_text()
    assert pair.count("<mark>") >= 3 and "never changes a grade" in pair
    assert 'href="report.html"' not in page  # not graded: no report to link back to


def _screenshot(page, png):
    from nn_utils.export_pdf import find_chromium

    subprocess.run([find_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                    f"--screenshot={png}", "--window-size=1300,1000", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    import matplotlib.image

    return matplotlib.image.imread(png)[..., :3]


@pytest.mark.slow  # a browser
def test_both_pages_render_in_a_browser_with_the_shared_code_marked(similarity_run, tmp_path):
    folder, _ = similarity_run
    main = _screenshot(folder / "similarity.html", tmp_path / "main.png")
    pair = _screenshot(folder / "similarity" / "pair-0001.html", tmp_path / "pair.png")
    for image in (main, pair):
        assert image.std() > 0.05  # text and tables drawn, not a blank page
    mark = np.array([0xff, 0xd2, 0x7f]) / 255  # <mark> as similarity/report.py styles it
    marked = np.all(np.abs(pair - mark) < 0.02, axis=-1).mean()
    assert marked > 0.01, f"only {marked:.3%} of the pair page is marked"


def test_student_code_and_names_are_shown_as_text_never_as_html(tmp_path):
    from autograder.similarity.compare import Pair
    from autograder.similarity.report import pair_page

    hostile = ("def f(x):\n    s = '</pre><script>alert(1)</script>'\n"
               "    return [v * 2 for v in range(len(s)) if v % 3 == 0 and x > v]\n")
    first = Document("<img src=x onerror=alert(2)>", {"q1data": [hostile]})
    second = Document("b", {"q1data": [hostile]})
    page = pair_page("a", 1, Pair(first, second, (1.0, 1.0), 10), Fingerprinter([]))
    assert "<script>" not in page and "<img" not in page
    assert "&lt;/pre&gt;&lt;script&gt;" in page and "<mark>" in page


def test_a_threshold_outside_0_to_1_is_refused(similarity_run, capsys):
    from autograder.__main__ import main

    course = similarity_run[0].parent.parent
    assert main(["--course", str(course), "similarity", "two_layer_mnist",
                 "--threshold", "50"]) == 1
    assert "a share between 0 and 1" in capsys.readouterr().err


def test_a_notebook_with_broken_nbgrader_metadata_is_listed_not_fatal(tmp_path):
    from autograder.similarity.documents import _read_notebooks

    (release,) = _released("two_layer_mnist")
    broken = nbformat.from_dict(nbformat.reads(nbformat.writes(release), as_version=4))
    solution = next(c for c in broken.cells if c.metadata.get("nbgrader", {}).get("solution"))
    del solution.metadata.nbgrader["grade_id"]  # nbformat's schema does not look at it
    nbformat.write(broken, tmp_path / "broken.ipynb")
    nbformat.write(release, tmp_path / "fine.ipynb")
    unreadable = []
    assert _read_notebooks([tmp_path / "broken.ipynb"], set(), unreadable, "s1") is None
    assert unreadable and unreadable[0][0] == "s1/broken.ipynb" and "grade_id" in unreadable[0][1]
    assert _read_notebooks([tmp_path / "broken.ipynb", tmp_path / "fine.ipynb"], set(), [],
                           "s1")  # the readable one still counts


def test_code_with_a_lone_surrogate_is_fingerprinted():
    code = "def f(x):\n    s = '\ud800'\n    return [v for v in range(len(s)) if v > x]\n" * 3
    assert len(kgram_hashes(code, SETTINGS.noise)) == len(code) - SETTINGS.noise + 1
