"""Permission-matrix rows for 二看 (inspection) and 三查 (on-site check) (merged by tests/test_permissions.py)."""

import io
import tempfile
from datetime import date

from flask import current_app
from werkzeug.datastructures import FileStorage

from examapp.accreditation import storage
from examapp.accreditation.checklist import NUMBER
from examapp.accreditation.inspection import services as inspection
from examapp.accreditation.onsite import services as onsite
from examapp.accreditation.onsite.people_sheet import id_check_character
from examapp.cycles.services import cycle_for_year, record_for
from examapp.extensions import db

VIEWERS = {"district_admin", "exam_admin", "office"}
CHECKERS = {"office"}

EXPECTED = {
    "accreditation_inspection.inspection": ("GET", VIEWERS),
    "accreditation_inspection.inspection_edit": ("GET", CHECKERS),
    "accreditation_inspection.inspection_print": ("GET", VIEWERS),
    "accreditation_inspection.inspection_photo": ("GET", VIEWERS),
    "accreditation_inspection.inspection_photo_upload": ("POST", CHECKERS),
    "accreditation_inspection.inspection_photo_remove": ("POST", CHECKERS),
    "accreditation_onsite.onsite": ("GET", VIEWERS),
    "accreditation_onsite.onsite_target": ("POST", CHECKERS),
    "accreditation_onsite.onsite_import": ("POST", CHECKERS),
    "accreditation_onsite.onsite_template": ("GET", CHECKERS),
    "accreditation_onsite.onsite_draw": ("POST", CHECKERS),
    "accreditation_onsite.onsite_verify": ("GET", CHECKERS),
    "accreditation_onsite.onsite_print": ("GET", VIEWERS),
    "accreditation_onsite.onsite_export": ("GET", VIEWERS),
}

_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _record(world):
    return record_for(cycle_for_year(2026), world.streets["a"].id, world.districts["a"].id)


def _photo_item(world):
    """District A's street with a recorded checklist whose vehicle item has a stored photo."""
    # the stored file must exist for the download; keep matrix files out of the instance folder
    current_app.config.setdefault("ACCREDITATION_UPLOAD_FOLDER", tempfile.mkdtemp(prefix="examapp-matrix-"))
    record = _record(world)
    answers = {
        item.code: inspection.Answer(value=item.threshold) if item.kind == NUMBER else inspection.Answer(checked=True)
        for item in inspection.items_for(record)
    }
    recorded = inspection.record_inspection(None, record, inspected_on=date(2026, 11, 15), answers=answers)
    row = next(i for i in recorded.items if i.code == "vehicle")
    stored = storage.store_upload(
        FileStorage(stream=io.BytesIO(_PNG), filename="车辆.png"), allowed_kinds={"image"}, max_bytes=1024
    )
    inspection.attach_photo(None, row, stored)
    return row


def _drawn_check(world):
    """District A's street with a target, a list of three and a drawn sample."""
    record = _record(world)
    check = onsite.set_target(None, record, 3)
    rows = []
    for n in range(3):
        first17 = f"41010219900101{n:03d}"
        rows.append(
            {
                "_row": n + 2,
                "姓名": f"人员{n}",
                "身份证号": first17 + id_check_character(first17),
                "就业单位": "某公司",
                "就业日期": "2026-05-01",
            }
        )
    onsite.import_people(None, check, "名单.xlsx", rows)
    onsite.draw_sample(None, check)
    db.session.flush()
    return record


def url_params(endpoint, world, user):
    """Concrete URL arguments (objects inside district A). Called inside a request context."""
    if endpoint == "accreditation_onsite.onsite_template":
        return {}
    if endpoint.startswith("accreditation_inspection.inspection_photo"):
        return {"item_id": _photo_item(world).id}
    if endpoint.startswith("accreditation_inspection.inspection"):
        return {"record_id": _record(world).id}
    if endpoint in (
        "accreditation_onsite.onsite",
        "accreditation_onsite.onsite_target",
        "accreditation_onsite.onsite_import",
    ):
        return {"record_id": _record(world).id}
    return {"record_id": _drawn_check(world).id}
