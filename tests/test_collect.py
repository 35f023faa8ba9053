"""Intake: every layout of submissions lands in submitted/, and every file is reported."""

import csv
import json
import os
import shutil
import stat
import zipfile

import nbformat
import pytest
from conftest import KIT

from autograder.__main__ import main
from autograder.intake.collect import (Entry, Intake, IntakeError, IntakeLimits, collect,
                                collect_folder)


def write_notebook(path):
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), path)


def test_places_notebooks_by_student_and_reports_the_rest(course_copy, tmp_path):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    write_notebook(incoming / "kim.ipynb")
    write_notebook(incoming / "lee_2.ipynb")
    (incoming / "notes.txt").write_text("not a notebook")
    (incoming / "broken.ipynb").write_text("{ this is not json")
    write_notebook(incoming / "bad id!.ipynb")

    intake = collect_folder(course_copy, "backprop_digits", incoming, "backprop_digits")

    assert sorted(intake.placed) == ["kim", "lee_2"]
    placed = course_copy.submitted / "kim" / "backprop_digits" / "backprop_digits.ipynb"
    assert placed.is_file()
    reasons = {path.name: reason for path, reason in intake.skipped}
    assert reasons["notes.txt"] == "not a notebook"
    assert reasons["broken.ipynb"].startswith("not a readable notebook")
    assert "student id" in reasons["bad id!.ipynb"]
    summary = intake.summary()
    assert "collected 2 submission(s)" in summary and "broken.ipynb" in summary
    # count in = placed + reported: nothing disappears
    assert len(intake.placed) + len(intake.skipped) == len(list(incoming.iterdir()))


def test_missing_folder_is_a_clear_error(course_copy, tmp_path):
    with pytest.raises(FileNotFoundError, match="submissions folder not found"):
        collect_folder(course_copy, "backprop_digits", tmp_path / "nowhere", "backprop_digits")


# ---------------------------------------------------------------- collect(): every layout


def notebook_bytes(source="x = 1"):
    """A valid notebook; the same source gives the same bytes (a fixed cell id)."""
    cell = nbformat.v4.new_code_cell(source, id="cell-1")
    return nbformat.writes(nbformat.v4.new_notebook(cells=[cell])).encode()


def released(course, *assignments):
    """The course copy with the real release folders of ``assignments``."""
    for assignment in assignments:
        shutil.copytree(KIT / "release" / assignment, course.release / assignment,
                        ignore=shutil.ignore_patterns("__pycache__"))
    return course


def write_files(root, files):
    """files: relative path -> bytes (or a str of notebook code)."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(notebook_bytes(content) if isinstance(content, str) else content)
    return root


def write_zip(path, entries):
    """entries: list of (name or ZipInfo, bytes or notebook code)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            data = notebook_bytes(content) if isinstance(content, str) else content
            archive.writestr(name, data)
    return path


def dated(name, when):
    info = zipfile.ZipInfo(name, date_time=when)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def outcomes(intake):
    """origin -> (outcome, reason, student)."""
    return {e.origin: (e.outcome, e.reason, e.student) for e in intake.entries}


def submission(course, student, assignment):
    folder = course.submitted / student / assignment
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def write_roster(path, ids):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "first_name", "last_name", "email"])
        writer.writerows([i, i.title(), "Doe", f"{i}@example.org"] for i in ids)
    return path


def test_student_notebooks_with_roster_and_report_files(course_copy, tmp_path):
    course = released(course_copy, "backprop_digits")
    incoming = write_files(tmp_path / "in", {"kim.ipynb": "a = 1", "lee.ipynb": "b = 2",
                                             "zed.ipynb": "c = 3"})
    roster = write_roster(tmp_path / "roster.csv", ["kim", "lee", "max"])

    intake = collect(course, "backprop_digits", incoming, roster=roster)

    intake.check()
    assert sorted(intake.placed) == ["kim", "lee", "zed"]
    placed = course.submitted / "lee" / "backprop_digits" / "backprop_digits.ipynb"
    assert placed.read_bytes() == (incoming / "lee.ipynb").read_bytes()
    assert intake.missing == ["max"] and intake.not_on_roster == ["zed"]
    summary = intake.summary()
    assert "3 file(s) in" in summary and "3 accounted for" in summary
    assert "1 without a submission: max" in summary
    assert "not on the roster (collected all the same): zed" in summary
    text, data = intake.report_files
    assert text == course.root / "reports" / "backprop_digits" / "intake.txt"
    assert "[placed] kim.ipynb ->" in text.read_text()
    report = json.loads(data.read_text())
    assert report["missing"] == ["max"] and report["counts"] == {"placed": 3}
    assert [e["origin"] for e in report["entries"]] == ["kim.ipynb", "lee.ipynb", "zed.ipynb"]


def test_student_folders_of_a_two_notebook_assignment(course_copy, tmp_path):
    course = released(course_copy, "nn_framework")
    incoming = write_files(tmp_path / "in", {
        "kim/nn_framework.ipynb": "kim = 1",
        "kim/nn_framework_pytorch (1).ipynb": "torch = 1",
        "kim/helpers.py": b"def helper(): pass\n",
        "kim/nn_utils/checkers/nn_framework.py": b"def check(*a): pass  # always passes\n",
        "kim/.ipynb_checkpoints/nn_framework-checkpoint.ipynb": "old = 1",
        "kim/timestamp.txt": b"2000-01-01 00:00:00",
        "lee/Copy of NN_Framework.ipynb": "lee = 1",
        "lee/scratch.ipynb": "try = 1",
        "lee/.DS_Store": b"\0\0",
        "amy/work/nn_framework-Copy1.ipynb": "amy = 1",
        "nn_framework/nn_framework.ipynb": "whose = 1",
    })

    os.symlink("/etc/passwd", incoming / "kim" / "passwd.txt")
    os.symlink(tmp_path, incoming / "lee" / "everything")

    intake = collect(course, "nn_framework", incoming)

    assert submission(course, "kim", "nn_framework") == [
        "helpers.py", "nn_framework.ipynb", "nn_framework_pytorch.ipynb"]
    assert submission(course, "lee", "nn_framework") == ["nn_framework.ipynb", "scratch.ipynb"]
    assert submission(course, "amy", "nn_framework") == ["nn_framework.ipynb"]
    got = outcomes(intake)
    assert got["kim/nn_framework.ipynb"] == ("placed", "", "kim")
    assert got["kim/nn_framework_pytorch (1).ipynb"][:2] == (
        "renamed", "nn_framework_pytorch (1).ipynb taken as nn_framework_pytorch.ipynb")
    assert got["kim/helpers.py"][:2] == ("placed", "other file handed in")
    assert got["kim/nn_utils/checkers/nn_framework.py"][0] == "rejected"
    assert "the release ships nn_utils" in got["kim/nn_utils/checkers/nn_framework.py"][1]
    checkpoint = got["kim/.ipynb_checkpoints/nn_framework-checkpoint.ipynb"]
    assert checkpoint[0] == "rejected" and "CourseDirectory.ignore" in checkpoint[1]
    assert got["kim/timestamp.txt"][0] == "rejected"
    assert got["lee/Copy of NN_Framework.ipynb"][0] == "renamed"
    assert got["lee/scratch.ipynb"][:2] == (
        "unmatched", "not one of the assignment's notebooks (nn_framework.ipynb, "
                     "nn_framework_pytorch.ipynb)")
    assert got["lee/.DS_Store"][:2] == ("rejected", "operating-system file (.DS_Store)")
    assert got["amy/work/nn_framework-Copy1.ipynb"][:2] == (
        "renamed", "work/nn_framework-Copy1.ipynb taken as nn_framework.ipynb")
    assert got["nn_framework/nn_framework.ipynb"][:2] == (
        "unmatched", "in a folder named like the assignment, not like a student")
    assert intake.placed["lee"] == [course.submitted / "lee" / "nn_framework" /
                                    "nn_framework.ipynb"]
    assert intake.without_notebook == []
    assert got["kim/passwd.txt"][:2] == ("rejected", "symbolic link: ignored")
    assert got["lee/everything"][:2] == ("rejected", "symbolic link to a folder: not followed")
    assert intake.inputs == 13 and len(intake.entries) == 13
    summary = intake.summary()
    assert "renamed: lee: lee/Copy of NN_Framework.ipynb (Copy of NN_Framework.ipynb taken " \
           "as nn_framework.ipynb)" in summary
    assert "unmatched: lee: lee/scratch.ipynb" in summary
    assert "roster: none given and no students in the gradebook; not checked" in summary


def test_lms_zip_newest_version_duplicates_broken_and_unsafe_entries(course_copy, tmp_path):
    course = released(course_copy, "nn_framework")
    link = zipfile.ZipInfo("kim_link.ipynb")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = write_zip(tmp_path / "download.zip", [
        ("kim_2024-03-01-10-00-00_nn_framework.ipynb", "first = 1"),
        ("kim_2024-03-02-09-30-00_nn_framework.ipynb", "second = 1"),
        ("kim_2024-03-02-09-30-00_nn_framework_pytorch.ipynb", "torch = 1"),
        (dated("lee_11_22_nn_framework.ipynb", (2024, 3, 1, 8, 0, 0)), "same = 1"),
        (dated("lee_11_23_nn_framework-1.ipynb", (2024, 3, 1, 9, 0, 0)), "same = 1"),
        ("max_33_44_nn_framework.ipynb", b"{ not json"),
        ("readme.txt", b"instructions"),
        ("__MACOSX/._kim_2024-03-01-10-00-00_nn_framework.ipynb", b"\0"),
        ("../escape_1_nn_framework.ipynb", "evil = 1"),
        ("/etc/abs_1_nn_framework.ipynb", "evil = 1"),
        (link, b"/etc/passwd"),
    ])

    intake = collect(course, "nn_framework", archive)

    intake.check()
    assert intake.inputs == 11
    kim = course.submitted / "kim" / "nn_framework"
    assert "second = 1" in (kim / "nn_framework.ipynb").read_text()
    assert (kim / "timestamp.txt").read_text() == "2024-03-02 09:30:00"
    got = outcomes(intake)
    assert got["kim_2024-03-01-10-00-00_nn_framework.ipynb"][:2] == (
        "superseded", "older than kim_2024-03-02-09-30-00_nn_framework.ipynb")
    assert ("kim/nn_framework.ipynb: used kim_2024-03-02-09-30-00_nn_framework.ipynb "
            "(2024-03-02 09:30:00, from its name); not kim_2024-03-01-10-00-00_nn_framework"
            ".ipynb (2024-03-01 10:00:00, from its name, superseded)") in intake.decisions
    # Canvas resubmission "-1": same content, newer zip date -> used; the other is a duplicate
    assert got["lee_11_23_nn_framework-1.ipynb"][0] == "renamed"
    assert got["lee_11_22_nn_framework.ipynb"][:2] == (
        "duplicate", "same content as lee_11_23_nn_framework-1.ipynb")
    assert got["max_33_44_nn_framework.ipynb"][0] == "broken"
    assert got["max_33_44_nn_framework.ipynb"][1].startswith("not a readable notebook")
    assert (course.submitted / "max" / "nn_framework" / "nn_framework.ipynb").read_bytes() \
        == b"{ not json"  # placed anyway: grading gives it 0 with the reason
    assert list(intake.broken_students) == ["max"]
    assert got["readme.txt"][:2] == ("unmatched", "not a notebook")
    assert got["__MACOSX/._kim_2024-03-01-10-00-00_nn_framework.ipynb"][0] == "rejected"
    assert got["../escape_1_nn_framework.ipynb"][:2] == (
        "rejected", "path leaves the archive (..): not unpacked")
    assert got["/etc/abs_1_nn_framework.ipynb"][:2] == (
        "rejected", "absolute path in the archive: not unpacked")
    assert got["kim_link.ipynb"][:2] == ("rejected", "symbolic link in the archive: ignored")
    assert not (tmp_path / "escape_1_nn_framework.ipynb").exists()
    assert sorted(intake.students) == ["kim", "lee", "max"]
    assert intake.counts() == {"placed": 2, "renamed": 1, "superseded": 1, "duplicate": 1,
                               "broken": 1, "unmatched": 1, "rejected": 4}
    assert "no readable notebook from max (graded 0): nn_framework.ipynb: not a readable" \
        in intake.summary()
    assert json.loads(intake.report_files[1].read_text())["broken_students"].keys() == {"max"}


def test_zip_of_zips_per_student_and_a_wrapper_folder(course_copy, tmp_path):
    course = released(course_copy, "nn_framework")
    kim = write_zip(tmp_path / "kim.zip", [("nn_framework.ipynb", "kim = 1"),
                                           ("nn_framework_pytorch.ipynb", "kim = 2")])
    lee = write_zip(tmp_path / "lee_5_6_homework.zip",
                    [("homework/nn_framework.ipynb", "lee = 1")])
    archive = write_zip(tmp_path / "all.zip", [
        ("submissions/kim.zip", kim.read_bytes()),
        ("submissions/lee_5_6_homework.zip", lee.read_bytes()),
        ("submissions/bad.zip", b"PK not really a zip"),
    ])

    intake = collect(course, "nn_framework", archive)

    assert submission(course, "kim", "nn_framework") == [
        "nn_framework.ipynb", "nn_framework_pytorch.ipynb"]
    assert submission(course, "lee", "nn_framework") == ["nn_framework.ipynb"]
    got = outcomes(intake)
    assert got["submissions/kim.zip::nn_framework.ipynb"] == ("placed", "", "kim")
    assert got["submissions/lee_5_6_homework.zip::homework/nn_framework.ipynb"][:2] == (
        "renamed", "homework/nn_framework.ipynb taken as nn_framework.ipynb")
    assert got["submissions/bad.zip"][0] == "rejected"
    assert got["submissions/bad.zip"][1].startswith("not a readable zip archive")
    assert intake.archives == ["all.zip", "submissions/kim.zip",
                               "submissions/lee_5_6_homework.zip"]
    assert intake.inputs == 4 and len(intake.entries) == 4


def test_nbgrader_submitted_tree(course_copy, tmp_path):
    course = released(course_copy, "nn_framework")
    incoming = write_files(tmp_path / "export", {
        "submitted/kim/nn_framework/nn_framework.ipynb": "kim = 1",
        "submitted/kim/nn_framework/nn_framework_pytorch.ipynb": "kim = 2",
        "submitted/kim/nn_framework/timestamp.txt": b"2024-03-01 17:00:00.000000",
        "submitted/lee/nn_framework/nn_framework.ipynb": "lee = 1",
        "submitted/lee/backprop_digits/backprop_digits.ipynb": "other = 1",
    })

    intake = collect(course, "nn_framework", incoming)

    assert submission(course, "kim", "nn_framework") == [
        "nn_framework.ipynb", "nn_framework_pytorch.ipynb", "timestamp.txt"]
    assert (course.submitted / "kim" / "nn_framework" / "timestamp.txt").read_text() \
        == "2024-03-01 17:00:00.000000"  # nbgrader's own time stamp is kept
    assert submission(course, "lee", "nn_framework") == ["nn_framework.ipynb"]
    got = outcomes(intake)
    assert got["submitted/lee/backprop_digits/backprop_digits.ipynb"][:2] == (
        "unmatched", "lee/backprop_digits/ is not nn_framework's folder in this nbgrader tree")
    assert intake.counts() == {"placed": 4, "unmatched": 1}


def test_versions_in_a_folder_by_file_date_and_readable_beats_broken(course_copy, tmp_path):
    course = released(course_copy, "nn_framework")
    incoming = write_files(tmp_path / "in", {
        "kim/nn_framework.ipynb": "old = 1",
        "kim/nn_framework (1).ipynb": "new = 1",
        "lee/nn_framework.ipynb": b"not json at all",
        "lee/Copy of nn_framework.ipynb": "lee = 1",
    })
    for name, day in [("kim/nn_framework.ipynb", 1), ("kim/nn_framework (1).ipynb", 2),
                      ("lee/Copy of nn_framework.ipynb", 1), ("lee/nn_framework.ipynb", 2)]:
        stamp = 1_700_000_000 + day * 86_400
        os.utime(incoming / name, (stamp, stamp))

    intake = collect(course, "nn_framework", incoming)

    used = {s: (course.submitted / s / "nn_framework" / "nn_framework.ipynb").read_text()
            for s in ("kim", "lee")}
    assert "new = 1" in used["kim"] and "lee = 1" in used["lee"]
    got = outcomes(intake)
    assert got["kim/nn_framework.ipynb"][:2] == (
        "superseded", "older than kim/nn_framework (1).ipynb")
    assert got["kim/nn_framework (1).ipynb"][0] == "renamed"
    assert got["lee/nn_framework.ipynb"][0] == "broken"
    assert got["lee/nn_framework.ipynb"][1].endswith(
        "; lee/Copy of nn_framework.ipynb used instead")
    assert intake.broken_students == {}  # lee has a readable notebook
    kim_note = next(d for d in intake.decisions if d.startswith("kim/nn_framework.ipynb"))
    assert "file date" in kim_note and "kim/nn_framework.ipynb (" in kim_note
    assert not (course.submitted / "kim" / "nn_framework" / "timestamp.txt").exists()


def test_ambiguous_renames_stay_unmatched_and_are_kept(course_copy, tmp_path):
    incoming = write_files(tmp_path / "in", {"kim/hw-1 (2).ipynb": "a = 1",
                                             "kim/hw.ipynb": "b = 1"})

    intake = collect(course_copy, "hw", incoming, notebooks=("hw.ipynb", "hw-1.ipynb"))

    assert outcomes(intake)["kim/hw-1 (2).ipynb"][:2] == (
        "unmatched", "could be hw.ipynb or hw-1.ipynb")
    assert submission(course_copy, "kim", "hw") == ["hw-1 (2).ipynb", "hw.ipynb"]


def test_file_name_patterns_blackboard_default_and_custom(course_copy, tmp_path):
    course = released(course_copy, "backprop_digits")
    archive = write_zip(tmp_path / "bb.zip", [
        ("Homework 1_hacker_attempt_2016-01-30-20-30-10_backprop_digits.ipynb", "h = 1"),
        ("ab_12_c.ipynb", "plain = 1"),  # a student id the default pattern would split
    ])
    intake = collect(course, "backprop_digits", archive)
    assert sorted(intake.placed) == ["ab_12_c", "hacker"]
    assert (course.submitted / "hacker" / "backprop_digits" / "timestamp.txt").read_text() \
        == "2016-01-30 20:30:10"

    custom = write_files(tmp_path / "custom", {"hw3-kim_lee-backprop_digits.ipynb": "k = 1"})
    intake = collect(course, "backprop_digits", custom,
                     named_regexp=r"^hw3-(?P<student_id>[a-z_]+)-(?P<file_id>.+)$")
    assert list(intake.placed) == ["kim_lee"]
    with pytest.raises(ValueError, match="needs the named group"):
        collect(course, "backprop_digits", custom, named_regexp=r"^(?P<student_id>.+)$")


def test_size_caps_stop_archive_bombs(course_copy, tmp_path):
    course = released(course_copy, "backprop_digits")
    archive = write_zip(tmp_path / "bomb.zip", [("kim.ipynb", "k = 1"),
                                                ("zeros.ipynb", b"\0" * 3_000_000),
                                                ("lee.ipynb", "l = 1")])
    assert archive.stat().st_size < 50_000
    limits = IntakeLimits(max_file_bytes=1_000_000, max_total_bytes=1_000_000)

    intake = collect(course, "backprop_digits", archive, limits=limits)

    got = outcomes(intake)
    assert got["zeros.ipynb"][0] == "rejected" and "cap per file" in got["zeros.ipynb"][1]
    assert sorted(intake.placed) == ["kim", "lee"]
    assert not (course.submitted / "zeros").exists()


def test_bad_inputs_are_clear_errors(course_copy, tmp_path):
    course = released(course_copy, "backprop_digits")
    with pytest.raises(FileNotFoundError, match="submissions not found"):
        collect(course, "backprop_digits", tmp_path / "nowhere")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match="neither a folder nor a .zip"):
        collect(course, "backprop_digits", tmp_path / "notes.txt")
    course.submitted.mkdir()
    with pytest.raises(ValueError, match="own submitted/ folder"):
        collect(course, "backprop_digits", course.submitted)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="release the assignment first"):
        collect(course, "nn_framework", tmp_path / "empty")
    (tmp_path / "roster.csv").write_text("student,name\nkim,Kim\n")
    with pytest.raises(ValueError, match="needs an 'id' column"):
        collect(course, "backprop_digits", tmp_path / "empty", roster=tmp_path / "roster.csv")


def test_check_catches_a_lost_or_doubled_file():
    intake = Intake("hw", inputs=2, entries=[Entry("a.ipynb", "placed", index=0),
                                             Entry("a.ipynb", "duplicate", index=0)])
    with pytest.raises(IntakeError, match="2 file.s. in, 2 accounted for .lost: .1., twice: .0."):
        intake.check()


def test_gradebook_students_are_the_default_roster(course_copy, tmp_path, monkeypatch):
    from autograder.course import grading_environment

    monkeypatch.setenv("PATH", grading_environment()["PATH"])  # a new gradebook runs alembic
    course = released(course_copy, "backprop_digits")
    with course.gradebook() as gradebook:
        gradebook.add_student("kim")
        gradebook.add_student("max")
    incoming = write_files(tmp_path / "in", {"kim.ipynb": "k = 1"})

    intake = collect(course, "backprop_digits", incoming)

    assert intake.roster_from == "gradebook" and intake.missing == ["max"]


def test_kit_collect_command(course_copy, tmp_path, capsys):
    course = released(course_copy, "nn_framework")
    archive = write_zip(tmp_path / "lms.zip", [("kim_1_2_nn_framework.ipynb", "k = 1"),
                                               ("kim_1_2_nn_framework_pytorch.ipynb", "t = 1")])
    roster = write_roster(tmp_path / "roster.csv", ["kim", "lee"])

    code = main(["--course", str(course.root), "collect", "nn_framework", str(archive),
                 "--roster", str(roster)])

    out = capsys.readouterr().out
    assert code == 0
    assert "collected 1 submission(s)" in out and "1 without a submission: lee" in out
    assert str(course.root / "reports" / "nn_framework" / "intake.json") in out
    assert submission(course, "kim", "nn_framework") == [
        "nn_framework.ipynb", "nn_framework_pytorch.ipynb"]


def test_an_archive_holding_one_name_twice_counts_both(course_copy, tmp_path):
    course = released(course_copy, "backprop_digits")
    with pytest.warns(UserWarning, match="Duplicate name"):
        archive = write_zip(tmp_path / "twice.zip", [(dated("kim.ipynb", (2024, 1, 1, 0, 0, 0)),
                                                      "old = 1"),
                                                     (dated("kim.ipynb", (2024, 1, 2, 0, 0, 0)),
                                                      "new = 1")])
    (course.submitted / "amy" / "backprop_digits").mkdir(parents=True)

    intake = collect(course, "backprop_digits", archive)

    assert [(e.origin, e.outcome) for e in sorted(intake.entries, key=lambda e: e.index)] == [
        ("kim.ipynb", "superseded"), ("kim.ipynb (entry 2)", "placed")]
    assert "new = 1" in (course.submitted / "kim" / "backprop_digits" /
                         "backprop_digits.ipynb").read_text()
    assert "submitted/ keeps earlier intakes of amy, who are not in this input" \
        in intake.decisions
