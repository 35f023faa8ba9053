"""Isolation and execution: each submission's notebooks run in a sandboxed kernel, within limits,
while the test cells run in the grader (the judge)."""
