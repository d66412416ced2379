"""Whole numbers from a request, within what the database's integer columns hold.

PostgreSQL's ``integer`` ends at 2,147,483,647 and refuses a larger parameter outright (a server
error), where SQLite's integers are 64-bit. So a number in an address (``<int:...>``, replaced
app-wide by ``DatabaseIntConverter``) larger than that is a 404, and a query parameter read with
``type=db_int`` is as if it were not given.
"""

from werkzeug.routing import IntegerConverter

#: the largest value of a database ``integer`` (PostgreSQL's int4)
DB_INT_MAX = 2**31 - 1


class DatabaseIntConverter(IntegerConverter):
    """``<int:...>`` with the database's largest integer as its default ``max``."""

    def __init__(self, map, fixed_digits=0, min=None, max=DB_INT_MAX, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=DB_INT_MAX if max is None else max, signed=signed)


def db_int(value):
    """``int(value)`` if the database can hold it; ValueError otherwise (``request.args.get(...,
    type=db_int)`` then gives its default)."""
    number = int(value)
    if not -DB_INT_MAX - 1 <= number <= DB_INT_MAX:
        raise ValueError("out of the database's integer range")
    return number


def is_db_int(value):
    """A JSON value that is a whole number the database can hold (not a bool, not a float)."""
    return type(value) is int and -DB_INT_MAX - 1 <= value <= DB_INT_MAX


def init_app(app):
    app.url_map.converters["int"] = DatabaseIntConverter


def parse_id(text):
    """A whole number the database can hold, from text of ASCII digits (``str.isdigit`` also takes
    "²" or "١", which ``int`` refuses), or None."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not text or len(text) > 10 or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= DB_INT_MAX else None
