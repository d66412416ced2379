"""Recommendations (推荐验收): the units a district puts forward for the year's cycle, and their materials."""

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ... import access
from ...audit.labels import register_value_labels
from ...clock import utcnow
from ...db_types import UTCDateTime
from ...extensions import db
from ...models_base import TimestampMixin


class RecommendationStatus:
    #: chosen by the district, materials being gathered; may still be removed
    DRAFT = "draft"
    #: handed in to the office before the deadline
    SUBMITTED = "submitted"
    #: not handed in by the deadline: 逾期未报者视为放弃验收
    FORFEITED = "forfeited"

    LABELS = {DRAFT: "待报送", SUBMITTED: "已报送", FORFEITED: "逾期未报（视为放弃）"}


class Recommendation(TimestampMixin, db.Model):
    """A unit a district recommends for acceptance in a cycle."""

    __tablename__ = "recommendations"
    __table_args__ = (UniqueConstraint("cycle_id", "unit_id", name="uq_recommendations_cycle_id_unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("accreditation_cycles.id"), nullable=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    #: the unit's district, for district admins' scope and the quota
    district_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("accreditation_records.id"), nullable=False, unique=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=RecommendationStatus.DRAFT)
    #: the application (申请材料): what the unit has done, in the district's words
    application_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    recommended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[object | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    forfeited_at: Mapped[object | None] = mapped_column(UTCDateTime)

    cycle = relationship("AccreditationCycle")
    unit = relationship("Unit", foreign_keys=[unit_id])
    district = relationship("Unit", foreign_keys=[district_id])
    record = relationship("AccreditationRecord")
    materials = relationship(
        "RecommendationMaterial", order_by="RecommendationMaterial.id", back_populates="recommendation"
    )

    @property
    def status_label(self):
        return RecommendationStatus.LABELS.get(self.status, self.status)


class RecommendationMaterial(db.Model):
    """An attachment of a recommendation (PDF, image, office document), stored outside the web root."""

    __tablename__ = "recommendation_materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("recommendations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    #: the name the uploader gave the file (shown, never used as a path)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    #: the type found in the content ("pdf", "png", "jpeg", "docx", "xlsx", ...), and its MIME type
    file_type: Mapped[str] = mapped_column(String(16), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    #: the stored file's name in the upload folder (random, never derived from the upload)
    storage_name: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    recommendation = relationship("Recommendation", back_populates="materials")
    uploaded_by = relationship("User")

    @property
    def district_id(self):
        return self.recommendation.district_id


register_value_labels("recommendation", "status", RecommendationStatus.LABELS)


@access.object_rule(Recommendation, RecommendationMaterial)
def _recommend_rule(user, permission, obj):
    # a recommendation and its materials, like the record it belongs to, is reached through its district
    return access.district_in_scope(user, obj.district_id)
