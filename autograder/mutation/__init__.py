"""``./kit mutate``: how many wrong solutions an assignment's checks catch.

operators.py  cosmic-ray's operators plus this field's mistakes (transposes, axes, 1/N, ...)
mutants.py    each operator applied at each place of a solution region
run.py        each mutant through its task's checks and hidden tests, in forks of one run
score.py      counts per task, the equivalent mutants an assignment lists, the table
"""
