"""The one source of "now" for the whole app.

Code asks ``utcnow()``; tests replace the app's clock with a frozen one
(``app.extensions["clock"]``) instead of sleeping.
"""

from datetime import UTC, datetime, timedelta

from flask import current_app, has_app_context


class SystemClock:
    def now(self):
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, at=None):
        self.at = at or datetime.now(UTC)

    def now(self):
        return self.at

    def set(self, at):
        self.at = at

    def advance(self, **kwargs):
        self.at = self.at + timedelta(**kwargs)


class OffsetClock:
    """Real time moved by an offset: for a served app whose clock a browser test shifts."""

    def __init__(self):
        self.offset = timedelta(0)

    def now(self):
        return datetime.now(UTC) + self.offset

    def shift(self, **kwargs):
        self.offset += timedelta(**kwargs)

    def reset(self):
        self.offset = timedelta(0)


def utcnow():
    if has_app_context():
        clock = current_app.extensions.get("clock")
        if clock is not None:
            return clock.now()
    return datetime.now(UTC)
