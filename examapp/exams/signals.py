"""What exams announces to the features built on it (exams never imports them).

``exam_closing`` is sent with the exam when an administrator ends a published exam, before
anything changes. Each receiver closes what must be closed first and returns how many
sittings are still open; any open sitting keeps the exam from ending (``services.close_exam``).
"""

from blinker import Namespace

_signals = Namespace()

exam_closing = _signals.signal("exam-closing")


def sittings_still_open(exam):
    """Ask the receivers of ``exam_closing``; the number of sittings they report still open."""
    return sum(count or 0 for _receiver, count in exam_closing.send(exam))
