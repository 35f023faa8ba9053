"""Results: the instructor's report and the students' feedback."""
