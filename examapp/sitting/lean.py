"""The lean save and hand-in: the exam page's common requests answered before Flask's request machinery.

Nearly every request on exam day is one answer saved from a live attempt page. Its page token
(``Attempt.live_token``, a secret the attempt page alone was given) already proves which page of
which attempt is speaking, so such a save needs neither the signed-cookie session, nor the user
read, nor a CSRF token: the page sends its token in the ``X-Exam-Page`` header, which a
cross-site form cannot set and a cross-site script cannot send without a CORS preflight that this
app never answers. The middleware below takes ``POST /attempt/<id>/save`` carrying that header
and does the one-statement save of ``saving`` (``lean_save``): one UPDATE that checks in the
database that the attempt is in progress, held by this token, before its deadline, and that the
login the page was opened under is still live (``Attempt.live_session_id``/``live_epoch``: a
logout, "退出所有设备", a disabled account or a password reset ends the page's lean saves), then
one commit, then the reply. "Saved" is said only after the commit. The page's hand-in
(``POST /attempt/<id>/submit`` with at most one last answer, before the deadline) is taken the
same way (``handin.lean_finish``): the answer in one statement, the hand-in in two, graded right
after the commit (``grading``).

Anything it does not take goes on to the app exactly as it came (the body is handed back): a
batch, a stale or replayed save, a first save of the page in this process, another address or
browser, the grace period, a closed attempt, a token that is not the live one, an ended login.
The app's own save view then answers as it always did, with the session, the CSRF token and the
reasons (``saving.save_responses``). So every refusal is the app's, and the lean path can only
ever acknowledge a save the app would have acknowledged in one statement.
"""

import io
import json
import re

from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..web.ids import DB_INT_MAX
from .handin import lean_finish
from .page import page_client
from .saving import LEAN_DECLINED, lean_save

#: the page's token travels in this header (WSGI: HTTP_X_EXAM_PAGE)
HEADER = "X-Exam-Page"
PAGE_PATH = re.compile(r"/attempt/([1-9][0-9]{0,17})/(save|submit)")
#: a single answer's save is a few hundred bytes; anything larger is the app's to read
MAX_BODY = 4096
_HEADERS = [
    ("Content-Type", "application/json"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
]
_UNAVAILABLE = json.dumps(
    {"status": 503, "reason": "unavailable", "error": "服务器繁忙，答案已暂存在本机，正在重试"}, ensure_ascii=False
).encode()


def _not_a_constant(name):
    raise ValueError(name)


class LeanSave:
    """WSGI middleware in front of the app (inside any proxy fix, so the address is the client's)."""

    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app

    def __call__(self, environ, start_response):
        token = environ.get("HTTP_X_EXAM_PAGE")
        if token and environ.get("REQUEST_METHOD") == "POST":
            match = PAGE_PATH.fullmatch(environ.get("PATH_INFO", ""))
            attempt_id = int(match.group(1)) if match is not None else None
            # an attempt number beyond the database's integers is the app's 404
            if attempt_id is not None and attempt_id <= DB_INT_MAX:
                body = self._take(environ, attempt_id, match.group(2), token)
                if body is not None:
                    status = "503 SERVICE UNAVAILABLE" if body is _UNAVAILABLE else "200 OK"
                    start_response(status, [*_HEADERS, ("Content-Length", str(len(body)))])
                    return [body]
                environ[LEAN_DECLINED] = True
        return self.wsgi_app(environ, start_response)

    def _take(self, environ, attempt_id, action, token):
        """The reply's body, or None for the app to answer (the body is put back for it)."""
        if not (environ.get("CONTENT_TYPE") or "").startswith("application/json"):
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            return None
        if not 0 < length <= MAX_BODY:
            return None
        stream = environ["wsgi.input"]
        raw = stream.read(length)
        environ["wsgi.input"] = io.BytesIO(raw)
        try:
            payload = json.loads(raw, parse_constant=_not_a_constant)
        except (ValueError, RecursionError):
            return None
        if not isinstance(payload, dict) or payload.get("token") != token:
            return None
        client = page_client(environ.get("REMOTE_ADDR"), environ.get("HTTP_USER_AGENT"), payload.get("device"))
        with self.app.app_context():
            now = self.app.extensions["clock"].now()
            try:
                if action == "save":
                    reply = lean_save(db.session, attempt_id, payload, client, now)
                    if reply is not None:
                        reply = {"status": "saved", "late": [], "refused": [], **reply}
                else:
                    reply = lean_finish(db.session, attempt_id, payload, client, now)
                    if reply is not None:
                        reply["result_url"] = f"{environ.get('SCRIPT_NAME', '')}/attempt/{attempt_id}/result"
                if reply is None:
                    db.session.rollback()
                    return None
                db.session.commit()
            except SQLAlchemyError:
                db.session.rollback()
                self.app.logger.exception("lean save of attempt %s failed", attempt_id)
                return _UNAVAILABLE  # the page keeps the answer and sends it again
        return json.dumps(reply).encode()
