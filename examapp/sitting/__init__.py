"""Sitting an exam: attempts, their drawn papers, saving, submitting and grading."""
