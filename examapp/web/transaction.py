"""One unit of work per request.

A request's database work is one transaction. It is committed once, after the view answered,
when the view succeeded: it raised nothing, did not report a refused operation
(``examapp.web.form_errors.report``) and answers with a status below 400. Anything else is rolled
back, so a failed service leaves nothing behind and a view cannot forget either half. The commit
runs before the response leaves the server: a commit that fails turns the answer into an error
page, so nothing is ever said to be saved that was not (the same rule as Indico's ``RH.process``).

``commit_now`` is for the few answers that must be committed before they are built; each caller
says why.
"""

from flask import g, session

from ..extensions import db


def init_app(app):
    app.after_request(_finish)


def _finish(response):
    if g.pop("_unit_of_work_failed", False) or response.status_code >= 400:
        db.session.rollback()
        return response
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()  # the error page may still read the database
        session.pop("_flashes", None)  # nothing the view said about its work holds any more
        raise
    return response


def fail():
    """The request's operation was refused: undo what it did now (the page may still read), and
    let nothing of it be committed at the end of the request."""
    db.session.rollback()
    g._unit_of_work_failed = True


def commit_now():
    """Commit the request's work before the answer is built.

    Used where the answer depends on the commit (a save is acknowledged only once it is stored)
    or where work must be kept although the answer is a refusal (the submit that crossing the
    deadline triggered stays, even when the save that noticed it is refused). Work done after
    this call is still committed or rolled back with the request.
    """
    db.session.commit()
