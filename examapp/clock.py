"""The one source of "now" for the whole app, and the one zone times are shown and days are counted in.

Code asks ``utcnow()``; tests replace the app's clock with a frozen one
(``app.extensions["clock"]``) instead of sleeping. Times are stored in UTC; a person reads them,
and a "day" (a deadline's last day, a file's date stamp) is counted, in the display zone
(``DISPLAY_TIMEZONE``, Beijing time by default), so pages and rules never disagree about a date.
"""

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

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


#: The zone used when no app is running (a script importing a rule); the app's setting otherwise.
DEFAULT_DISPLAY_TIMEZONE = "Asia/Shanghai"


@lru_cache(maxsize=8)
def _zone(name):
    return ZoneInfo(name)


def display_zone():
    """The zone people read times in and days are counted in (the app's ``DISPLAY_TIMEZONE``)."""
    name = current_app.config.get("DISPLAY_TIMEZONE") if has_app_context() else None
    return _zone(name or DEFAULT_DISPLAY_TIMEZONE)


def local_time(moment):
    """An aware ``moment`` in the display zone (None stays None)."""
    return None if moment is None else moment.astimezone(display_zone())


def local_now():
    return utcnow().astimezone(display_zone())


def local_today():
    """Today's date in the display zone."""
    return local_now().date()


def file_stamp(fmt="%Y%m%d"):
    """The date (or date and time) a downloaded file's name carries, from the app's clock."""
    return local_now().strftime(fmt)
