"""一听: the satisfaction rate at the pass line, the hearing's record, and the residents' public questionnaire."""

import hashlib
import hmac
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy import func, select

from examapp.accreditation.hearing import services
from examapp.accreditation.hearing.models import Answer, Hearing, QuestionnaireResponse, SatisfactionSource
from examapp.audit.models import AuditEntry
from examapp.auth.models import User
from examapp.cycles.models import AccreditationRecord, RecordEntry
from examapp.cycles.services import cycle_for_year, record_for
from examapp.errors import DomainError
from examapp.extensions import db

from . import matrix_accreditation_hearing as matrix
from .conftest import csrf_token, login

YEAR = 2025
REPORT_DAY = "2025-11-14"
_addresses = iter(range(1, 250))


def _fresh_address():
    """A client address of its own for each test: the limiter's memory outlives a test's transaction."""
    return f"10.77.0.{next(_addresses)}"


# --- the figures -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "shown", "passed"),
    [
        ((10, 9, 0, 1), "90.00%", True),  # exactly the line passes
        ((10, 5, 4, 1), "90.00%", True),  # basically satisfied counts as satisfied
        ((1000, 899, 0, 101), "89.90%", False),
        ((10000, 8999, 0, 1001), "89.99%", False),  # just below the line
        ((100000, 89999, 0, 10001), "89.99%", False),  # 89.999% rounds to 90.00% but is shown 89.99% and fails
        ((3, 2, 0, 1), "66.66%", False),  # floored, never rounded up
        ((93, 80, 7, 6), "93.54%", True),
        ((7, 7, 0, 0), "100.00%", True),
        ((5, 0, 0, 5), "0.00%", False),
    ],
)
def test_the_rate_at_the_pass_line(counts, shown, passed):
    figures = services.validate_counts(*counts)
    assert figures.rate == Fraction(counts[1] + counts[2], counts[0])
    assert services.percent_shown(figures.rate) == shown
    assert services.is_passing(figures.rate, Decimal("0.900")) is passed
    # the stored figure (floored to six places) shows the same and is judged the same
    stored = services.floor_rate(figures.rate)
    assert stored <= Decimal(figures.rate.numerator) / Decimal(figures.rate.denominator)
    assert services.percent_shown(stored) == shown
    assert services.is_passing(stored, Decimal("0.900")) is passed


def test_stored_rate_is_floored_to_six_places():
    assert services.floor_rate(Fraction(2, 3)) == Decimal("0.666666")
    assert services.floor_rate(Fraction(899999, 1000000) + Fraction(9, 10**7)) == Decimal("0.899999")
    assert services.floor_rate(Fraction(1)) == Decimal("1.000000")


def test_the_line_is_shown_without_trailing_zeros():
    assert services.required_shown(Decimal("0.900")) == "90%"
    assert services.required_shown(Decimal("0.925")) == "92.5%"
    assert services.required_shown(Decimal("1.000")) == "100%"


@pytest.mark.parametrize(
    ("counts", "field", "message"),
    [
        ((0, 0, 0, 0), "asked", "调查人数应大于 0"),
        ((10, 5, 4, 0), "asked", "之和（9）应等于调查人数（10）"),
        ((10, 5, 4, 2), "asked", "之和（11）应等于调查人数（10）"),
        ((10, -1, 10, 1), "satisfied", "满意人数不能为负数"),
        ((-10, 0, 0, 0), "asked", "调查人数不能为负数"),
        ((None, 1, 1, 1), "asked", "请填写调查人数"),
        ((10, 5, None, 5), "basically_satisfied", "请填写基本满意人数"),
        ((10, 5.5, 4.5, 0), "satisfied", "满意人数应为整数"),
        ((10, "5", 4, 1), "satisfied", "满意人数应为整数"),
        ((True, 1, 0, 0), "asked", "调查人数应为整数"),
        ((10**6, 10**6, 0, 0), "asked", "调查人数不能超过"),
    ],
)
def test_survey_counts_are_validated(counts, field, message):
    with pytest.raises(DomainError) as caught:
        services.validate_counts(*counts)
    assert caught.value.field == field
    assert message in caught.value.message


# --- recording the hearing ------------------------------------------------------------


@pytest.fixture
def record_id(app, world):
    with app.app_context():
        record = record_for(cycle_for_year(YEAR), world.communities["a"].id, world.districts["a"].id)
        db.session.commit()
        return record.id


def _office(world):
    return db.session.get(User, world.accounts["office"].id)


def _survey(**overrides):
    data = {
        "report_date": REPORT_DAY,
        "report_summary": "社区劳动保障工作站建设情况汇报：就业再就业、社会保险、档案台账。",
        "source": SatisfactionSource.SURVEY,
        "asked": "93",
        "satisfied": "80",
        "basically_satisfied": "7",
        "dissatisfied": "6",
    }
    data.update(overrides)
    return data


def _post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/")})


def _hearing_entries(record_id):
    return db.session.scalars(
        select(RecordEntry).where(RecordEntry.record_id == record_id, RecordEntry.kind == "hearing")
    ).all()


def test_the_office_records_a_survey_and_the_record_says_why(app, world, as_role, record_id):
    office = as_role("office")
    response = _post(office, f"/accreditation/records/{record_id}/hearing", _survey())
    assert response.status_code == 302
    page = office.get(f"/accreditation/records/{record_id}/hearing").get_data(as_text=True)
    assert "93.54%" in page and "合格" in page
    with app.app_context():
        hearing = db.session.scalar(select(Hearing).where(Hearing.record_id == record_id))
        assert (hearing.asked, hearing.satisfied, hearing.basically_satisfied, hearing.dissatisfied) == (93, 80, 7, 6)
        assert hearing.satisfaction_rate == Decimal("0.935483")
        assert hearing.passed is True and hearing.report_date == date(2025, 11, 14)
        assert hearing.recorded_by_id == world.accounts["office"].id
        (entry,) = _hearing_entries(record_id)
        assert entry.status == "passed"
        assert entry.text == "满意率 93.54%（满意 80、基本满意 7、不满意 6，共 93 人），达到 90% 的要求"
        audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "hearing.record"))
        assert audit.object_id == str(hearing.id) and audit.district_id == world.districts["a"].id
        assert audit.after["satisfaction_rate"] == "0.935483" and audit.after["passed"] is True


def test_exactly_the_line_passes_and_just_below_fails_on_the_page(app, as_role, record_id):
    office = as_role("office")
    assert (
        _post(
            office,
            f"/accreditation/records/{record_id}/hearing",
            _survey(asked="1000", satisfied="850", basically_satisfied="50", dissatisfied="100"),
        ).status_code
        == 302
    )
    with app.app_context():
        record = db.session.get(AccreditationRecord, record_id)
        assert services.outcome(record).passed is True
        assert _hearing_entries(record_id)[-1].text.endswith("达到 90% 的要求")
    response = _post(
        office,
        f"/accreditation/records/{record_id}/hearing",
        _survey(
            asked="1000", satisfied="850", basically_satisfied="49", dissatisfied="101", reason="复核调查表，更正一份"
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        record = db.session.get(AccreditationRecord, record_id)
        result = services.outcome(record)
        assert result.passed is False
        assert result.summary == "满意率 89.90%（< 90%）"
        assert result.reasons == ["居民满意率 89.90%，未达到 90% 的要求"]
        last = _hearing_entries(record_id)[-1]
        assert last.status == "failed" and last.reason == "复核调查表，更正一份"
        assert last.text == "满意率 89.90%（满意 850、基本满意 49、不满意 101，共 1000 人），未达到 90% 的要求"
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "hearing.change")).reason == (
            "复核调查表，更正一份"
        )


def test_a_line_set_higher_in_the_cycle_is_applied(app, as_role, record_id):
    with app.app_context():
        cycle_for_year(YEAR).satisfaction_required = Decimal("0.950")
        db.session.commit()
    office = as_role("office")
    _post(office, f"/accreditation/records/{record_id}/hearing", _survey())
    with app.app_context():
        assert _hearing_entries(record_id)[-1].text.endswith("未达到 95% 的要求")
        assert services.outcome(db.session.get(AccreditationRecord, record_id)).passed is False


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"asked": "10", "satisfied": "5", "basically_satisfied": "4", "dissatisfied": "0"}, "应等于调查人数（10）"),
        ({"asked": "0", "satisfied": "0", "basically_satisfied": "0", "dissatisfied": "0"}, "调查人数应大于 0"),
        ({"satisfied": "-1", "basically_satisfied": "88"}, "满意人数应为 0 到"),
        ({"satisfied": "八十"}, "满意人数"),
        ({"satisfied": "80.5"}, "满意人数"),
        ({"dissatisfied": ""}, "请填写不满意人数"),
        ({"report_summary": "   "}, "请填写汇报要点"),
        ({"report_summary": "长" * 5001}, "汇报要点不能超过 5000 字"),
        ({"report_date": ""}, "请填写汇报日期"),
        ({"report_date": "2099-01-01"}, "汇报日期不能晚于今天"),
        ({"source": "telepathy"}, "居民满意度来源"),
        ({"source": SatisfactionSource.QUESTIONNAIRE}, "还没有开启居民问卷"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_written(app, as_role, record_id, overrides, message):
    office = as_role("office")
    response = _post(office, f"/accreditation/records/{record_id}/hearing", _survey(**overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Hearing).where(Hearing.record_id == record_id)) is None
        assert _hearing_entries(record_id) == []


def test_a_change_needs_a_reason_and_an_unchanged_save_writes_nothing(app, as_role, record_id):
    office = as_role("office")
    url = f"/accreditation/records/{record_id}/hearing"
    assert _post(office, url, _survey()).status_code == 302
    again = _post(office, url, _survey())
    assert again.status_code == 302
    assert "一听记录没有变化" in office.get(url).get_data(as_text=True)
    changed = _post(office, url, _survey(report_summary="补充：居民座谈会记录"))
    assert changed.status_code == 400
    assert "须填写修改原因" in changed.get_data(as_text=True)
    with app.app_context():
        assert len(_hearing_entries(record_id)) == 1
        hearing = db.session.scalar(select(Hearing).where(Hearing.record_id == record_id))
        assert hearing.report_summary.startswith("社区劳动保障工作站")


def test_outcome_before_anything_is_recorded(app, record_id):
    with app.test_request_context():
        result = services.outcome(db.session.get(AccreditationRecord, record_id))
    assert result.name == "一听" and result.passed is None
    assert result.reasons and result.url == f"/accreditation/records/{record_id}/hearing"


def test_viewers_see_the_page_but_only_the_office_records(app, world, as_role, record_id):
    url = f"/accreditation/records/{record_id}/hearing"
    assert as_role("district_admin").get(url).status_code == 200
    page = as_role("exam_admin").get(url).get_data(as_text=True)
    assert "尚未记录一听" in page and 'data-testid="hearing-form"' not in page
    assert _post(as_role("district_admin"), url, _survey()).status_code == 403
    assert _post(as_role("exam_admin"), url, _survey()).status_code == 403
    assert as_role("examinee").get(url).status_code == 403
    other = app.test_client()
    assert login(other, world.accounts["district_admin_b"].username).status_code == 302
    assert other.get(url).status_code == 404
    assert app.test_client().get(url).status_code == 302  # anonymous: to the login page
    with app.app_context():
        assert _hearing_entries(record_id) == []


# --- the public questionnaire ------------------------------------------------------------


@pytest.fixture
def questionnaire(app, as_role, record_id):
    """An open questionnaire: (office client, token)."""
    office = as_role("office")
    response = _post(office, f"/accreditation/records/{record_id}/hearing/questionnaire/open", {})
    assert response.status_code == 302
    with app.app_context():
        hearing = db.session.scalar(select(Hearing).where(Hearing.record_id == record_id))
        assert hearing.questionnaire_open and len(hearing.questionnaire_token) >= 22
        return office, hearing.questionnaire_token


def _resident(app, address=None):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address or _fresh_address()
    return client


def _answer(client, token, answer=Answer.SATISFIED, comment=""):
    path = f"/accreditation/q/{token}"
    token_value = csrf_token(client, "/login")  # the session's token; the questionnaire page carries the same
    return client.post(path, data={"answer": answer, "comment": comment, "csrf_token": token_value})


def _responses(record_id):
    return db.session.scalars(
        select(QuestionnaireResponse)
        .join(Hearing, Hearing.id == QuestionnaireResponse.hearing_id)
        .where(Hearing.record_id == record_id)
    ).all()


def test_a_resident_answers_without_logging_in(app, world, questionnaire, record_id):
    _office_client, token = questionnaire
    resident = _resident(app)
    page = resident.get(f"/accreditation/q/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="csrf_token"' in html
    assert world.communities["a"].name in html
    assert "对本社区（街道、乡镇）劳动保障工作是否满意？" in html
    assert all(label in html for label in ("满意", "基本满意", "不满意"))
    assert page.headers["Cache-Control"] == "no-store"
    cookie = next(c for c in page.headers.getlist("Set-Cookie") if c.startswith("examapp_device="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=" in cookie
    response = _answer(resident, token, Answer.BASIC, "希望延长周末办事时间 <script>x</script>")
    assert response.status_code == 303
    thanked = resident.get(response.headers["Location"]).get_data(as_text=True)
    assert "提交成功" in thanked and "本设备已提交过问卷" not in thanked
    assert 'data-testid="questionnaire-form"' not in thanked
    device = resident.get_cookie("examapp_device", path="/accreditation/q/").value
    with app.app_context():
        (saved,) = _responses(record_id)
        assert saved.answer == Answer.BASIC and saved.comment.startswith("希望延长")
        hearing = db.session.get(Hearing, saved.hearing_id)
        expected = hmac.new(
            b"test-secret-key", f"questionnaire:{hearing.id}:{device}".encode(), hashlib.sha256
        ).hexdigest()
        assert saved.device_key == expected and device not in saved.device_key
    office_page = _office_client.get(f"/accreditation/records/{record_id}/hearing").get_data(as_text=True)
    assert "希望延长周末办事时间 &lt;script&gt;" in office_page  # escaped


def test_one_response_per_device(app, questionnaire, record_id):
    _office_client, token = questionnaire
    resident = _resident(app)
    resident.get(f"/accreditation/q/{token}")
    assert _answer(resident, token).status_code == 303
    second = _answer(resident, token, Answer.DISSATISFIED)
    assert second.status_code == 409
    assert "本设备已提交过问卷，感谢参与" in second.get_data(as_text=True)
    again = resident.get(f"/accreditation/q/{token}").get_data(as_text=True)
    assert "本设备已提交过问卷" in again and 'data-testid="questionnaire-form"' not in again
    other_device = _resident(app)
    other_device.get(f"/accreditation/q/{token}")
    assert _answer(other_device, token, Answer.DISSATISFIED).status_code == 303
    with app.app_context():
        assert sorted(r.answer for r in _responses(record_id)) == [Answer.DISSATISFIED, Answer.SATISFIED]


def test_a_post_without_the_device_cookie_is_asked_again_not_counted(app, questionnaire, record_id):
    _office_client, token = questionnaire
    resident = _resident(app)
    resident.get(f"/accreditation/q/{token}")
    resident.delete_cookie("examapp_device", path="/accreditation/q/")
    response = _answer(resident, token)
    assert response.status_code == 400 and "Cookie" in response.get_data(as_text=True)
    assert any(c.startswith("examapp_device=") for c in response.headers.getlist("Set-Cookie"))
    assert _answer(resident, token).status_code == 303
    with app.app_context():
        assert len(_responses(record_id)) == 1


def test_the_questionnaire_needs_csrf_and_a_choice(app, questionnaire, record_id):
    _office_client, token = questionnaire
    resident = _resident(app)
    resident.get(f"/accreditation/q/{token}")
    no_csrf = resident.post(f"/accreditation/q/{token}", data={"answer": Answer.SATISFIED})
    assert no_csrf.status_code == 400
    no_choice = _answer(resident, token, answer="")
    assert no_choice.status_code == 400 and "请选择满意、基本满意或不满意" in no_choice.get_data(as_text=True)
    bad_choice = _answer(resident, token, answer="ecstatic")
    assert bad_choice.status_code == 400
    too_long = _answer(resident, token, comment="长" * 501)
    assert too_long.status_code == 400 and "意见和建议不能超过 500 字" in too_long.get_data(as_text=True)
    with app.app_context():
        assert _responses(record_id) == []


def test_a_closed_or_unknown_link_shows_a_friendly_404(app, questionnaire, record_id):
    office, token = questionnaire
    resident = _resident(app)
    resident.get(f"/accreditation/q/{token}")
    closed = _post(office, f"/accreditation/records/{record_id}/hearing/questionnaire/close", {})
    assert closed.status_code == 302
    page = resident.get(f"/accreditation/q/{token}")
    assert page.status_code == 404 and "问卷已关闭或链接无效" in page.get_data(as_text=True)
    late = resident.post(f"/accreditation/q/{token}", data={"answer": Answer.SATISFIED, "csrf_token": "x"})
    assert late.status_code in (400, 404)
    unknown = resident.get("/accreditation/q/not-a-real-token")
    assert unknown.status_code == 404 and "问卷已关闭或链接无效" in unknown.get_data(as_text=True)
    # reopening keeps the printed link working
    assert _post(office, f"/accreditation/records/{record_id}/hearing/questionnaire/open", {}).status_code == 302
    assert resident.get(f"/accreditation/q/{token}").status_code == 200
    with app.app_context():
        assert _responses(record_id) == []
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("questionnaire.%")).order_by(AuditEntry.id)
        ).all()
        assert actions == ["questionnaire.open", "questionnaire.close", "questionnaire.open"]


def test_a_submission_after_closing_is_refused(app, questionnaire, record_id):
    office, token = questionnaire
    resident = _resident(app)
    path = f"/accreditation/q/{token}"
    value = csrf_token(resident, path)
    _post(office, f"/accreditation/records/{record_id}/hearing/questionnaire/close", {})
    late = resident.post(path, data={"answer": Answer.SATISFIED, "csrf_token": value})
    assert late.status_code == 404 and "问卷已关闭" in late.get_data(as_text=True)
    with app.app_context():
        assert _responses(record_id) == []


def test_a_flood_from_one_address_is_refused(app, monkeypatch, questionnaire, record_id):
    monkeypatch.setitem(app.config, "QUESTIONNAIRE_RESPONSES_PER_ADDRESS", 3)
    _office_client, token = questionnaire
    address = _fresh_address()
    for _ in range(3):
        device = _resident(app, address)
        device.get(f"/accreditation/q/{token}")
        assert _answer(device, token).status_code == 303
    flood = _resident(app, address)
    flood.get(f"/accreditation/q/{token}")
    refused = _answer(flood, token)
    assert refused.status_code == 429
    body = refused.get_data(as_text=True)
    assert "提交过于频繁" in body and "10 分钟内最多提交 3 份问卷" in body
    elsewhere = _resident(app)
    elsewhere.get(f"/accreditation/q/{token}")
    assert _answer(elsewhere, token).status_code == 303
    with app.app_context():
        assert len(_responses(record_id)) == 4


def test_the_limit_defaults_to_thirty_per_ten_minutes(app, questionnaire):
    with app.app_context():
        limiter = services.questionnaire_limiter()
        assert limiter.per_address() == 30 and limiter.window_minutes() == 10
        address = _fresh_address()
        assert all(limiter.hit(address) for _ in range(30))
        assert limiter.hit(address) is False
        limiter.clear(address)
        assert limiter.hit(address) is True


def test_the_hearing_records_the_questionnaires_counts(app, as_role, questionnaire, record_id):
    office, token = questionnaire
    for answer in [Answer.SATISFIED] * 7 + [Answer.BASIC] * 2 + [Answer.DISSATISFIED]:
        resident = _resident(app)
        resident.get(f"/accreditation/q/{token}")
        assert _answer(resident, token, answer).status_code == 303
    page = office.get(f"/accreditation/records/{record_id}/hearing").get_data(as_text=True)
    assert 'data-testid="questionnaire-responses">10<' in page
    response = _post(
        office,
        f"/accreditation/records/{record_id}/hearing",
        _survey(
            source=SatisfactionSource.QUESTIONNAIRE, asked="", satisfied="", basically_satisfied="", dissatisfied=""
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        hearing = db.session.scalar(select(Hearing).where(Hearing.record_id == record_id))
        assert (hearing.asked, hearing.satisfied, hearing.basically_satisfied, hearing.dissatisfied) == (10, 7, 2, 1)
        assert hearing.source == SatisfactionSource.QUESTIONNAIRE and hearing.passed is True
        assert hearing.satisfaction_rate == Decimal("0.900000")
        assert not hearing.questionnaire_open  # the recorded figures are final
        assert _hearing_entries(record_id)[-1].text == (
            "满意率 90.00%（满意 7、基本满意 2、不满意 1，共 10 人），达到 90% 的要求"
        )
    late = _resident(app)
    assert late.get(f"/accreditation/q/{token}").status_code == 404


def test_recording_from_a_questionnaire_without_answers_is_refused(app, questionnaire, record_id):
    office, _token = questionnaire
    response = _post(
        office,
        f"/accreditation/records/{record_id}/hearing",
        _survey(
            source=SatisfactionSource.QUESTIONNAIRE, asked="", satisfied="", basically_satisfied="", dissatisfied=""
        ),
    )
    assert response.status_code == 400 and "问卷还没有收到答卷" in response.get_data(as_text=True)
    with app.app_context():
        assert _hearing_entries(record_id) == []


def test_the_office_prints_a_qr_code_made_locally(app, world, as_role, questionnaire, record_id):
    office, token = questionnaire
    printed = office.get(f"/accreditation/records/{record_id}/hearing/questionnaire/print")
    assert printed.status_code == 200
    html = printed.get_data(as_text=True)
    assert f"http://localhost/accreditation/q/{token}" in html
    assert f"/accreditation/records/{record_id}/hearing/questionnaire/qr.svg" in html
    assert "http" not in re.sub(
        r"http://localhost/accreditation/q/\S+|xmlns=\"http://www.w3.org/2000/svg\"",
        "",
        re.search(r"<img[^>]*data-testid=\"print-qr\"[^>]*>", html).group(0),
    )
    qr = office.get(f"/accreditation/records/{record_id}/hearing/questionnaire/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    assert b"<svg" in qr.data and b"<script" not in qr.data
    # the link and the code are the office's: viewers see the counts, not the secret link
    viewer = as_role("district_admin")
    assert viewer.get(f"/accreditation/records/{record_id}/hearing/questionnaire/qr.svg").status_code == 403
    assert token not in viewer.get(f"/accreditation/records/{record_id}/hearing").get_data(as_text=True)


def test_no_qr_code_before_a_questionnaire_is_opened(as_role, record_id):
    office = as_role("office")
    assert office.get(f"/accreditation/records/{record_id}/hearing/questionnaire/qr.svg").status_code == 404
    assert office.get(f"/accreditation/records/{record_id}/hearing/questionnaire/print").status_code == 404


def test_a_race_for_the_same_device_keeps_one_response(app, questionnaire, record_id):
    _office_client, token = questionnaire
    with app.app_context():
        hearing = db.session.scalar(select(Hearing).where(Hearing.record_id == record_id))
        key = services.device_key(hearing, "d" * 43)
        db.session.add(QuestionnaireResponse(hearing_id=hearing.id, answer=Answer.SATISFIED, device_key=key))
        db.session.flush()
        # a request that checked before the other one's row existed still ends in AlreadyResponded
        original = services.has_responded
        try:
            services.has_responded = lambda *_args: False
            with pytest.raises(services.AlreadyResponded):
                services.submit_response(hearing, answer=Answer.BASIC, comment="", device=key, address="10.1.1.1")
        finally:
            services.has_responded = original
        count = db.session.scalar(
            select(func.count())
            .select_from(QuestionnaireResponse)
            .where(QuestionnaireResponse.hearing_id == hearing.id)
        )
        assert count == 1


# --- the permission rows ----------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(matrix.EVERYONE))
@pytest.mark.parametrize("endpoint", sorted(matrix.EXPECTED))
def test_permission_rows(app, world, endpoint, role):
    from flask import url_for

    method, allowed = matrix.EXPECTED[endpoint]
    client = app.test_client()
    user = None
    if role != "anonymous":
        user = world.accounts[role]
        assert login(client, user.username).status_code == 302
    with app.test_request_context():
        url = url_for(endpoint, **matrix.url_params(endpoint, world, user))
        db.session.commit()
    if method == "GET":
        response = client.get(url)
    else:
        token = csrf_token(client, "/") if role != "anonymous" else csrf_token(client, "/login")
        response = client.post(url, data={"csrf_token": token, "reason": "矩阵测试"})
    location = response.headers.get("Location", "")
    if role in allowed:
        assert response.status_code not in (401, 403, 404), response.status_code
        assert "/login" not in location
    elif role == "anonymous":
        assert response.status_code == 302 and "/login" in location
    else:
        assert response.status_code == 403


def test_every_hearing_endpoint_has_a_row(app):
    mine = {e for e in app.view_functions if e.startswith("accreditation_hearing.")}
    assert mine == set(matrix.EXPECTED)


def test_report_date_uses_shanghai_today(app, clock, record_id, world):
    # 2025-11-14 16:30 UTC is already 15 November in Shanghai
    clock.set(datetime(2025, 11, 14, 16, 30, tzinfo=UTC))
    with app.app_context():
        record = db.session.get(AccreditationRecord, record_id)
        office = _office(world)
        services.record_hearing(
            office,
            record,
            report_date=date(2025, 11, 15),
            report_summary="汇报",
            source=SatisfactionSource.SURVEY,
            counts=(10, 9, 0, 1),
        )
        with pytest.raises(DomainError, match="不能晚于今天"):
            services.record_hearing(
                office,
                record,
                report_date=date(2025, 11, 16),
                report_summary="汇报",
                source=SatisfactionSource.SURVEY,
                counts=(10, 9, 0, 1),
                reason="改期",
            )
        db.session.rollback()
