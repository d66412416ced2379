"""The bank's pages: exam admins only; list, authoring with preview, history, bulk status, overview."""

import io
import re

import pytest
from sqlalchemy import func, select

from examapp.bank.importing import COLUMNS
from examapp.bank.models import Question, QuestionCategory, QuestionVersion, Status
from examapp.extensions import db
from examapp.spreadsheets import read_table

from . import bank_factories as bank
from .conftest import csrf_token, login, post


@pytest.fixture
def admin(client, world):
    assert login(client, "admin").status_code == 302
    return client


@pytest.fixture
def make_bank(app):
    return bank.BankFactory(app)


def page_of(response):
    return response.get_data(as_text=True)


def form_fields(**overrides):
    values = {
        "qtype": "single",
        "difficulty": "easy",
        "stem": "新建的单选题：工伤认定申请应在（  ）内提出。",
        "option_A": "15日",
        "option_B": "30日",
        "option_C": "60日",
        "option_D": "",
        "option_E": "",
        "option_F": "",
        "correct": "B",
        "explanation": "",
        "source": "《工伤保险条例》第十七条",
        "action": "save",
    }
    values.update(overrides)
    return values


# --- access ---------------------------------------------------------------------------


PAGES = [
    "/bank/",
    "/bank/new",
    "/bank/overview",
    "/bank/categories",
    "/bank/import",
    "/bank/export.csv",
    "/bank/import/template.xlsx",
    "/bank/{q}",
    "/bank/{q}/edit",
    "/bank/{q}/history",
]


@pytest.mark.parametrize("role", ["examinee", "district_admin", "office"])
@pytest.mark.parametrize("path", PAGES)
def test_only_exam_admins_reach_the_bank(app, world, make_bank, as_role, role, path):
    q = make_bank.question()
    response = as_role(role).get(path.format(q=q.id))
    assert response.status_code == 403
    assert "题干" not in page_of(response) and q.current_version.stem not in page_of(response)


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/bank/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_nav_link_only_for_exam_admins(world, as_role):
    assert 'href="/bank/"' in page_of(as_role("exam_admin").get("/"))
    for role in ("office", "district_admin", "examinee"):
        assert 'href="/bank/"' not in page_of(as_role(role).get("/"))


def test_posts_by_other_roles_change_nothing(app, world, make_bank, as_role):
    q = make_bank.question()
    office = as_role("office")
    token = csrf_token(office, "/")
    for path, data in [
        (f"/bank/{q.id}/status", {"target": "published"}),
        ("/bank/status", {"target": "published", "ids": q.id, "scope": "selected"}),
        (f"/bank/{q.id}/edit", form_fields()),
    ]:
        assert office.post(path, data={**data, "csrf_token": token}).status_code == 403
    with app.app_context():
        assert db.session.get(Question, q.id).status == Status.DRAFT


# --- the list ---------------------------------------------------------------------------


def test_list_searches_stems_and_filters(admin, make_bank):
    make_bank.question(stem="关于ＡＢＣ失业保险金的题目（  ）", difficulty="hard")
    make_bank.question(stem="关于养老保险的题目（  ）", status=Status.PUBLISHED)
    make_bank.question("劳动保障监察", stem="关于劳动保障监察的题目（  ）", qtype="judge", options=[], answer="T")
    retired = make_bank.question(stem="已经停用的失业保险题（  ）", status=Status.RETIRED)

    def stems(query):
        page = page_of(admin.get("/bank/?" + query))
        return sorted(re.findall(r"关于[^<（]*的题目|已经停用的失业保险题", page))

    assert len(stems("")) == 3  # retired ones are hidden by default
    assert stems("q=失业") == ["关于ＡＢＣ失业保险金的题目"]
    assert stems("q=abc") == ["关于ＡＢＣ失业保险金的题目"]  # width and case do not matter
    assert stems("q=失业&status=all") == ["关于ＡＢＣ失业保险金的题目", "已经停用的失业保险题"]
    assert stems("status=retired") == ["已经停用的失业保险题"] and retired.id
    assert stems("qtype=judge") == ["关于劳动保障监察的题目"]
    assert stems("difficulty=hard") == ["关于ＡＢＣ失业保险金的题目"]
    assert stems("status=published") == ["关于养老保险的题目"]
    with admin.application.app_context():
        category_id = db.session.scalar(select(QuestionCategory.id).where(QuestionCategory.name == "劳动保障监察"))
    assert stems(f"category={category_id}") == ["关于劳动保障监察的题目"]
    assert stems("q=100%25_") == []  # LIKE wildcards are literal


def test_category_filter_includes_subcategories(admin, make_bank):
    parent = make_bank.category("社会保险")
    make_bank.category("工伤保险", parent)
    make_bank.question("工伤保险", stem="下级分类里的题目（  ）")
    assert "下级分类里的题目" in page_of(admin.get(f"/bank/?category={parent.id}"))


def test_list_pages_through_many_questions(app, admin):
    with app.app_context():
        for i in range(55):
            bank.question(stem=f"分页测试题 {i:03d}（  ）")
        db.session.commit()
    first, second = page_of(admin.get("/bank/")), page_of(admin.get("/bank/?page=2"))
    assert first.count("分页测试题") == 50 and second.count("分页测试题") == 5
    assert "共 55 条" in first and "分页测试题 054" in first and "分页测试题 000" in second


def test_script_in_a_stem_is_shown_as_text_everywhere(admin, make_bank):
    stem = "<script>alert('x')</script> 下列说法正确的是（  ）"
    q = make_bank.question(stem=stem, options=["<b>甲</b>", "乙"], explanation="<img src=x onerror=alert(1)>")
    for path in ("/bank/", f"/bank/{q.id}", f"/bank/{q.id}/history", f"/bank/{q.id}/edit"):
        page = page_of(admin.get(path))
        assert "<script>alert" not in page and "<b>甲</b>" not in page and "<img src=x" not in page, path
        assert "&lt;script&gt;" in page, path
    preview = post(admin, "/bank/new", form_fields(stem=stem + "!", action="preview"), page="/bank/new")
    assert "<script>alert" not in page_of(preview) and "&lt;script&gt;alert" in page_of(preview)


# --- authoring -----------------------------------------------------------------------------


def category_id(app, name="社会保险"):
    return bank.BankFactory(app).category(name).id


def test_create_saves_a_draft(app, admin):
    cid = category_id(app)
    response = post(admin, "/bank/new", form_fields(category_id=cid), page="/bank/new")
    assert response.status_code == 302
    with app.app_context():
        q = db.session.scalar(select(Question))
        assert (q.status, q.qtype, q.current_version.answer, q.current_version.options) == (
            Status.DRAFT,
            "single",
            "B",
            ["15日", "30日", "60日"],
        )
    assert "草稿" in page_of(admin.get(response.headers["Location"]))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"correct": ""}, "请给出正确答案"),
        ({"source": ""}, "依据（政策文件及条款）不能为空"),
        ({"option_B": "", "option_C": "60日"}, "选项B是空的"),
        ({"qtype": "multiple", "correct": "B"}, "多选题的答案至少要有两个选项"),
        ({"qtype": "blank", "stem": "第一空____第二空____", "blanks": "4"}, "题干有 2 个空，答案却有 1 个"),
        ({"qtype": "blank", "stem": "第一空____", "blanks": "\n4"}, "第 1 空没有答案"),
        ({"qtype": "judge"}, "请给出判断题的答案"),
        ({"category_id": ""}, "请选择知识点分类"),
    ],
)
def test_a_bad_question_is_explained_and_not_saved(app, admin, overrides, message):
    fields = form_fields(category_id=category_id(app))
    fields.update(overrides)
    response = post(admin, "/bank/new", fields, page="/bank/new")
    assert response.status_code == 400
    assert message in page_of(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Question)) == 0


def test_preview_shows_the_question_as_an_examinee_sees_it_and_saves_nothing(app, admin):
    fields = form_fields(
        category_id=category_id(app),
        qtype="blank",
        stem="每日不超过____小时，每周不超过____小时。",
        blanks="4;四\n24;二十四",
        action="preview",
    )
    page = page_of(post(admin, "/bank/new", fields, page="/bank/new"))
    card = page.split('data-testid="preview"', 1)[1].split('data-testid="answer-key"', 1)[0]
    assert card.count('type="text"') == 2 and "每日不超过" in card and "二十四" not in card
    assert "二十四" in page.split('data-testid="answer-key"', 1)[1]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Question)) == 0


def test_changing_the_type_redraws_the_form_without_saving(app, admin):
    fields = form_fields(category_id=category_id(app), qtype="judge")
    del fields["action"]  # what the type selector's auto-submit sends
    response = post(admin, "/bank/new", fields, page="/bank/new")
    page = page_of(response)
    assert response.status_code == 200 and 'name="judge"' in page and 'id="correct-A"' not in page
    assert 'name="option_A" value="15日"' in page  # options kept for switching back
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Question)) == 0


def test_a_near_duplicate_stem_needs_confirmation(app, admin, make_bank):
    existing = make_bank.question(stem="工伤认定申请应当在事故伤害发生之日起（  ）内提出。")
    fields = form_fields(category_id=existing.category_id, stem="工伤认定申请应在事故伤害发生之日起（  ）内提出")
    response = post(admin, "/bank/new", fields, page="/bank/new")
    page = page_of(response)
    assert response.status_code == 200 and 'data-testid="similar-warning"' in page
    assert f"试题 {existing.id}" in page and 'data-testid="preview"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Question)) == 1
    confirmed = post(admin, "/bank/new", {**fields, "confirm_similar": "y"}, page="/bank/new")
    assert confirmed.status_code == 302


def test_edit_makes_a_new_version_shown_in_the_history(app, admin, make_bank):
    q = make_bank.question(status=Status.PUBLISHED)
    form_page = page_of(admin.get(f"/bank/{q.id}/edit"))
    assert 'value="三十日"' in form_page and 'name="base_version" type="hidden" value="1"' in form_page
    fields = form_fields(
        category_id=q.category_id,
        stem=q.current_version.stem,
        option_A="三十日",
        option_B="十五日",
        option_C="六十日",
        option_D="三个月",
        correct="C",
        source=q.current_version.source,
        explanation="改正答案",
        base_version="1",
        note="原答案有误",
    )
    response = post(admin, f"/bank/{q.id}/edit", fields, page=f"/bank/{q.id}/edit")
    assert response.status_code == 302
    with app.app_context():
        question = db.session.get(Question, q.id)
        assert question.current_version.number == 2 and question.status == Status.PUBLISHED
        assert db.session.get(QuestionVersion, q.current_version_id).answer == "A"
    history = page_of(admin.get(f"/bank/{q.id}/history"))
    assert 'data-testid="version-2"' in history and 'data-testid="version-1"' in history
    change_table = history.split('data-testid="version-2"', 1)[1].split("</table>", 1)[0]
    assert "答案" in change_table and ">A<" in change_table.replace('<td class="text-break">', ">")
    assert "原答案有误" in history and "难度" not in change_table

    stale = post(admin, f"/bank/{q.id}/edit", {**fields, "correct": "D"}, page=f"/bank/{q.id}/edit")
    assert stale.status_code == 400 and "已被他人修改为第 2 版" in page_of(stale)


def test_saving_without_changes_makes_no_version(app, admin, make_bank):
    q = make_bank.question()
    v = q.current_version
    fields = form_fields(
        category_id=q.category_id,
        stem=v.stem,
        option_A=v.options[0],
        option_B=v.options[1],
        option_C=v.options[2],
        option_D=v.options[3],
        correct=v.answer,
        source=v.source,
        explanation=v.explanation,
        difficulty=v.difficulty,
        base_version="1",
    )
    response = post(admin, f"/bank/{q.id}/edit", fields, page=f"/bank/{q.id}/edit")
    assert response.status_code == 302
    assert "内容没有变化" in page_of(admin.get(response.headers["Location"]))


# --- status ---------------------------------------------------------------------------------


def test_publish_and_retire_one_question(app, admin, make_bank):
    q = make_bank.question()
    post(admin, f"/bank/{q.id}/status", {"target": "published"}, page=f"/bank/{q.id}")
    post(admin, f"/bank/{q.id}/status", {"target": "retired", "reason": "政策已修订"}, page=f"/bank/{q.id}")
    again = post(admin, f"/bank/{q.id}/status", {"target": "retired"}, page=f"/bank/{q.id}")
    assert "已停用" in page_of(admin.get(again.headers["Location"]))
    with app.app_context():
        assert db.session.get(Question, q.id).status == Status.RETIRED


def test_bulk_publish_selected_and_retire_all_filtered(app, admin, make_bank):
    picked = [make_bank.question(stem=f"批量题 {i}（  ）") for i in range(3)]
    other = make_bank.question("劳动保障监察", stem="别的分类的题（  ）")
    response = post(
        admin,
        "/bank/status",
        {"target": "published", "scope": "selected", "q": "批量", "ids": [picked[0].id, picked[1].id]},
        page="/bank/",
    )
    assert response.status_code == 302 and "q=" in response.headers["Location"]
    assert "已发布 2 道试题" in page_of(admin.get(response.headers["Location"]))
    post(admin, "/bank/status", {"target": "retired", "scope": "filtered", "q": "批量"}, page="/bank/")
    with app.app_context():
        statuses = {q.id: db.session.get(Question, q.id).status for q in [*picked, other]}
    assert statuses == {
        picked[0].id: Status.RETIRED,
        picked[1].id: Status.RETIRED,
        picked[2].id: Status.RETIRED,
        other.id: Status.DRAFT,
    }
    nothing = post(admin, "/bank/status", {"target": "published", "scope": "selected"}, page="/bank/")
    assert "请先勾选" in page_of(admin.get(nothing.headers["Location"]))


# --- overview and categories ------------------------------------------------------------------


def test_overview_counts_published_questions_by_category_type_and_difficulty(admin, make_bank):
    for _ in range(2):
        make_bank.question(status=Status.PUBLISHED, difficulty="easy")
    make_bank.question(status=Status.PUBLISHED, qtype="judge", options=[], answer="F", difficulty="hard")
    make_bank.question()  # a draft
    make_bank.question(status=Status.RETIRED)
    page = page_of(admin.get("/bank/overview"))
    row = page.split("社会保险</a></th>", 1)[1].split("</tr>", 1)[0]
    cells = [int(c) for c in re.findall(r"<td[^>]*>(\d+)</td>", row)]
    # 单选 易 中 难, 多选 易 中 难, 判断 易 中 难, 填空 易 中 难, then total, drafts, retired
    assert cells == [2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 3, 1, 1]


def test_categories_are_created_moved_and_deleted_only_when_unused(app, admin, make_bank):
    response = post(
        admin,
        "/bank/categories/new",
        {"name": "社会保险", "parent_id": "0", "sort_order": "1"},
        page="/bank/categories/new",
    )
    assert response.status_code == 302
    with app.app_context():
        parent = db.session.scalar(select(QuestionCategory).where(QuestionCategory.name == "社会保险"))
    post(
        admin,
        "/bank/categories/new",
        {"name": "工伤保险", "parent_id": parent.id, "sort_order": "0"},
        page="/bank/categories/new",
    )
    duplicate = post(
        admin,
        "/bank/categories/new",
        {"name": "工伤保险", "parent_id": "0", "sort_order": "0"},
        page="/bank/categories/new",
    )
    assert duplicate.status_code == 400 and "已存在" in page_of(duplicate)
    with app.app_context():
        child = db.session.scalar(select(QuestionCategory).where(QuestionCategory.name == "工伤保险"))
    cycle = post(
        admin,
        f"/bank/categories/{parent.id}/edit",
        {"name": "社会保险", "parent_id": child.id, "sort_order": "0"},
        page="/bank/categories",
    )
    assert cycle.status_code == 400 and "下级" in page_of(cycle)
    make_bank.question("工伤保险")
    refused = post(admin, f"/bank/categories/{child.id}/delete", {}, page="/bank/categories")
    assert "下有试题" in page_of(admin.get(refused.headers["Location"]))
    empty = make_bank.category("空分类")
    post(admin, f"/bank/categories/{empty.id}/delete", {}, page="/bank/categories")
    with app.app_context():
        assert db.session.get(QuestionCategory, empty.id) is None
        assert db.session.get(QuestionCategory, child.id).parent_id == parent.id


# --- what an admin does in a browser, end to end ----------------------------------------------


def test_admin_imports_a_fixed_template_edits_and_exports(app, admin):
    template = admin.get("/bank/import/template.csv").data
    rows = read_table("t.csv", template, COLUMNS, max_bytes=10**6, max_rows=100)
    rows[1]["答案"] = "A"  # a 多选 with one letter: the row must be named
    for r in rows:
        r.pop("_row")
    bad = post(
        admin,
        "/bank/import",
        {"file": (io.BytesIO(bank.csv_bytes(rows)), "template.csv")},
        page="/bank/import",
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert "第 3 行" in page_of(bad) and "多选题的答案至少要有两个选项" in page_of(bad)

    rows[1]["答案"] = "ABC"
    staged = post(
        admin,
        "/bank/import",
        {"file": (io.BytesIO(bank.csv_bytes(rows)), "template.csv")},
        page="/bank/import",
        content_type="multipart/form-data",
    )
    preview_url = staged.headers["Location"]
    done = post(admin, preview_url, {"publish": "y"}, page=preview_url)
    assert "导入完成：新建 4 道试题（已发布）" in page_of(admin.get(done.headers["Location"]))

    with app.app_context():
        q = db.session.scalar(select(Question).where(Question.qtype == "judge"))
        v = q.current_version
        fields = form_fields(
            qtype="judge",
            category_id=q.category_id,
            stem=v.stem + "（修订）",
            judge="T",
            source=v.source,
            difficulty=v.difficulty,
            base_version="1",
            correct="",
        )
    assert post(admin, f"/bank/{q.id}/edit", fields, page=f"/bank/{q.id}/edit").status_code == 302

    exported = read_table("e.xlsx", admin.get("/bank/export.xlsx").data, COLUMNS, max_bytes=10**6, max_rows=100)
    assert len(exported) == 4
    assert [r["答案"] for r in exported if r["题型"] == "判断"] == ["对"]
    assert any(r["题干"].endswith("（修订）") for r in exported)
