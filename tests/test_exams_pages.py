"""The exam administration pages: settings, paper, preview, roster, publishing and exam-day paperwork."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from examapp.audit.models import AuditEntry
from examapp.auth.models import Role, User
from examapp.bank.content import QType
from examapp.bank.models import Question
from examapp.bank.services import get_category_by_name
from examapp.exams.models import BlueprintRow, Exam, ExamStatus, PaperMode, RosterEntry
from examapp.extensions import db
from examapp.sitting.models import Attempt
from examapp.sitting.services import start_attempt
from examapp.staff.services import update_user

from . import exam_factories
from .conftest import TEST_PASSWORD, login, post


@pytest.fixture
def admin(client, world):
    assert login(client, "admin").status_code == 302
    return client


@pytest.fixture
def jinshui(app, world):
    c = app.test_client()
    assert login(c, "jinshui").status_code == 302
    return c


@pytest.fixture
def make_exam(app, world):
    """Build an exam through the services (committed); returns its id."""

    def _make(roster=True, publish=False, **overrides):
        with app.app_context():
            category = get_category_by_name("社会保险")  # the small bank, once built
            exam = exam_factories.exam(world if roster else None, publish=publish, category=category, **overrides)
            db.session.commit()
            return exam.id

    return _make


def text(response):
    return response.get_data(as_text=True)


def load_exam(app, exam_id):
    with app.app_context():
        exam = db.session.get(Exam, exam_id)
        snapshot = {
            "status": exam.status,
            "title": exam.title,
            "duration": exam.duration_minutes,
            "opens_at": exam.opens_at,
            "rows": [(r.qtype, r.count, r.points) for r in exam.blueprint_rows],
            "fixed": [(i.question_version_id, i.points) for i in exam.fixed_items],
            "paper_mode": exam.paper_mode,
            "closes_at": exam.closes_at,
        }
        db.session.remove()
        return snapshot


def exam_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Exam))


def roster_of(app, exam_id):
    with app.app_context():
        rows = db.session.execute(
            select(User.username, RosterEntry.unit_id, RosterEntry.district_id)
            .join(RosterEntry.user)
            .where(RosterEntry.exam_id == exam_id)
        ).all()
        return {username: (unit_id, district_id) for username, unit_id, district_id in rows}


def settings_form(**overrides):
    values = {
        "title": "2026 年度业务知识闭卷考试",
        "instructions": "闭卷作答。",
        "opens_at": "2026-05-08T09:00",
        "closes_at": "2026-05-08T11:00",
        "duration_minutes": "90",
        "grace_seconds": "60",
        "shuffle_questions": "y",
        "shuffle_options": "y",
        "multiple_mode": "all_or_nothing",
        "release_mode": "after_close",
        "access_code": "",
        "ip_allowlist": "",
        "departure_limit": "0",
        "cycle_year": "2026",
        "paper_mode": "blueprint",
    }
    values.update(overrides)
    return values


def blueprint_form(category_id, rows):
    data = {}
    for i, (qtype, count, points) in enumerate(rows):
        data.update(
            {
                f"rows-{i}-category_id": str(category_id),
                f"rows-{i}-qtype": qtype,
                f"rows-{i}-difficulty": "",
                f"rows-{i}-count": str(count),
                f"rows-{i}-points": str(points),
            }
        )
    return data


def category_of(app, exam_id):
    """The small bank's category, which the factory's exam draws from."""
    with app.app_context():
        return db.session.scalar(select(BlueprintRow.category_id).where(BlueprintRow.exam_id == exam_id))


# --- who sees what ----------------------------------------------------------------------


PAGES = {
    "/exams/": {"exam_admin", "district_admin", "office"},
    "/exams/new": {"exam_admin"},
    "/exams/{id}": {"exam_admin", "district_admin", "office"},
    "/exams/{id}/edit": {"exam_admin"},
    "/exams/{id}/paper": {"exam_admin"},
    "/exams/{id}/paper/fixed": {"exam_admin"},
    "/exams/{id}/preview": {"exam_admin"},
    "/exams/{id}/roster": {"exam_admin", "district_admin", "office"},
    "/exams/{id}/paperwork": {"exam_admin", "district_admin"},
    "/exams/{id}/paperwork/{unit}/sign-in": {"exam_admin", "district_admin"},
}


@pytest.mark.parametrize("role", ["exam_admin", "district_admin", "office", "examinee"])
def test_pages_render_for_the_right_roles(app, world, make_exam, role):
    exam_id = make_exam()
    client = app.test_client()
    assert login(client, world.accounts[role].username).status_code == 302
    for path, allowed in PAGES.items():
        url = path.format(id=exam_id, unit=world.communities["a"].id)
        response = client.get(url)
        if role in allowed:
            assert response.status_code == 200, url
            assert "2026 年度劳动保障业务知识闭卷考试" in text(response) or url.endswith("/new") or url == "/exams/"
        else:
            assert response.status_code == 403, url


def test_nav_and_home_link_to_exams(admin, jinshui, app, world):
    assert 'href="/exams/"' in text(admin.get("/"))
    assert 'href="/exams/"' in text(jinshui.get("/"))
    examinee = app.test_client()
    login(examinee, "kaosheng")
    assert 'href="/exams/"' not in text(examinee.get("/"))


def test_list_counts_only_the_district_admins_rows(admin, jinshui, make_exam):
    make_exam()  # the whole city: kaosheng (金水区) and kaosheng2 (二七区)
    counts = re.findall(r'data-testid="roster-count">(\d+)<', text(admin.get("/exams/")))
    assert counts == ["2"]
    page = text(jinshui.get("/exams/"))
    assert re.findall(r'data-testid="roster-count">(\d+)<', page) == ["1"] and "本区名单人数" in page
    assert "新建考试" not in page


def test_detail_shows_settings_paper_roster_and_actions(admin, jinshui, app, make_exam):
    exam_id = make_exam()
    page = text(admin.get(f"/exams/{exam_id}"))
    assert "60 分钟" in page and "社会保险" in page and 'data-testid="roster-total">2<' in page
    assert "发布考试" in page and "publish-problems" not in page
    assert ("monitor" in page) == ("monitor.exam" in app.view_functions)
    district_view = text(jinshui.get(f"/exams/{exam_id}"))
    assert 'data-testid="roster-total">1<' in district_view and "发布考试" not in district_view
    assert "二七区" not in district_view


# --- settings -----------------------------------------------------------------------------


def test_create_exam_stores_beijing_time_as_utc(app, admin):
    response = post(admin, "/exams/new", settings_form(access_code="A1B2"), page="/exams/new")
    assert response.status_code == 302
    exam_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    with app.app_context():
        exam = db.session.get(Exam, exam_id)
        assert exam.opens_at == datetime(2026, 5, 8, 1, 0, tzinfo=UTC)
        assert exam.closes_at == datetime(2026, 5, 8, 3, 0, tzinfo=UTC)
        assert exam.status == ExamStatus.DRAFT and exam.cycle.year == 2026 and exam.access_code == "A1B2"
        assert db.session.scalar(select(AuditEntry).filter_by(action="exam.create", object_id=str(exam_id)))
    page = text(admin.get(f"/exams/{exam_id}"))
    assert "2026-05-08 09:00 至 11:00" in page
    edit = text(admin.get(f"/exams/{exam_id}/edit"))
    assert 'value="2026-05-08T09:00"' in edit


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"closes_at": "2026-05-08T08:00"}, "closes_at", "关闭时间必须晚于开放时间"),
        ({"duration_minutes": "150"}, "duration_minutes", "考试时长 150 分钟超过了开放时段（120 分钟）"),
        ({"title": "  "}, "title", "请填写考试名称"),
        ({"ip_allowlist": "10.1.0.0/16\nnot-a-network"}, "ip_allowlist", "不是有效的 IP 地址或网段"),
        ({"opens_at": "明天上午"}, "opens_at", "请按“年-月-日 时:分”填写时间"),
        ({"grace_seconds": "9999"}, "grace_seconds", "宽限时间应在 0 到 600 秒之间"),
    ],
)
def test_bad_settings_rerender_with_the_error_on_its_field(app, admin, overrides, field, message):
    before = exam_count(app)
    response = post(admin, "/exams/new", settings_form(**overrides), page="/exams/new")
    assert response.status_code == 400
    page = text(response)
    assert re.search(rf'id="{field}-err">[^<]*{re.escape(message)}', page), page
    assert exam_count(app) == before


def test_published_exam_edits_only_title_and_instructions(app, admin, make_exam):
    exam_id = make_exam(publish=True)
    form_page = text(admin.get(f"/exams/{exam_id}/edit"))
    assert re.search(
        r'<input[^>]*disabled[^>]*id="duration_minutes"|<input[^>]*id="duration_minutes"[^>]*disabled', form_page
    )
    assert not re.search(r'<input[^>]*id="title"[^>]*disabled', form_page)
    # disabled inputs are not sent; a tampered value is ignored rather than applied
    response = post(
        admin,
        f"/exams/{exam_id}/edit",
        {"title": "更名后的考试", "instructions": "新的须知", "duration_minutes": "5"},
        page=f"/exams/{exam_id}/edit",
    )
    assert response.status_code == 302
    after = load_exam(app, exam_id)
    assert after["title"] == "更名后的考试" and after["duration"] == 60 and after["status"] == ExamStatus.PUBLISHED


# --- the paper --------------------------------------------------------------------------


def test_blueprint_saves_and_shows_the_total(app, admin, make_exam):
    exam_id = make_exam(roster=False)
    category_id = category_of(app, exam_id)
    rows = [(QType.SINGLE, 5, 10), (QType.MULTIPLE, 2, 15), (QType.JUDGE, 2, 10)]
    response = post(admin, f"/exams/{exam_id}/paper", {**blueprint_form(category_id, rows), "action": "save"})
    assert response.status_code == 302
    assert load_exam(app, exam_id)["rows"] == [("single", 5, 10), ("multiple", 2, 15), ("judge", 2, 10)]
    page = text(admin.get(f"/exams/{exam_id}/paper"))
    assert 'data-testid="blueprint-total">100<' in page and 'data-testid="bank-availability"' in page


def test_add_row_rerenders_with_one_more_row(app, admin, make_exam):
    exam_id = make_exam(roster=False)
    category_id = category_of(app, exam_id)
    rows = [(QType.SINGLE, 4, 10), (QType.MULTIPLE, 2, 15)]
    response = post(admin, f"/exams/{exam_id}/paper", {**blueprint_form(category_id, rows), "action": "add_row"})
    assert response.status_code == 200
    page = text(response)
    assert page.count("<tr data-row") == 3
    assert 'data-testid="blueprint-total">70<' in page
    assert load_exam(app, exam_id)["rows"] == [("single", 4, 10), ("multiple", 2, 15), ("judge", 3, 10)]


@pytest.mark.parametrize("action", ["remove_row-0", "remove_row-²", "remove_row-99999999999", "remove_row-7"])
def test_remove_row_rerenders_without_that_row_and_a_tampered_one_removes_nothing(app, admin, make_exam, action):
    exam_id = make_exam(roster=False)
    category_id = category_of(app, exam_id)
    rows = [(QType.SINGLE, 4, 10), (QType.MULTIPLE, 2, 15)]
    response = post(admin, f"/exams/{exam_id}/paper", {**blueprint_form(category_id, rows), "action": action})
    assert response.status_code == 200
    page = text(response)
    assert page.count("<tr data-row") == (1 if action == "remove_row-0" else 2)
    assert 'data-testid="blueprint-total">{}<'.format(30 if action == "remove_row-0" else 70) in page


def test_blueprint_not_totalling_100_writes_nothing(app, admin, make_exam):
    exam_id = make_exam(roster=False)
    before = load_exam(app, exam_id)["rows"]
    category_id = category_of(app, exam_id)
    rows = [(QType.SINGLE, 4, 10), (QType.MULTIPLE, 2, 15), (QType.JUDGE, 2, 10)]
    response = post(admin, f"/exams/{exam_id}/paper", {**blueprint_form(category_id, rows), "action": "save"})
    assert response.status_code == 400
    assert "试卷总分为 90 分，必须正好是 100 分" in text(response)
    assert load_exam(app, exam_id)["rows"] == before


def test_blueprint_beyond_the_bank_names_the_row_and_the_shortfall(app, admin, make_exam):
    exam_id = make_exam(roster=False)
    before = load_exam(app, exam_id)["rows"]
    category_id = category_of(app, exam_id)  # 6 published questions of each type
    rows = [(QType.JUDGE, 3, 10), (QType.SINGLE, 10, 4), (QType.MULTIPLE, 2, 15)]
    response = post(admin, f"/exams/{exam_id}/paper", {**blueprint_form(category_id, rows), "action": "save"})
    assert response.status_code == 400
    errors = re.findall(r'data-testid="row-error">([^<]+)<', text(response))
    assert errors == ["第 2 行（社会保险·单选·不限难度）需要 10 道题，题库中只有 6 道已发布的题，差 4 道"]
    assert load_exam(app, exam_id)["rows"] == before


def test_bad_row_values_are_reported_per_row(app, admin, make_exam):
    exam_id = make_exam(roster=False)
    category_id = category_of(app, exam_id)
    data = blueprint_form(category_id, [(QType.SINGLE, "abc", 10), (QType.JUDGE, 10, "1.234")])
    data["rows-1-category_id"] = ""
    response = post(admin, f"/exams/{exam_id}/paper", {**data, "action": "save"})
    assert response.status_code == 400
    errors = re.findall(r'data-testid="row-error">([^<]+)<', text(response))
    assert "第 1 行：题数应为 1 到 200 的整数" in errors
    assert "第 2 行：请选择题库中存在的知识点分类" in errors
    assert "第 2 行：每题分值应为大于 0、最多两位小数的数" in errors


def test_editing_a_published_paper_is_refused(app, admin, make_exam):
    exam_id = make_exam(publish=True)
    before = load_exam(app, exam_id)
    page = text(admin.get(f"/exams/{exam_id}/paper"))
    assert "考试已发布，试卷不能再修改" in page and "<fieldset disabled" in page
    category_id = category_of(app, exam_id)
    rows = [(QType.SINGLE, 5, 10), (QType.MULTIPLE, 2, 15), (QType.JUDGE, 2, 10)]
    response = post(admin, f"/exams/{exam_id}/paper", {**blueprint_form(category_id, rows), "action": "save"})
    assert response.status_code == 400
    assert "考试已发布，试卷不能再修改" in text(response)
    assert load_exam(app, exam_id) == before


def test_fixed_paper_by_question_ids(app, admin, make_exam):
    exam_id = make_exam(roster=False)
    with app.app_context():
        ids = db.session.scalars(select(Question.id).order_by(Question.id).limit(10)).all()
    data = {"action": "save"}
    for i, question_id in enumerate(ids):
        data.update({f"items-{i}-question_id": str(question_id), f"items-{i}-points": "10"})
    data.update({"items-10-question_id": "999999", "items-10-points": "10"})
    refused = post(admin, f"/exams/{exam_id}/paper/fixed", data)
    assert refused.status_code == 400 and "试题编号“999999”在题库中不存在" in text(refused)
    assert load_exam(app, exam_id)["paper_mode"] == PaperMode.BLUEPRINT
    del data["items-10-question_id"], data["items-10-points"]
    assert post(admin, f"/exams/{exam_id}/paper/fixed", data).status_code == 302
    saved = load_exam(app, exam_id)
    assert saved["paper_mode"] == PaperMode.FIXED and len(saved["fixed"]) == 10
    page = text(admin.get(f"/exams/{exam_id}/paper/fixed"))
    assert 'data-testid="fixed-total">100<' in page


def test_fixed_paper_bulk_add_fills_the_table(app, admin, make_exam):
    exam_id = make_exam(roster=False)
    response = post(
        admin, f"/exams/{exam_id}/paper/fixed", {"action": "bulk_add", "bulk_ids": "1, 2\n3", "bulk_points": "5"}
    )
    assert response.status_code == 200
    page = text(response)
    assert page.count('name="items-') == 3 * 2 and 'data-testid="fixed-total">15<' in page


# --- preview ------------------------------------------------------------------------------


def test_preview_draws_a_paper_as_examinees_see_it_and_saves_nothing(app, admin, make_exam):
    exam_id = make_exam()
    first = text(admin.get(f"/exams/{exam_id}/preview?seed=7"))
    again = text(admin.get(f"/exams/{exam_id}/preview?seed=7"))

    def without_csrf(page):  # a CSRF token is signed with the second it was issued in
        return re.sub(r'name="csrf_token" value="[^"]*"', "", page)

    assert without_csrf(first) == without_csrf(again)
    assert first.count('data-testid="question-card"') == 9 and "管理员预览" in first
    assert "一、单选题（共 4 题，40 分）" in first and "二、多选题（共 2 题，30 分）" in first
    # every 单选 of the small bank answers "十五日" (option B): the key follows the shuffled letters
    cards = first.split('data-testid="question-card"')[1:]
    singles = [c for c in cards if "单选题" in c[:400]]
    assert len(singles) == 4
    for card in singles:
        key = re.search(r"正确答案：<strong>([A-F]+)</strong>", card).group(1)
        assert re.search(rf">{key}\. 十五日<", card), card
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_preview_lists_paper_problems_instead_of_a_paper(app, admin):
    response = post(admin, "/exams/new", settings_form(), page="/exams/new")
    exam_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    page = text(admin.get(f"/exams/{exam_id}/preview"))
    assert "组卷规则还没有任何一行" in page and 'data-testid="question-card"' not in page


# --- publishing and closing ----------------------------------------------------------------


def test_publishing_with_an_empty_roster_is_refused(app, admin, make_exam):
    exam_id = make_exam(roster=False)
    page = text(admin.get(f"/exams/{exam_id}"))
    assert "考试名单中还没有任何人" in page
    response = post(admin, f"/exams/{exam_id}/publish")
    assert response.status_code == 400
    assert re.search(r'data-testid="refused">.*考试名单中还没有任何人', text(response), re.S)
    assert load_exam(app, exam_id)["status"] == ExamStatus.DRAFT


def test_publish_then_close_after_the_window(app, admin, make_exam, clock, world):
    exam_id = make_exam()
    response = post(admin, f"/exams/{exam_id}/publish")
    assert response.status_code == 302
    assert load_exam(app, exam_id)["status"] == ExamStatus.PUBLISHED
    with app.app_context():
        start_attempt(db.session.get(Exam, exam_id), db.session.get(User, world.accounts["examinee"].id))
        db.session.commit()
    early = post(admin, f"/exams/{exam_id}/close")
    assert early.status_code == 400 and "还有 1 人正在作答" in text(early)
    clock.advance(hours=3)
    assert "结束考试" in text(admin.get(f"/exams/{exam_id}"))
    assert post(admin, f"/exams/{exam_id}/close").status_code == 302
    assert load_exam(app, exam_id)["status"] == ExamStatus.CLOSED


def test_an_exam_nobody_is_sitting_can_end_before_its_window(app, admin, make_exam, clock):
    exam_id = make_exam()
    post(admin, f"/exams/{exam_id}/publish")
    closes_at = load_exam(app, exam_id)["closes_at"]
    assert post(admin, f"/exams/{exam_id}/close").status_code == 302
    exam = load_exam(app, exam_id)
    assert exam["status"] == ExamStatus.CLOSED and exam["closes_at"] < closes_at  # nobody can start any more
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "exam.close"))
        assert "提前结束" in entry.reason


# --- roster -------------------------------------------------------------------------------


def test_roster_add_by_district_adds_everyone_under_it_with_frozen_unit(app, admin, world, make, make_exam):
    exam_id = make_exam(roster=False)
    street_person = make.user(Role.EXAMINEE, world.streets["a"], username="jiedao01")
    make.user(Role.EXAMINEE, world.communities["a"], username="shequ02")
    with app.app_context():
        disabled = db.session.get(User, make.user(Role.EXAMINEE, world.communities["a"], username="tingyong").id)
        disabled.is_enabled = False
        db.session.commit()
    response = post(admin, f"/exams/{exam_id}/roster/add", {"unit_id": world.districts["a"].id})
    assert response.status_code == 302
    roster = roster_of(app, exam_id)
    district_a = world.districts["a"].id
    assert roster == {
        "kaosheng": (world.communities["a"].id, district_a),
        "jiedao01": (world.streets["a"].id, district_a),
        "shequ02": (world.communities["a"].id, district_a),
    }
    # a later transfer leaves the roster's unit as it was
    with app.app_context():
        person = db.session.get(User, street_person.id)
        update_user(
            None, person, name=person.name, role=person.role, unit=db.session.merge(world.communities["b"]), phone=None
        )
        db.session.commit()
    assert roster_of(app, exam_id)["jiedao01"] == (world.streets["a"].id, district_a)
    page = text(admin.get(f"/exams/{exam_id}/roster"))
    assert "jiedao01" in page and "已调动" in page
    again = post(admin, f"/exams/{exam_id}/roster/add", {"unit_id": world.districts["a"].id}, follow_redirects=True)
    assert "所选人员都已在名单中" in text(again)


def test_roster_add_by_username_refuses_unknown_names_and_non_examinees(app, admin, world, make_exam):
    exam_id = make_exam(roster=False)
    response = post(admin, f"/exams/{exam_id}/roster/add", {"usernames": "kaosheng\nnobody01"})
    assert response.status_code == 400 and "以下用户名不存在：nobody01" in text(response)
    response = post(admin, f"/exams/{exam_id}/roster/add", {"usernames": "kaosheng, jinshui"})
    assert response.status_code == 400 and "不是考生" in text(response)
    empty = post(admin, f"/exams/{exam_id}/roster/add", {})
    assert empty.status_code == 400 and "请选择单位，或填写要加入的用户名" in text(empty)
    assert roster_of(app, exam_id) == {}
    assert post(admin, f"/exams/{exam_id}/roster/add", {"usernames": "KaoSheng kaosheng2"}).status_code == 302
    assert set(roster_of(app, exam_id)) == {"kaosheng", "kaosheng2"}


def test_roster_search_and_unit_filter(admin, world, make_exam):
    exam_id = make_exam()
    by_name = text(admin.get(f"/exams/{exam_id}/roster?q=kaosheng2"))
    assert "kaosheng2" in by_name and ">kaosheng<" not in by_name
    by_unit = text(admin.get(f"/exams/{exam_id}/roster?unit={world.districts['a'].id}"))
    assert ">kaosheng<" in by_unit and "kaosheng2" not in by_unit


def entry_id_of(app, exam_id, username):
    with app.app_context():
        return db.session.scalar(
            select(RosterEntry.id)
            .join(RosterEntry.user)
            .where(RosterEntry.exam_id == exam_id, User.username == username)
        )


def test_roster_remove_needs_a_reason_and_refuses_people_who_started(app, admin, world, make_exam):
    exam_id = make_exam(publish=True)
    first, second = entry_id_of(app, exam_id, "kaosheng"), entry_id_of(app, exam_id, "kaosheng2")
    no_reason = post(admin, f"/exams/{exam_id}/roster/remove", {"entry_ids": [first]})
    assert no_reason.status_code == 400 and "请填写移出名单的原因" in text(no_reason)
    with app.app_context():
        start_attempt(db.session.get(Exam, exam_id), db.session.get(User, world.accounts["examinee_b"].id))
        db.session.commit()
    started = post(admin, f"/exams/{exam_id}/roster/remove", {"entry_ids": [first, second], "reason": "调离"})
    assert started.status_code == 400 and "已经开始答题" in text(started)
    assert set(roster_of(app, exam_id)) == {"kaosheng", "kaosheng2"}
    done = post(admin, f"/exams/{exam_id}/roster/remove", {"entry_ids": [first], "reason": "调离本岗位"})
    assert done.status_code == 302
    assert set(roster_of(app, exam_id)) == {"kaosheng2"}
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).filter_by(action="exam.roster_remove", object_id=str(exam_id)))
        assert entry.reason == "调离本岗位"


def test_district_admin_sees_only_own_rows_and_404_for_other_districts(app, jinshui, world, make_exam):
    exam_id = make_exam()
    page = text(jinshui.get(f"/exams/{exam_id}/roster"))
    assert ">kaosheng<" in page and "kaosheng2" not in page and "roster-add" not in page
    own, other = entry_id_of(app, exam_id, "kaosheng"), entry_id_of(app, exam_id, "kaosheng2")
    assert jinshui.get(f"/exams/{exam_id}/roster/{own}").status_code == 200
    assert jinshui.get(f"/exams/{exam_id}/roster/{other}").status_code == 404
    assert jinshui.get(f"/exams/{exam_id}/roster?unit={world.communities['b'].id}").status_code == 404
    unit_b = world.communities["b"].id
    assert jinshui.get(f"/exams/{exam_id}/paperwork/{unit_b}/sign-in").status_code == 404
    with app.app_context():
        hash_before = db.session.get(User, world.accounts["examinee_b"].id).password_hash
    assert jinshui.get(f"/exams/{exam_id}/paperwork/{unit_b}/tickets").status_code == 404
    assert post(jinshui, f"/exams/{exam_id}/paperwork/{unit_b}/passwords", {"reason": "x"}).status_code == 404
    with app.app_context():
        assert db.session.get(User, world.accounts["examinee_b"].id).password_hash == hash_before
    paperwork = text(jinshui.get(f"/exams/{exam_id}/paperwork"))
    assert "金水区第一社区" in paperwork and "二七区" not in paperwork


def test_an_entry_of_another_exam_is_not_found(app, admin, make_exam):
    first, second = make_exam(), make_exam()
    entry = entry_id_of(app, second, "kaosheng")
    assert admin.get(f"/exams/{first}/roster/{entry}").status_code == 404
    assert post(admin, f"/exams/{first}/roster/remove", {"entry_ids": [entry], "reason": "x"}).status_code == 404


# --- paperwork ----------------------------------------------------------------------------


def issued_passwords(response):
    page = text(response)
    names = re.findall(r'data-testid="ticket-username">([^<]+)<', page)
    passwords = re.findall(r'data-testid="ticket-password">([^<]+)<', page)
    return dict(zip(names, passwords, strict=True))


def issue(client, exam_id, unit_id, entry_ids=None, reason="遗失准考证", **kwargs):
    """Issue new first-login passwords to ``entry_ids`` (every row under the unit when None)."""
    if entry_ids is None:
        page = text(client.get(f"/exams/{exam_id}/paperwork/{unit_id}/passwords"))
        entry_ids = re.findall(r'name="entry_ids" value="(\d+)"[^>]*checked', page)
    return post(
        client, f"/exams/{exam_id}/paperwork/{unit_id}/passwords", {"entry_ids": entry_ids, "reason": reason}, **kwargs
    )


def test_tickets_issue_working_first_login_passwords_and_reissuing_voids_them(app, world, jinshui, make_exam):
    exam_id = make_exam(access_code="KS2026")
    unit = world.communities["a"].id
    confirm = text(jinshui.get(f"/exams/{exam_id}/paperwork/{unit}/passwords"))
    assert "金水区 / 金水区第一街道 / 金水区第一社区" in confirm and "kaosheng" in confirm
    assert "此前打印的全部准考证上的密码都将作废" in confirm
    response = issue(jinshui, exam_id, unit)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = text(response)
    assert "本页只显示这一次" in page and "KS2026" in page and "金水区 / 金水区第一街道 / 金水区第一社区" in page
    first = issued_passwords(response)
    assert list(first) == ["kaosheng"]

    examinee = app.test_client()
    assert login(examinee, "kaosheng", TEST_PASSWORD).status_code == 401  # the old password is gone
    signed_in = login(examinee, "kaosheng", first["kaosheng"])
    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith("/account/password")

    second = issued_passwords(issue(jinshui, exam_id, unit))
    assert second["kaosheng"] != first["kaosheng"]
    assert examinee.get("/").status_code == 302  # issuing again ended the session
    assert login(app.test_client(), "kaosheng", first["kaosheng"]).status_code == 401
    assert login(app.test_client(), "kaosheng", second["kaosheng"]).status_code == 302
    with app.app_context():
        assert db.session.get(User, world.accounts["examinee"].id).must_change_password
        entries = db.session.scalars(
            select(AuditEntry).filter_by(action="exam.passwords_issued", object_id=str(exam_id))
        ).all()
        assert len(entries) == 2 and entries[0].after["issued"] == ["kaosheng"]
        assert entries[0].district_id == world.districts["a"].id and entries[0].reason == "遗失准考证"
        resets = db.session.scalars(select(AuditEntry).filter_by(action="user.password_reset")).all()
        assert len(resets) == 2 and "遗失准考证" in resets[0].reason


def test_printing_tickets_changes_no_password(app, world, admin, make_exam):
    first_exam, second_exam = make_exam(), make_exam()
    unit = world.communities["a"].id
    issued = issued_passwords(issue(admin, first_exam, unit))
    with app.app_context():
        hashes = {u.id: u.password_hash for u in db.session.scalars(select(User))}
    for exam_id in (first_exam, second_exam, first_exam):
        response = admin.get(f"/exams/{exam_id}/paperwork/{unit}/tickets")
        assert response.status_code == 200
        page = text(response)
        assert 'data-testid="ticket-password"' not in page and "使用" in page and "发放的初始密码" in page
        assert re.search(r'data-testid="ticket-number">\d{13}<', page)
    with app.app_context():
        assert {u.id: u.password_hash for u in db.session.scalars(select(User))} == hashes
        resets = select(func.count()).select_from(AuditEntry).filter_by(action="user.password_reset")
        assert db.session.scalar(resets) == 1  # the issue, none for the prints
    # the password issued for the first exam still logs in after printing both exams' tickets
    assert login(app.test_client(), "kaosheng", issued["kaosheng"]).status_code == 302


def test_issuing_needs_a_reason_and_someone_chosen(app, world, admin, make_exam):
    exam_id = make_exam()
    unit = world.communities["a"].id
    with app.app_context():
        hash_before = db.session.get(User, world.accounts["examinee"].id).password_hash
    assert "请填写重新发放初始密码的原因" in text(issue(admin, exam_id, unit, reason=""))
    assert "请勾选要重新发放初始密码的人员" in text(issue(admin, exam_id, unit, entry_ids=[]))
    with app.app_context():
        assert db.session.get(User, world.accounts["examinee"].id).password_hash == hash_before


def test_tickets_for_a_district_cover_every_unit_under_it(app, admin, world, make, make_exam):
    make.user(Role.EXAMINEE, world.streets["a"], username="jiedao01")
    exam_id = make_exam()
    response = issue(admin, exam_id, world.districts["a"].id)
    assert set(issued_passwords(response)) == {"kaosheng", "jiedao01"}


def test_tickets_skip_people_who_have_started(app, admin, world, make_exam):
    exam_id = make_exam(publish=True)
    with app.app_context():
        start_attempt(db.session.get(Exam, exam_id), db.session.get(User, world.accounts["examinee"].id))
        hash_before = db.session.get(User, world.accounts["examinee"].id).password_hash
        db.session.commit()
        entry_ids = [str(e.id) for e in db.session.scalars(select(RosterEntry).filter_by(exam_id=exam_id))]
    # the started person's box is disabled on the page; a forged post naming them keeps their password
    response = issue(admin, exam_id, world.city.id, entry_ids=entry_ids)
    assert set(issued_passwords(response)) == {"kaosheng2"}
    assert "已经开始答题，没有重新生成密码" in text(response)
    with app.app_context():
        assert db.session.get(User, world.accounts["examinee"].id).password_hash == hash_before


def test_no_tickets_after_the_exam_or_for_an_empty_unit(app, admin, world, make, make_exam, clock):
    empty_unit = make.unit("community", world.streets["a"], name="空社区")
    exam_id = make_exam()
    assert "没有人在本场考试的名单中" in text(admin.get(f"/exams/{exam_id}/paperwork/{empty_unit.id}/passwords"))
    unit = world.communities["a"].id
    entry_ids = re.findall(
        r'name="entry_ids" value="(\d+)"', text(admin.get(f"/exams/{exam_id}/paperwork/{unit}/passwords"))
    )
    clock.advance(hours=3)
    response = issue(admin, exam_id, unit, entry_ids=entry_ids)
    assert response.status_code == 400 and "考试已结束，不再发放准考证" in text(response)


def test_sign_in_sheet_lists_the_units_roster(admin, world, make_exam):
    exam_id = make_exam()
    page = text(admin.get(f"/exams/{exam_id}/paperwork/{world.districts['b'].id}/sign-in"))
    assert 'data-testid="sign-in"' in page and "kaosheng2" in page and ">kaosheng<" not in page
    assert "本人签名" in page and "签到时间" in page


def test_exam_window_shown_in_beijing_time(app, admin, make_exam):
    opens = datetime(2026, 5, 8, 1, 0, tzinfo=UTC)
    make_exam(opens_at=opens, closes_at=opens + timedelta(hours=2))
    assert "2026-05-08 09:00 至 11:00" in text(admin.get("/exams/"))


# --- overlapping blueprint rows ---------------------------------------------------------


def test_a_paper_that_passes_the_checks_draws_for_every_seed(ctx):
    """Rows "5 单选 of any difficulty" then "3 难 单选" overlap: drawn in that order, the first row could
    take the hard questions the second needs (it did for seed 1); the narrower row draws first instead.
    """
    from examapp.bank.content import Difficulty
    from examapp.bank.models import Status
    from examapp.exams.paper import draw_paper
    from examapp.exams.services import create_exam, set_blueprint

    from . import bank_factories as bank

    category = bank.category("劳动保障监察")
    for i in range(10):
        difficulty = Difficulty.HARD if i in (1, 3, 5, 7) else Difficulty.EASY
        bank.question(category, status=Status.PUBLISHED, stem=f"重叠抽题单选第{i}题：（  ）", difficulty=difficulty)
    for i in range(2):
        bank.question(
            category, status=Status.PUBLISHED, qtype=QType.JUDGE, stem=f"重叠抽题判断第{i}题。", options=[], answer="T"
        )
    exam = create_exam(None, exam_factories.settings())
    rows = [
        {"category_id": category.id, "qtype": QType.SINGLE, "difficulty": None, "count": 5, "points": "10"},
        {"category_id": category.id, "qtype": QType.SINGLE, "difficulty": Difficulty.HARD, "count": 3, "points": "10"},
        {"category_id": category.id, "qtype": QType.JUDGE, "difficulty": None, "count": 2, "points": "10"},
    ]
    set_blueprint(None, exam, rows)
    for seed in range(50):
        paper = draw_paper(exam, seed)  # what start_attempt does for each examinee
        assert len({q.version_id for q in paper}) == 10
