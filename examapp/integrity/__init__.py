"""Exam integrity: findings of impersonation and collusion, with their evidence, for the office."""
