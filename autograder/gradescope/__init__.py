"""Grade on Gradescope: ``./kit gradescope ASSIGNMENT`` builds its autograder zip.

build.py   the zip: setup.sh, run_autograder, the kit, the assignment's course folder
run.py     what run_autograder runs in Gradescope's container, for one submission
results.py results.json, as Gradescope's specification describes it
"""
