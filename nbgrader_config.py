# This repository is an nbgrader course directory: run nbgrader commands from here.
# The kit's own commands (./kit release, ./kit grade, ./kit demo) call nbgrader with it.
c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "nn-from-scratch"
# The notebooks' text sources (*.pct.py) are built into the .ipynb files; they hold the
# solutions, so nbgrader must never copy them into a release or a student's folder. Each
# assignment's checks/ reach students inside its nn_utils (./kit release), not beside it;
# its gradescope.json (Gradescope's limits for it: ./kit gradescope) and its
# equivalent_mutants.json (./kit mutate) are not theirs either.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.pct.py",
                            "checks", "gradescope.json", "equivalent_mutants.json"]

# A cell that runs longer than this fails (an infinite loop must not hold the grader).
# two_layer_mnist trains for about a minute on one core: the limit leaves room for a
# slower machine, or a grader busy with other notebooks.
# ./kit autograde adds a limit per notebook and a memory limit per worker (--help lists them).
c.Execute.timeout = 300
c.Execute.allow_errors = True

# Each grading kernel runs in a bubblewrap sandbox: no network, only its own copy of the
# submission writable, nothing else of the course visible. Without bwrap grading refuses
# to run unless told --no-sandbox (or enabled = False); the report then says so.
# Limits per kernel (defaults shown; autograder/execution/sandbox.py explains each):
# c.Sandbox.enabled = True
# c.Sandbox.cpu_seconds = 1800          # CPU time of each process
# c.Sandbox.processes = 64              # processes and threads
# c.Sandbox.cpus = 1.0                  # CPUs it may keep busy (where cgroups allow)
# c.Sandbox.file_bytes = 256 * 2**20    # largest file it may write
# c.Sandbox.tmp_bytes = 256 * 2**20     # its private /tmp
# c.Sandbox.output_bytes = 2**20        # output one cell may add to the notebook
# c.Sandbox.read_only = []              # more folders it may read (data sets)

# Test cells run in the grader's process, the student's kernel only answering calls of
# their code (autograder/execution/judge.py; README: Threat model). False runs them in the kernel, as
# plain nbgrader does, which the student's code can subvert.
# c.GuardedExecute.trusted_tests = False

# Several graders at once: a PostgreSQL gradebook instead of the SQLite file gradebook.db.
# c.CourseDirectory.db_url = "postgresql+psycopg://USER@HOST/DATABASE"
