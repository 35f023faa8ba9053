"""Intake: handed-in files into nbgrader's submitted/ folder, every one accounted for."""
