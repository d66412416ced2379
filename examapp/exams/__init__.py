"""Exams: scheduling, papers (fixed or blueprint), rosters and exam-day paperwork."""
