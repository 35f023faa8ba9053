"""``./kit similarity ASSIGNMENT``: which submissions share code beyond the handout.

Reads the code each student wrote (documents.py), scores every pair by shared fingerprints
with the handout's removed (compare.py), and writes the ranked pairs and a side-by-side
page per pair over the threshold (report.py); run.py ties them together. It reads
submitted/ and writes reports/ only: it never changes a grade.
"""
