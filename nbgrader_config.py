# This repository is an nbgrader course directory: run nbgrader commands from here.
# The kit's own commands (./kit release, ./kit grade, ./kit demo) call nbgrader with it.
c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "nn-from-scratch"
# The notebooks' text sources (*.pct.py) are built into the .ipynb files; they hold the
# solutions, so nbgrader must never copy them into a release or a student's folder.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.pct.py"]

# A cell that runs longer than this fails (an infinite loop must not hold the grader).
c.Execute.timeout = 120
c.Execute.allow_errors = True
