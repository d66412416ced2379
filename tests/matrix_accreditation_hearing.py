"""Permission-matrix rows for 一听: the hearing page, its recording and questionnaire controls (the office),
and the residents' public questionnaire (anyone, no login). Merged by tests/test_permissions.py."""

from examapp.accreditation.hearing import services as hearing_services
from examapp.cycles.services import cycle_for_year, record_for
from examapp.extensions import db

VIEWERS = {"district_admin", "exam_admin", "office"}
CHECKERS = {"office"}
EVERYONE = {"anonymous", "examinee", "district_admin", "exam_admin", "office"}

EXPECTED = {
    "accreditation_hearing.hearing": ("GET", VIEWERS),
    "accreditation_hearing.hearing_record": ("POST", CHECKERS),
    "accreditation_hearing.hearing_open_questionnaire": ("POST", CHECKERS),
    "accreditation_hearing.hearing_close_questionnaire": ("POST", CHECKERS),
    "accreditation_hearing.hearing_questionnaire_print": ("GET", CHECKERS),
    "accreditation_hearing.hearing_qr": ("GET", CHECKERS),
    "accreditation_hearing.questionnaire": ("GET", EVERYONE),
    "accreditation_hearing.questionnaire_submit": ("POST", EVERYONE),
}


def url_params(endpoint, world, user):
    """Concrete URL arguments: a record of a community in district A whose questionnaire is open.
    Called inside a request context."""
    record = record_for(cycle_for_year(2026), world.communities["a"].id, world.districts["a"].id)
    hearing = hearing_services.hearing_of(record)
    if hearing is None:
        hearing = hearing_services.open_questionnaire(None, record)
    elif not hearing.questionnaire_open:
        hearing.open_questionnaire(hearing_services.new_token())
    db.session.flush()
    if endpoint in ("accreditation_hearing.questionnaire", "accreditation_hearing.questionnaire_submit"):
        return {"token": hearing.questionnaire_token}
    return {"record_id": record.id}
