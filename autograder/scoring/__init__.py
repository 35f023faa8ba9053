"""Scoring: what the executed notebooks earned, and what grading flags about a submission."""
