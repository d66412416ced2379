"""What exams announces to the features built on it (exams never imports them).

``exam_closing`` is sent with the exam when an administrator ends a published exam, before
anything changes. Each receiver closes what must be closed first and returns how many
sittings are still open; any open sitting keeps the exam from ending (``services.close_exam``).

``exam_closed`` is sent with the exam once it has ended (flushed, in the same transaction):
nobody can start it any more, so what was kept for starting it can go.

``exam_published`` is sent with the exam once it is published (flushed, in the same
transaction), and ``roster_added`` with the exam and ``entry_ids`` when people are put on the
roster of an exam already published: the sittings feature draws their papers then
(``sitting.prepared``), so that exam day's starts copy rows instead of drawing.
"""

from blinker import Namespace

_signals = Namespace()

exam_closing = _signals.signal("exam-closing")
exam_closed = _signals.signal("exam-closed")
exam_published = _signals.signal("exam-published")
roster_added = _signals.signal("roster-added")


def sittings_still_open(exam):
    """Ask the receivers of ``exam_closing``; the number of sittings they report still open."""
    return sum(count or 0 for _receiver, count in exam_closing.send(exam))
