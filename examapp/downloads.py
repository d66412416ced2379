"""Sending spreadsheets to the browser (rows are built by each feature)."""

from flask import Response, abort

from .spreadsheets import mimetype_for, write_table

FORMATS = ("xlsx", "csv")


def send_spreadsheet(data, fmt, basename):
    return Response(
        data,
        mimetype=mimetype_for(fmt),
        headers={"Content-Disposition": f"attachment; filename={basename}.{fmt}"},
    )


def send_table(columns, rows, fmt, basename):
    """Neutralised xlsx/csv of ``rows`` as a download; 404 for an unknown format."""
    if fmt not in FORMATS:
        abort(404)
    return send_spreadsheet(write_table(list(columns), rows, fmt), fmt, basename)
