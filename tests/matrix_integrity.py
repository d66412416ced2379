"""Permission-matrix rows for the integrity findings pages (merged by tests/test_permissions.py)."""

from examapp.extensions import db
from examapp.integrity.models import Finding, FindingKind

from . import exam_factories

#: the findings show names, answers and the key: the office and exam admins; examinees never
VIEWERS = {"exam_admin", "office"}
#: marking a finding reviewed: the office
REVIEWERS = {"office"}

#: endpoint -> (method, allowed roles); the role sets are those of tests/test_permissions.py
EXPECTED = {
    "integrity.exam": ("GET", VIEWERS),
    "integrity.compute": ("POST", VIEWERS),
    "integrity.finding": ("GET", VIEWERS),
    "integrity.review": ("POST", REVIEWERS),
    "integrity.export": ("GET", VIEWERS),
}


def url_params(endpoint, world, user):
    """A published exam, and for one finding a stored finding of it.

    Called inside a request context; the caller commits what is made here.
    """
    exam = exam_factories.exam(world, publish=True)
    params = {"exam_id": exam.id}
    if endpoint in ("integrity.finding", "integrity.review"):
        finding = Finding(
            exam_id=exam.id,
            kind=FindingKind.SPEED,
            key="speed:0",
            strength=5.0,
            level="medium",
            unit_ids=[],
            attempt_ids=[],
            summary="矩阵测试",
            evidence={"minutes": 1, "score": 100, "median_minutes": 40, "cutoff_minutes": 20, "z": 5, "sample": 30},
        )
        db.session.add(finding)
        db.session.flush()
        params["finding_id"] = finding.id
    return params
