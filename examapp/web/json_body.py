"""The one place that reads a JSON request body: every JSON endpoint, and every form posted as JSON.

A body is taken only when it is a JSON object (not a list, a string, a number), nested no deeper
than ``MAX_DEPTH`` and without NaN or Infinity. Anything else is a 400 with a reason, never a 500:
Werkzeug's own parser lets a deeply nested body raise RecursionError, and Flask-WTF hands a list
body to a MultiDict that cannot take it. The body's size is bounded before parsing by
MAX_CONTENT_LENGTH (a larger body is a 413, see examapp.home.errors).
"""

import json

from flask import abort, jsonify, request
from flask_wtf.form import SUBMIT_METHODS, _Auto
from werkzeug.datastructures import MultiDict

#: how deep objects and lists may nest in a body; the page's largest (a submit) nests 4 levels
MAX_DEPTH = 20

INVALID = "请求格式无效"

_MISSING = object()


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def _depth(value):
    """How deep lists and objects nest in ``value`` (0 for a plain value), without recursion."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        level += 1
        if level > deepest:
            deepest = level
            if deepest > MAX_DEPTH:
                return deepest
        stack.extend((child, level) for child in children)
    return deepest


def _parsed():
    """The request's body as parsed JSON, or None when it is not JSON or not acceptable (cached)."""
    cached = request.environ.get("examapp.json_body", _MISSING)
    if cached is not _MISSING:
        return cached
    value = None
    if request.is_json:
        data = request.get_data(cache=True)  # a body past MAX_CONTENT_LENGTH raises 413 here
        try:
            value = json.loads(data, parse_constant=_refuse_constant)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            value = None
        if value is not None and _depth(value) > MAX_DEPTH:
            value = None
    request.environ["examapp.json_body"] = value
    return value


def json_object():
    """The request body as a dict, or None (no body, not JSON, not an object, too deeply nested)."""
    value = _parsed()
    return value if isinstance(value, dict) else None


def bad_request(message=INVALID, reason="invalid"):
    """The JSON answer to a body the endpoint will not take."""
    return jsonify({"status": 400, "reason": reason, "error": message}), 400


def require_json_object():
    """The request body as a dict; anything else ends the request with the JSON 400."""
    payload = json_object()
    if payload is None:
        response, status = bad_request()
        response.status_code = status
        abort(response)
    return payload


def json_formdata():
    """A form's data from a JSON body, for Flask-WTF's ``wrap_formdata``.

    Each key carries its value as sent: a list stays one value (a field that expects a string
    then refuses it) instead of becoming several values of which the first is taken.
    """
    return MultiDict([(key, value) for key, value in require_json_object().items()])


class JsonFormMeta:
    """A form Meta that reads a JSON body through ``json_formdata`` (Flask-WTF's own reading turns
    a list body into a 500 and a list value into its first element)."""

    def wrap_formdata(self, form, formdata):
        if formdata is _Auto and request and request.method in SUBMIT_METHODS and request.is_json:
            return json_formdata()
        return super().wrap_formdata(form, formdata)
