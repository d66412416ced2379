"""Demo data: the unit tree and one account per role, demo exams and an accreditation cycle,
and an exam with planted integrity findings. Used by ``flask demo`` and the browser tests; nothing
in the app imports it."""

from .units import create_demo_exam, create_past_demo_exam, demo_account_count, has_data, load_demo, open_demo_cycle

__all__ = [
    "create_demo_exam",
    "create_past_demo_exam",
    "demo_account_count",
    "has_data",
    "load_demo",
    "open_demo_cycle",
]
