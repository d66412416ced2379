"""Counting failed logins per account and per client address.

Storage is ``RATELIMIT_STORAGE_URI``: memory for one process, Redis when
several processes or servers share the load.
"""

from flask import current_app
from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


class LoginThrottle:
    def __init__(self, app=None):
        self.limiter = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app):
        storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
        self.storage = storage
        self.limiter = MovingWindowRateLimiter(storage)
        app.extensions["login_throttle"] = self

    def _items(self):
        cfg = current_app.config
        window = cfg["LOGIN_FAILURE_WINDOW_MINUTES"]
        return (
            ("account", RateLimitItemPerMinute(cfg["LOGIN_FAILURES_PER_ACCOUNT"], window)),
            ("address", RateLimitItemPerMinute(cfg["LOGIN_FAILURES_PER_ADDRESS"], window)),
        )

    def _keys(self, username, address):
        return {"account": f"login:account:{username}", "address": f"login:address:{address}"}

    def is_blocked(self, username, address):
        keys = self._keys(username, address)
        return any(not self.limiter.test(item, keys[kind]) for kind, item in self._items())

    def record_failure(self, username, address):
        keys = self._keys(username, address)
        for kind, item in self._items():
            self.limiter.hit(item, keys[kind])

    def clear_account(self, username):
        kind, item = self._items()[0]
        self.limiter.clear(item, self._keys(username, "")[kind])

    def reset(self):
        self.storage.reset()


def get_throttle():
    return current_app.extensions["login_throttle"]
