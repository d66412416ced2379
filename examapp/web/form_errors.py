"""Showing a refused operation (a ``DomainError``) to the person who asked for it."""

from flask import flash

from .transaction import fail


def report(exc, form=None, fields=None, default=None):
    """Undo the request's work and show ``exc``: on the form field it names, when the form has it
    (``fields`` maps the service's names to the form's, e.g. ``{"parent": "parent_id"}``; a
    ``default`` field takes an error that names none), or else as a message at the top of the page."""
    fail()
    name = (fields or {}).get(exc.field, exc.field) or default
    field = getattr(form, name, None) if form is not None and name else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, exc.message]
    else:
        flash(exc.message, "danger")


def first_error(form):
    """The first message of an invalid form, for pages that show it as a flash."""
    for errors in form.errors.values():
        if errors:
            return errors[0]
    return "提交的内容无效"
