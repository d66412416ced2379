"""Permission-matrix rows for recommendations (merged by tests/test_permissions.py)."""

import io
import tempfile

from flask import current_app
from werkzeug.datastructures import FileStorage

from examapp.accreditation import storage
from examapp.accreditation.recommend.models import Recommendation, RecommendationMaterial
from examapp.cycles.services import cycle_for_year, record_for
from examapp.extensions import db

from .test_accreditation_storage import PDF as _PDF  # a real PDF: the upload check parses it

VIEWERS = {"district_admin", "exam_admin", "office"}
RECOMMENDERS = {"district_admin"}

EXPECTED = {
    "accreditation_recommend.recommendations": ("GET", VIEWERS),
    "accreditation_recommend.recommendations_print": ("GET", VIEWERS),
    "accreditation_recommend.recommend_district": ("GET", VIEWERS),
    "accreditation_recommend.recommend_unit": ("POST", RECOMMENDERS),
    "accreditation_recommend.submit_recommendations": ("POST", RECOMMENDERS),
    "accreditation_recommend.recommendation": ("GET", VIEWERS),
    "accreditation_recommend.recommendation_application": ("POST", RECOMMENDERS),
    "accreditation_recommend.recommendation_upload": ("POST", RECOMMENDERS),
    "accreditation_recommend.recommendation_material": ("GET", VIEWERS),
    "accreditation_recommend.recommendation_material_delete": ("POST", RECOMMENDERS),
    "accreditation_recommend.recommendation_remove": ("POST", RECOMMENDERS),
}


def _recommendation(world):
    """A draft recommendation of district A's community, with one stored PDF attachment."""
    # the stored file must exist for the download; keep matrix files out of the instance folder
    current_app.config.setdefault("ACCREDITATION_UPLOAD_FOLDER", tempfile.mkdtemp(prefix="examapp-matrix-"))
    cycle = cycle_for_year(2026)
    unit_id, district_id = world.communities["a"].id, world.districts["a"].id
    record = record_for(cycle, unit_id, district_id)
    rec = Recommendation(cycle_id=cycle.id, unit_id=unit_id, district_id=district_id, record_id=record.id)
    db.session.add(rec)
    db.session.flush()
    stored = storage.store_upload(
        FileStorage(stream=io.BytesIO(_PDF), filename="申请材料.pdf"), allowed_kinds=("pdf",), max_bytes=1024
    )
    material = RecommendationMaterial(
        recommendation_id=rec.id,
        filename=stored.filename,
        file_type=stored.file_type,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        storage_name=stored.storage_name,
    )
    db.session.add(material)
    db.session.flush()
    return rec, material


def url_params(endpoint, world, user):
    """Concrete URL arguments (objects inside district A). Called inside a request context."""
    if endpoint in ("accreditation_recommend.recommendations", "accreditation_recommend.recommendations_print"):
        return {}
    if endpoint == "accreditation_recommend.submit_recommendations":
        return {}
    if endpoint == "accreditation_recommend.recommend_district":
        return {"district_id": world.districts["a"].id}
    if endpoint == "accreditation_recommend.recommend_unit":
        return {"unit_id": world.streets["a"].id}
    rec, material = _recommendation(world)
    params = {"recommendation_id": rec.id}
    if endpoint in (
        "accreditation_recommend.recommendation_material",
        "accreditation_recommend.recommendation_material_delete",
    ):
        params["material_id"] = material.id
    return params
