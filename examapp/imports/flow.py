"""The upload -> preview -> confirm flow shared by every spreadsheet import."""

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, redirect, render_template, request, url_for
from flask_login import current_user

from ..downloads import send_table
from ..errors import NotFound
from ..spreadsheets import SpreadsheetError, read_table
from .forms import ConfirmForm, UploadForm
from .services import get_staged, mark_applied, stage_rows


@dataclass
class ImportFlow:
    kind: str
    title: str
    columns: dict
    check_rows: Callable
    apply_plan: Callable
    example_rows: list
    preview_columns: list  # (heading, plan key)
    upload_endpoint: str
    preview_endpoint: str
    template_endpoint: str
    back_endpoint: str
    #: paragraphs of help on the upload page, after the list of columns
    notes: tuple = ()

    def template_response(self, fmt):
        """The import template (headers and example rows) as a download."""
        name = self.title.removeprefix("导入") + "导入模板"  # header first: the file is filled in and uploaded
        return send_table(self.columns, self.example_rows, fmt, f"{self.kind}_template", sheet_name=name)

    def upload(self):
        """GET shows the form; POST parses, validates and stages, or lists the problems."""
        form = UploadForm()
        problems = []
        status = 200
        if form.validate_on_submit():
            upload = form.file.data
            data = upload.read(current_app.config["UPLOAD_MAX_BYTES"] + 1)
            try:
                rows = read_table(
                    upload.filename,
                    data,
                    self.columns,
                    max_bytes=current_app.config["UPLOAD_MAX_BYTES"],
                    max_rows=current_app.config["UPLOAD_MAX_ROWS"],
                )
            except SpreadsheetError as exc:
                problems = exc.problems
            else:
                actor = current_user._get_current_object()
                _plan, problems = self.check_rows(actor, rows)
                if not problems:
                    batch = stage_rows(actor, self.kind, upload.filename, rows)
                    return redirect(url_for(self.preview_endpoint, token=batch.token))
            status = 422
        elif request.method == "POST":
            status = 400
        return render_template("imports/upload.html", flow=self, form=form, problems=problems), status

    def preview(self, token, on_applied):
        """GET shows what will happen; POST re-checks against the database and applies all or nothing."""
        actor = current_user._get_current_object()
        try:
            batch = get_staged(actor, self.kind, token)
        except NotFound as exc:
            return render_template("home/error.html", status=404, message=exc.message), 404
        form = ConfirmForm()
        plan, problems = self.check_rows(actor, batch.rows)
        if batch.applied_at is not None:
            problems = []
        if request.method == "POST" and form.validate_on_submit() and not problems and batch.applied_at is None:
            result = self.apply_plan(actor, plan, batch.filename)
            mark_applied(batch)
            return on_applied(result, batch)
        status = 422 if problems else 200
        return render_template(
            "imports/preview.html",
            flow=self,
            form=form,
            batch=batch,
            plan=plan,
            problems=problems,
        ), status
