"""Recommendations (推荐验收): each district puts forward at least its quota of street, township
and community units and hands in their materials by the cycle's deadline; what is not handed in
by then is forfeited (逾期未报者视为放弃验收, 郑政办〔2005〕27号 二).

Services take plain values, flush and never commit; every change is audited, and the events that
matter to a unit's acceptance (handed in, forfeited) are entries of its accreditation record.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, select, update

from ...audit.services import record_change, register_actions
from ...clock import display_zone, utcnow
from ...cycles.models import AccreditationCycle, Decision, RecordEntry
from ...cycles.services import add_entry, record_for
from ...errors import DomainError
from ...extensions import db
from ...numbers import plain
from ...org.models import Unit, UnitKind
from .. import storage
from ..hearing.models import Hearing
from ..inspection.models import Inspection
from ..onsite.models import OnsiteCheck
from .models import Recommendation, RecommendationMaterial, RecommendationStatus

RECOMMEND_ACTION_LABELS = {
    "accreditation.recommend": "推荐验收单位",
    "accreditation.recommend_remove": "撤回推荐（未报送）",
    "accreditation.application": "修改推荐申请材料",
    "accreditation.material_upload": "上传推荐附件",
    "accreditation.material_delete": "删除推荐附件",
    "accreditation.submit": "报送推荐材料",
    "accreditation.forfeit": "逾期未报，视为放弃验收",
}
register_actions(RECOMMEND_ACTION_LABELS)

MAX_APPLICATION_LENGTH = 5000
MAX_MATERIALS = 20
MATERIAL_KINDS = ("pdf", "image", "office")
FORFEIT_TEXT = "逾期未报，视为放弃验收"


def max_material_bytes():
    """The cap of one attachment: ACCREDITATION_MAX_FILE_BYTES, by default the upload cap (a request
    larger than MAX_CONTENT_LENGTH never reaches the view)."""
    config = current_app.config
    return int(config.get("ACCREDITATION_MAX_FILE_BYTES") or config.get("UPLOAD_MAX_BYTES") or 8 * 1024 * 1024)


# --- quota and deadline -------------------------------------------------------------


def quota_for(share, unit_count):
    """At least ``share`` of the units, rounded up, computed exactly: 0.10 × 9 → 1, × 10 → 1, × 11 → 2."""
    return math.ceil(Decimal(share) * unit_count)


def share_percent(cycle):
    """The cycle's share as a percentage without trailing zeros: 0.100 → "10", 0.125 → "12.5"."""
    return plain(Decimal(cycle.recommendation_share) * 100)


def deadline_closes_at(cycle):
    """The first instant (UTC) after the deadline: 00:00 of the day after it in the display zone
    (Beijing time)."""
    local = datetime.combine(cycle.materials_deadline + timedelta(days=1), time(0), tzinfo=display_zone())
    return local.astimezone(UTC)


def is_open(cycle, now=None):
    """May materials still be handed in? Through 23:59:59.999… of the deadline day, Beijing time."""
    return (now or utcnow()) < deadline_closes_at(cycle)


def deadline_label(cycle):
    day = cycle.materials_deadline
    return f"{day.year}年{day.month}月{day.day}日 23:59（北京时间）"


def _require_open(cycle):
    if not is_open(cycle):
        raise DomainError(f"推荐材料报送已于 {deadline_label(cycle)} 截止，不能再推荐、修改或报送")


# --- the district's units and standing ------------------------------------------------


def district_units(district):
    """The district's active street, township and community units, by code (a street before its communities)."""
    return db.session.scalars(
        select(Unit)
        .where(
            Unit.kind.in_(UnitKind.ASSESSED),
            Unit.is_active.is_(True),
            Unit.path.startswith(district.path, autoescape=True),
        )
        .order_by(Unit.code)
    ).all()


class Standing:
    NO_UNITS = "no_units"
    NOT_SUBMITTED = "not_submitted"
    BELOW_QUOTA = "below_quota"
    QUOTA_MET = "quota_met"

    LABELS = {NO_UNITS: "无街道社区", NOT_SUBMITTED: "未报送", BELOW_QUOTA: "未达配额", QUOTA_MET: "已达配额"}


@dataclass
class DistrictCount:
    """A district's recommendations in a cycle against its quota."""

    district_id: int | None
    district_name: str
    units: int
    quota: int
    submitted: int = 0
    drafts: int = 0
    forfeited: int = 0

    @property
    def recommended(self):
        return self.submitted + self.drafts + self.forfeited

    @property
    def standing(self):
        if self.units == 0 and self.recommended == 0:
            return Standing.NO_UNITS
        if self.submitted == 0:
            return Standing.NOT_SUBMITTED
        return Standing.QUOTA_MET if self.submitted >= self.quota else Standing.BELOW_QUOTA

    @property
    def standing_label(self):
        return Standing.LABELS[self.standing]


def district_counts(cycle, district_id=None):
    """Every active district's count (or only ``district_id``'s), and the total row.

    Returns (rows, total); the total's quota is the sum of the districts' quotas.
    """
    districts = select(Unit).where(Unit.kind == UnitKind.DISTRICT).order_by(Unit.code)
    if district_id is not None:
        districts = districts.where(Unit.id == district_id)
    else:
        districts = districts.where(Unit.is_active.is_(True))
    districts = db.session.scalars(districts).all()
    assessed = Unit.__table__.alias("assessed")
    unit_counts = dict(
        db.session.execute(
            select(Unit.id, func.count(assessed.c.id))
            .join(assessed, assessed.c.path.like(Unit.path + "%"))
            .where(
                Unit.id.in_([d.id for d in districts]),
                assessed.c.kind.in_(UnitKind.ASSESSED),
                assessed.c.is_active.is_(True),
            )
            .group_by(Unit.id)
        ).all()
    )
    by_status = {}
    for d_id, status, n in db.session.execute(
        select(Recommendation.district_id, Recommendation.status, func.count(Recommendation.id))
        .where(Recommendation.cycle_id == cycle.id)
        .group_by(Recommendation.district_id, Recommendation.status)
    ):
        by_status[(d_id, status)] = n
    rows = []
    for district in districts:
        units = unit_counts.get(district.id, 0)
        rows.append(
            DistrictCount(
                district_id=district.id,
                district_name=district.name,
                units=units,
                quota=quota_for(cycle.recommendation_share, units),
                submitted=by_status.get((district.id, RecommendationStatus.SUBMITTED), 0),
                drafts=by_status.get((district.id, RecommendationStatus.DRAFT), 0),
                forfeited=by_status.get((district.id, RecommendationStatus.FORFEITED), 0),
            )
        )
    total = DistrictCount(
        district_id=None,
        district_name="合计",
        units=sum(r.units for r in rows),
        quota=sum(r.quota for r in rows),
        submitted=sum(r.submitted for r in rows),
        drafts=sum(r.drafts for r in rows),
        forfeited=sum(r.forfeited for r in rows),
    )
    return rows, total


def recommendations_of(cycle, district_id=None, status=None):
    query = (
        select(Recommendation)
        .join(Unit, Unit.id == Recommendation.unit_id)
        .where(Recommendation.cycle_id == cycle.id)
        .order_by(Unit.code)
    )
    if district_id is not None:
        query = query.where(Recommendation.district_id == district_id)
    if status is not None:
        query = query.where(Recommendation.status == status)
    return db.session.scalars(query).all()


def recommendation_of(record):
    """The recommendation behind an accreditation record, or None (for the record and decision pages)."""
    return db.session.scalar(select(Recommendation).where(Recommendation.record_id == record.id))


def material_problems(recommendation):
    """What a recommendation still lacks before it can be handed in (empty when complete)."""
    problems = []
    if not (recommendation.application_text or "").strip():
        problems.append("未填写申请材料")
    if not recommendation.materials:
        problems.append("未上传附件")
    if not recommendation.unit.is_active:
        problems.append("单位已停用")
    return problems


# --- changes by the district ------------------------------------------------------------


def _district_of(actor):
    district = actor.unit
    if district is None or district.kind != UnitKind.DISTRICT:
        raise DomainError("只有区县管理员可以推荐本区县的单位")
    return district


def _snapshot(recommendation):
    return {
        "cycle": recommendation.cycle.year if recommendation.cycle else None,
        "unit": recommendation.unit.code if recommendation.unit else None,
        "status": recommendation.status,
        "materials": len(recommendation.materials),
    }


def _label(recommendation):
    return f"{recommendation.cycle.year} 年 {recommendation.unit.code} {recommendation.unit.name}"


def recommend_unit(actor, cycle, unit):
    """Put ``unit`` forward for ``cycle`` as a draft of the actor's district."""
    district = _district_of(actor)
    _require_open(cycle)
    if not unit.is_within(district):
        raise DomainError(f"“{unit.name}”不属于{district.name}，不能推荐")
    if unit.kind not in UnitKind.ASSESSED:
        raise DomainError(f"“{unit.name}”是{unit.kind_label}级单位，只能推荐街道、乡镇或社区")
    if not unit.is_active:
        raise DomainError(f"“{unit.name}”已停用，不能推荐")
    existing = db.session.scalar(
        select(Recommendation).where(Recommendation.cycle_id == cycle.id, Recommendation.unit_id == unit.id)
    )
    if existing is not None:
        raise DomainError(f"“{unit.name}”已在本年度推荐名单中（{existing.status_label}）")
    record = record_for(cycle, unit.id, district.id)
    recommendation = Recommendation(
        cycle=cycle,
        cycle_id=cycle.id,
        unit=unit,
        unit_id=unit.id,
        district_id=district.id,
        record_id=record.id,
        status=RecommendationStatus.DRAFT,
        application_text="",
        recommended_by_id=actor.id,
    )
    db.session.add(recommendation)
    db.session.flush()
    record_change(
        actor,
        "accreditation.recommend",
        "recommendation",
        recommendation.id,
        label=_label(recommendation),
        after=_snapshot(recommendation),
        district_id=district.id,
    )
    return recommendation


def _require_draft(recommendation):
    if recommendation.status != RecommendationStatus.DRAFT:
        raise DomainError(f"“{recommendation.unit.name}”的推荐{recommendation.status_label}，材料已锁定，不能修改")
    _require_open(recommendation.cycle)


def remove_recommendation(actor, recommendation):
    """Withdraw a draft (not yet handed in): its attachments go, and its record if nothing else is on it."""
    _require_draft(recommendation)
    before, label = _snapshot(recommendation), _label(recommendation)
    recommendation_id, district_id, record = recommendation.id, recommendation.district_id, recommendation.record
    for material in list(recommendation.materials):
        storage.delete_after_commit(material.storage_name)
        db.session.delete(material)
    db.session.delete(recommendation)
    db.session.flush()
    if record is not None and _record_is_empty(record):
        db.session.delete(record)
        db.session.flush()
    record_change(
        actor,
        "accreditation.recommend_remove",
        "recommendation",
        recommendation_id,
        label=label,
        before=before,
        district_id=district_id,
    )


def _record_is_empty(record):
    """A record with no history, no exam result, no decision and no check made on it (created for a
    draft recommendation that is now withdrawn)."""
    if record.status or record.exam_id is not None or record.decision is not None:
        return False
    for model in (RecordEntry, Hearing, Inspection, OnsiteCheck):
        if db.session.scalar(select(model.id).where(model.record_id == record.id).limit(1)) is not None:
            return False
    return True


def update_application(actor, recommendation, text):
    """Set the application text (申请材料) of a draft."""
    _require_draft(recommendation)
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_APPLICATION_LENGTH:
        raise DomainError(f"申请材料不能超过 {MAX_APPLICATION_LENGTH} 个字（现有 {len(text)} 个字）", field="text")
    if text == recommendation.application_text:
        return False
    before = recommendation.application_text
    recommendation.application_text = text
    db.session.flush()
    record_change(
        actor,
        "accreditation.application",
        "recommendation",
        recommendation.id,
        label=_label(recommendation),
        before={"application_text": before},
        after={"application_text": text},
        district_id=recommendation.district_id,
    )
    return True


def add_material(actor, recommendation, file_storage):
    """Check and keep an attachment of a draft (PDF, image, office document, by content)."""
    _require_draft(recommendation)
    if len(recommendation.materials) >= MAX_MATERIALS:
        raise DomainError(f"每个推荐单位最多上传 {MAX_MATERIALS} 个附件", field="file")
    stored = storage.store_upload(file_storage, allowed_kinds=MATERIAL_KINDS, max_bytes=max_material_bytes())
    material = RecommendationMaterial(
        recommendation=recommendation,
        recommendation_id=recommendation.id,
        filename=stored.filename,
        file_type=stored.file_type,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        storage_name=stored.storage_name,
        uploaded_by_id=actor.id,
        uploaded_at=utcnow(),
    )
    db.session.add(material)
    db.session.flush()
    record_change(
        actor,
        "accreditation.material_upload",
        "recommendation_material",
        material.id,
        label=f"{_label(recommendation)}：{material.filename}",
        after={
            "filename": material.filename,
            "file_type": material.file_type,
            "size": material.size,
            "sha256": material.sha256,
        },
        district_id=recommendation.district_id,
    )
    return material


def remove_material(actor, material):
    """Delete an attachment of a draft (the file goes once the deletion commits)."""
    recommendation = material.recommendation
    _require_draft(recommendation)
    before = {
        "filename": material.filename,
        "file_type": material.file_type,
        "size": material.size,
        "sha256": material.sha256,
    }
    material_id, label = material.id, f"{_label(recommendation)}：{material.filename}"
    storage.delete_after_commit(material.storage_name)
    recommendation.materials.remove(material)
    db.session.delete(material)
    db.session.flush()
    record_change(
        actor,
        "accreditation.material_delete",
        "recommendation_material",
        material_id,
        label=label,
        before=before,
        district_id=recommendation.district_id,
    )


def submit_recommendations(actor, cycle):
    """Hand in every draft of the actor's district at once.

    Refused after the deadline, without a draft, when the district's recommendations would stay
    below its quota, or while a draft lacks its application text or an attachment (every problem
    is named). Each handed-in unit gets a "recommended" entry in its record; its materials lock.
    """
    district = _district_of(actor)
    _require_open(cycle)
    drafts = db.session.scalars(
        select(Recommendation)
        .join(Unit, Unit.id == Recommendation.unit_id)
        .where(
            Recommendation.cycle_id == cycle.id,
            Recommendation.district_id == district.id,
            Recommendation.status == RecommendationStatus.DRAFT,
        )
        .order_by(Unit.code)
        .with_for_update(of=Recommendation)
        .execution_options(populate_existing=True)
    ).all()
    if not drafts:
        raise DomainError("没有待报送的推荐单位：请先推荐单位并准备好材料")
    submitted = db.session.scalar(
        select(func.count(Recommendation.id)).where(
            Recommendation.cycle_id == cycle.id,
            Recommendation.district_id == district.id,
            Recommendation.status == RecommendationStatus.SUBMITTED,
        )
    )
    quota = quota_for(cycle.recommendation_share, len(district_units(district)))
    count = submitted + len(drafts)
    if count < quota:
        raise DomainError(
            f"推荐数 {count} 个，低于本区配额 {quota} 个（街道社区机构数的 {share_percent(cycle)}%，向上取整）"
        )
    problems = [f"{r.unit.name}：{'、'.join(p)}" for r in drafts if (p := material_problems(r))]
    if problems:
        raise DomainError("以下推荐单位的材料不完整，不能报送：" + "；".join(problems))
    now = utcnow()
    for recommendation in drafts:
        recommendation.status = RecommendationStatus.SUBMITTED
        recommendation.submitted_at, recommendation.submitted_by_id = now, actor.id
        add_entry(
            recommendation.record,
            actor,
            "recommended",
            text=f"{district.name}推荐验收，报送申请材料及附件 {len(recommendation.materials)} 份",
        )
        record_change(
            actor,
            "accreditation.submit",
            "recommendation",
            recommendation.id,
            label=_label(recommendation),
            before={"status": RecommendationStatus.DRAFT},
            after={"status": RecommendationStatus.SUBMITTED},
            district_id=district.id,
        )
    db.session.flush()
    return drafts


# --- the deadline passes ------------------------------------------------------------------


def forfeit_overdue(cycle):
    """After the deadline, every draft of ``cycle`` becomes forfeited, with a record entry and an
    audit entry. Idempotent (a draft is turned only once, even by two sweeps at the same time);
    returns the number forfeited now."""
    if is_open(cycle):
        return 0
    draft_ids = db.session.scalars(
        select(Recommendation.id).where(
            Recommendation.cycle_id == cycle.id, Recommendation.status == RecommendationStatus.DRAFT
        )
    ).all()
    now, done = utcnow(), 0
    for recommendation_id in draft_ids:
        turned = db.session.execute(
            update(Recommendation)
            .where(Recommendation.id == recommendation_id, Recommendation.status == RecommendationStatus.DRAFT)
            .values(status=RecommendationStatus.FORFEITED, forfeited_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if turned != 1:
            continue  # another sweep got there first
        recommendation = db.session.get(Recommendation, recommendation_id, populate_existing=True)
        add_entry(
            recommendation.record,
            None,
            "forfeited",
            status=Decision.FORFEITED,
            text=f"{FORFEIT_TEXT}（材料截止 {deadline_label(cycle)}，未报送）",
        )
        record_change(
            None,
            "accreditation.forfeit",
            "recommendation",
            recommendation.id,
            label=_label(recommendation),
            before={"status": RecommendationStatus.DRAFT},
            after={"status": RecommendationStatus.FORFEITED},
            reason=FORFEIT_TEXT,
            district_id=recommendation.district_id,
        )
        done += 1
    db.session.flush()
    return done


def forfeit_all_overdue():
    """``forfeit_overdue`` over every cycle whose deadline has passed: {year: number forfeited}."""
    done = {}
    for cycle in db.session.scalars(select(AccreditationCycle).order_by(AccreditationCycle.year)):
        if not is_open(cycle):
            done[cycle.year] = forfeit_overdue(cycle)
    return done
