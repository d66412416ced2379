"""``flask exams ...``: the command group of exam-day tools.

Its commands belong to the features that do the work (``flask exams close-overdue`` is
sitting's); the app's command line (``examapp/cli.py``) puts them in the group.
"""

from flask.cli import AppGroup

exams_cli = AppGroup("exams", help="考试：收取超时答卷等")
