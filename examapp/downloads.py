"""Sending spreadsheets to the browser (rows are built by each feature, written by ``spreadsheets``)."""

from flask import Response, abort

from .spreadsheets import mimetype_for, write_table

FORMATS = ("xlsx", "csv")


def send_spreadsheet(data, fmt, basename):
    return Response(
        data,
        mimetype=mimetype_for(fmt),
        headers={"Content-Disposition": f"attachment; filename={basename}.{fmt}"},
    )


def send_table(columns, rows, fmt, basename, *, sheet_name="数据", title_lines=()):
    """Neutralised xlsx/csv of ``rows`` as a download; 404 for an unknown format.

    The xlsx is one sheet named ``sheet_name`` with ``title_lines`` above its header (an import
    template has none, so its header is row 1); the CSV is always the plain table, header first.
    """
    if fmt not in FORMATS:
        abort(404)
    data = write_table(list(columns), rows, fmt, sheet_name=sheet_name, title_lines=title_lines)
    return send_spreadsheet(data, fmt, basename)
