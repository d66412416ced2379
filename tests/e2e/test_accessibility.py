"""Accessibility in a real browser: axe-core over every page each role reaches, and the exam
page answered with the keyboard alone.

axe-core is vendored under examapp/static/vendor/axe-core/ and only ever injected here (the
pages never load it); the app's CSP rightly refuses injected scripts, so these pages are
opened in a context that bypasses it. A violation of impact ``serious`` or ``critical`` fails.
"""

import io
import re
from datetime import date
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from examapp.accreditation import storage
from examapp.accreditation.checklist import NUMBER
from examapp.accreditation.decision.services import confirm_decision
from examapp.accreditation.hearing import services as hearing
from examapp.accreditation.hearing.models import SatisfactionSource
from examapp.accreditation.inspection import services as inspection
from examapp.accreditation.onsite import services as onsite
from examapp.accreditation.onsite.models import Verification
from examapp.accreditation.onsite.people_sheet import id_check_character
from examapp.accreditation.recommend import services as recommend
from examapp.auth.models import Role, User
from examapp.clock import local_today
from examapp.cycles.models import Decision
from examapp.demo import create_demo_exam, create_past_demo_exam, open_demo_cycle
from examapp.exams.models import RosterEntry
from examapp.exams.services import add_to_roster, close_exam, publish_exam
from examapp.extensions import db
from examapp.org.models import Unit
from examapp.results.services import seal_exam
from examapp.sitting.models import AttemptItem, SubmitReason
from examapp.sitting.services import start_attempt, submit_attempt

from .. import exam_factories
from .conftest import PASSWORDS
from .test_accreditation import minimal_pdf
from .test_integrity import integrity_demo

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "examapp" / "static" / "vendor" / "axe-core" / "axe.min.js"
BANK_DIR = ROOT / "question_bank"
SMALL = {"width": 1024, "height": 768}

#: how far the crawl goes from the home page, and how many pages it opens per role
MAX_DEPTH = 3
MAX_PAGES = 120
#: pages opened per address pattern (digits as N, query keys only): a list of 50 exams is one template
PER_PATTERN = 2
#: what the crawl never opens: leaving, and files to download
SKIP_PATH = re.compile(r"/logout\b|\.(xlsx|xls|csv|pdf|zip|png|jpe?g)$", re.IGNORECASE)
FAILING_IMPACTS = {"serious", "critical"}
#: pages checked a second time with every <details> unfolded (the forms folded away on them)
UNFOLD_PATH = re.compile(r"^/(accreditation|monitor)/")
#: the blueprints whose every page the crawl must open (``test_the_crawl_opens_every_page_of_…``)
EXHAUSTIVE = re.compile(r"accreditation(_\w+)?|monitor")
#: their GET routes that serve a file, not a page: what axe has nothing to check on
NOT_PAGES = {
    "accreditation_decision.accredited_export": "the accredited units as xlsx",
    "accreditation_inspection.inspection_photo": "an inspection item's photo",
    "accreditation_onsite.onsite_template": "the blank list of re-employed people, xlsx",
    "accreditation_onsite.onsite_export": "the sample and its findings, xlsx",
    "accreditation_recommend.recommendation_material": "a recommendation's attached file",
    "accreditation_hearing.hearing_qr": "the questionnaire's QR code, svg",
    "monitor.status": "the monitor page's JSON, fetched by its script",
}

#: Violations on pages whose templates other engineers were changing while this check was
#: written (sitting, monitor, accreditation, integrity, exams, home). Each entry is
#: (path pattern, axe rule id): the violation is reported in the test's output but does not fail.
#: EMPTY THIS LIST once those templates are fixed; nothing else may be added to it.
ALLOWED_ELSEWHERE = []


# --- data: what ``flask demo load`` adds after the units and accounts ------------------


@pytest.fixture(scope="module")
def demo(e2e_app):
    """The real bank, the open demo exam (金水区) with kaosheng part-way through one copy of it
    and handed in on another, the closed 二七区 exam with results, the integrity demo and this
    year's accreditation cycle; returns the ids of a fresh demo exam kaosheng has not started
    (``fresh``), of the one kaosheng is sitting (``in_progress``, and his roster entry
    ``in_progress_entry``), of the closed exam (``past``) and of the integrity demo (``integrity``)."""
    loaded = e2e_app.test_cli_runner().invoke(args=["bank", "load", str(BANK_DIR)])  # safe to run again
    assert loaded.exit_code == 0, loaded.output
    with e2e_app.app_context():
        kaosheng = db.session.scalar(select(User).where(User.username == "kaosheng"))
        in_progress, handed_in, fresh = create_demo_exam(), create_demo_exam(), create_demo_exam()
        start_attempt(in_progress, kaosheng, seed=20)
        entry = db.session.scalar(
            select(RosterEntry).where(RosterEntry.exam_id == in_progress.id, RosterEntry.user_id == kaosheng.id)
        )
        submit_attempt(start_attempt(handed_in, kaosheng, seed=21), "examinee")
        past = create_past_demo_exam()
        open_demo_cycle()
        db.session.commit()
        ids = {"fresh": fresh.id, "past": past.id, "in_progress": in_progress.id, "in_progress_entry": entry.id}
        db.session.remove()
    ids["integrity"] = integrity_demo(e2e_app)[0]  # made once per browser run, shared with other tests
    return ids


#: 金水区's two recommended units (kaosheng's own community stays out of it): one taken through all
#: four checks to a confirmed 通过, one with every check under way (its forms still open)
DECIDED_UNIT, OPEN_UNIT = "41010503001", "41010502002"


def _png():
    return b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _people_rows(year, today, count, prefix):
    rows = []
    for n in range(count):
        first17 = f"410105{1980 + n}0101{prefix}{n:02d}"
        rows.append(
            {
                "_row": n + 2,
                "姓名": f"再就业人员{prefix}{n}",
                "身份证号": first17 + id_check_character(first17),
                "就业单位": "郑州市金水区某商贸有限公司",
                "就业日期": min(date(year, 1 + n, 10), today).isoformat(),
            }
        )
    return rows


def _record_checks(office, record, today, *, prefix, verify_all):
    """一听 by the team's survey, 二看 with every item met (and a photo), 三查 drawn and verified."""
    hearing.record_hearing(
        office,
        record,
        report_date=today,
        report_summary="社区主任汇报劳动保障工作站建设、再就业援助和社会保险扩面情况。",
        source=SatisfactionSource.SURVEY,
        counts=(50, 42, 6, 2),
    )
    answers = {
        item.code: inspection.Answer(value=item.threshold) if item.kind == NUMBER else inspection.Answer(checked=True)
        for item in inspection.items_for(record)
    }
    recorded = inspection.record_inspection(office, record, inspected_on=today, answers=answers)
    photo = storage.store_upload(
        FileStorage(stream=io.BytesIO(_png()), filename="办公用房.png"), allowed_kinds={"image"}, max_bytes=1024
    )
    inspection.attach_photo(office, recorded.items[0], photo)
    check = onsite.set_target(office, record, 4)
    onsite.import_people(office, check, "再就业人员名单.xlsx", _people_rows(record.cycle.year, today, 5, prefix))
    drawn = onsite.draw_sample(office, check, seed=20)
    results = {person.id: (Verification.VERIFIED, "") for person in drawn}
    if not verify_all:
        results = dict(list(results.items())[:1])
    onsite.record_verifications(office, check, results)


def _sealed_exam_of(unit, year):
    """A closed exam of ``unit``'s staff, every one of whom answered everything right, sealed by the
    office: 四考试 passed."""
    exam = exam_factories.exam(
        category=exam_factories.shared_small_bank(), title=f"{year} 年度闭卷考试（{unit.name}验收）", cycle_year=year
    )
    add_to_roster(None, exam, units=[unit])
    publish_exam(None, exam)
    staff = db.session.scalars(select(User).where(User.role == Role.EXAMINEE, User.unit_id == unit.id)).all()
    assert staff
    for person in staff:
        attempt = start_attempt(exam, person)
        for item in attempt.items:
            item.response = item.version.answer
        submit_attempt(attempt, SubmitReason.EXAMINEE)
    close_exam(None, exam)
    return exam


@pytest.fixture(scope="module")
def accreditation(e2e_app, demo, tmp_path_factory):
    """This year's cycle with 金水区's two units recommended and handed in (application text and a
    PDF each); the office has recorded the hearing (and opened the residents' questionnaire), the
    inspection (a photo), the on-site check and, for DECIDED_UNIT, sealed its exam and confirmed
    通过. Returns {"decided": record id, "open": record id, "questionnaire": its public address}."""
    if not e2e_app.config.get("ACCREDITATION_UPLOAD_FOLDER"):
        e2e_app.config["ACCREDITATION_UPLOAD_FOLDER"] = str(tmp_path_factory.mktemp("accreditation_uploads"))
    with e2e_app.app_context():
        today = local_today()
        cycle = open_demo_cycle()
        jinshui, office = (
            db.session.scalar(select(User).where(User.username == name)) for name in ("jinshui", "office")
        )
        units = {code: db.session.scalar(select(Unit).where(Unit.code == code)) for code in (DECIDED_UNIT, OPEN_UNIT)}
        recommendations = {}
        for code, unit in units.items():
            rec = recommend.recommend_unit(jinshui, cycle, unit)
            recommend.update_application(jinshui, rec, f"{unit.name}劳动保障工作站设施齐全，制度健全，特申请验收。")
            pdf = FileStorage(stream=io.BytesIO(minimal_pdf()), filename="申请报告.pdf")
            recommend.add_material(jinshui, rec, pdf)
            recommendations[code] = rec
        recommend.submit_recommendations(jinshui, cycle)
        decided, still_open = (recommendations[code].record for code in (DECIDED_UNIT, OPEN_UNIT))
        _record_checks(office, decided, today, prefix="1", verify_all=True)
        _record_checks(office, still_open, today, prefix="2", verify_all=False)
        hearing.open_questionnaire(office, still_open)
        seal_exam(office, _sealed_exam_of(units[DECIDED_UNIT], today.year))
        confirm_decision(office, decided, Decision.PASSED, "一听、二看、三查、四考试均合格，同意通过验收。")
        db.session.commit()
        token = hearing.hearing_of(still_open).questionnaire_token
        ids = {"decided": decided.id, "open": still_open.id, "questionnaire": f"/accreditation/q/{token}"}
        db.session.remove()
    return ids


# --- the browser ---------------------------------------------------------------------------


@pytest.fixture
def axe_page(new_context):
    """A page whose context lets the test inject axe-core past the app's CSP."""
    page = new_context(bypass_csp=True).new_page()
    page.set_default_timeout(10_000)
    return page


def log_in(page, username):
    page.goto("/login")
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(PASSWORDS[username])
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_test_id("whoami")).to_be_visible()
    page.wait_for_load_state()


def axe_violations(page):
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160),
                                          impact: n.impact}))
            }));
        }"""
    )
    return [v for v in found if v["impact"] in FAILING_IMPACTS]


#: opens every closed <details> of the page; returns how many it opened
UNFOLD = """() => { const closed = [...document.querySelectorAll('details:not([open])')];
    closed.forEach(d => { d.open = true; }); return closed.length; }"""


def pattern_of(url):
    parts = urlsplit(url)
    keys = ",".join(sorted({key for key, _ in parse_qsl(parts.query)}))
    return re.sub(r"\d+", "N", parts.path) + ("?" + keys if keys else "")


def links_on(page, origin):
    """Same-site addresses the page links to (GET links only; forms are never submitted)."""
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)")
    found = []
    for href in hrefs:
        url = urljoin(page.url, href).split("#", 1)[0]
        if url.startswith(origin + "/") and not SKIP_PATH.search(urlsplit(url).path):
            found.append(url)
    return found


def is_html(page, url):
    """Whether the address serves a page (not a download), asked without opening it."""
    response = page.request.get(url, max_redirects=5)
    return response.ok and response.headers.get("content-type", "").startswith("text/html")


def crawl(page, origin, seeds=()):
    """Open every page reachable from the home page and ``seeds`` (within the limits) and run axe
    on each; returns {url: violations}, each url as the page ended up (after any redirect)."""
    queue = [(origin + "/", 0)] + [(origin + seed, 1) for seed in seeds]
    seen, per_pattern, results = {url for url, _ in queue}, {}, {}
    while queue and len(results) < MAX_PAGES:
        url, depth = queue.pop(0)
        pattern = pattern_of(url)
        if per_pattern.get(pattern, 0) >= PER_PATTERN or not is_html(page, url):
            continue
        per_pattern[pattern] = per_pattern.get(pattern, 0) + 1
        page.goto(url)
        page.wait_for_load_state()
        if SKIP_PATH.search(urlsplit(page.url).path) or page.url.rstrip("/").endswith("/login"):
            continue
        results[page.url] = axe_violations(page)
        if UNFOLD_PATH.search(urlsplit(page.url).path) and page.evaluate(UNFOLD):
            results[page.url] += axe_violations(page)
        if depth < MAX_DEPTH:
            for link in links_on(page, origin):
                if link not in seen:
                    seen.add(link)
                    queue.append((link, depth + 1))
    return results


def allowed(url, rule):
    path = urlsplit(url).path
    return any(re.search(pattern, path) and rule == allowed_rule for pattern, allowed_rule in ALLOWED_ELSEWHERE)


def describe(url, violation):
    nodes = "; ".join(f"{n['target']} ({n['html']})" for n in violation["nodes"][:6])
    more = f" … and {len(violation['nodes']) - 6} more" if len(violation["nodes"]) > 6 else ""
    return f"{urlsplit(url).path}?{urlsplit(url).query} [{violation['impact']}] {violation['id']}: {violation['help']} -- {nodes}{more}"


def assert_no_serious_violations(results):
    failing = [describe(url, v) for url, found in results.items() for v in found if not allowed(url, v["id"])]
    tolerated = [describe(url, v) for url, found in results.items() for v in found if allowed(url, v["id"])]
    if tolerated:
        print("\nTolerated for now (ALLOWED_ELSEWHERE):\n" + "\n".join(tolerated))
    assert not failing, f"{len(failing)} serious or critical violation(s):\n" + "\n".join(failing)


def seeds_for(username, demo, accreditation):
    """Where a role's crawl starts besides the home page: the pattern limit would otherwise stop at
    the first (empty) exams and records of a kind, the monitor's person page is four links deep, and
    the residents' questionnaire is linked from nowhere (its address is printed as a QR code)."""
    monitor = [f"/monitor/{demo['in_progress']}", f"/monitor/{demo['in_progress']}/people/{demo['in_progress_entry']}"]
    records = [f"/accreditation/records/{accreditation[key]}" for key in ("decided", "open")]
    return {
        "admin": [f"/exams/{demo['integrity']}/integrity", f"/exams/{demo['past']}/results", *monitor, *records],
        "office": [
            f"/exams/{demo['integrity']}/integrity",
            f"/exams/{demo['past']}/results",
            *records,
            accreditation["questionnaire"],
        ],
        "jinshui": [*monitor, *records],
    }.get(username, [])


@pytest.fixture(scope="module")
def crawls():
    """{username: crawl results}, each role crawled once per module and shared by the tests."""
    return {}


def crawl_as(crawls, page, origin, username, seeds):
    if username not in crawls:
        page.context.clear_cookies()
        log_in(page, username)
        crawls[username] = crawl(page, origin, seeds)
    return crawls[username]


def endpoint_of(app, url):
    """The endpoint that serves ``url`` (a GET), or None."""
    parts = urlsplit(url)
    try:
        endpoint, _args = app.url_map.bind("localhost").match(parts.path, method="GET", query_args=parts.query)
    except (HTTPException, RequestRedirect):
        return None
    return endpoint


def exhaustive_get_endpoints(app):
    """The GET endpoints of the EXHAUSTIVE blueprints, from the app's own URL map."""
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and EXHAUSTIVE.fullmatch(rule.endpoint.rpartition(".")[0])
    }


# --- the tests -----------------------------------------------------------------------------


def test_axe_is_vendored_and_never_served_to_pages():
    assert AXE.is_file() and AXE.read_text(encoding="utf-8").startswith("/*! axe v4.")
    assert (AXE.parent / "LICENSE").is_file()
    for template in (ROOT / "examapp").rglob("*.html"):
        assert "vendor/axe-core" not in template.read_text(encoding="utf-8"), template


def test_the_login_page_passes_axe(axe_page, live_server):
    axe_page.goto("/login")
    assert_no_serious_violations({axe_page.url: axe_violations(axe_page)})
    # and with the refusal a wrong password brings
    axe_page.locator('input[name="username"]').fill("kaosheng")
    axe_page.locator('input[name="password"]').fill("not-the-password")
    axe_page.get_by_role("button", name="登录", exact=True).click()
    password = axe_page.get_by_label("密码", exact=True)
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_accessible_description(re.compile("用户名或密码错误"))
    assert_no_serious_violations({axe_page.url: axe_violations(axe_page)})


def test_a_form_refused_with_errors_passes_axe(axe_page, live_server, demo):
    """A form sent back with its fields' errors (red text on the grey page, described fields)."""
    log_in(axe_page, "admin")
    axe_page.goto("/staff/new")
    axe_page.locator("form button[type=submit]").last.click()
    expect(axe_page.locator(".invalid-feedback, .is-invalid").first).to_be_visible()
    assert_no_serious_violations({axe_page.url: axe_violations(axe_page)})


def test_the_checks_forms_refused_with_errors_pass_axe(axe_page, live_server, accreditation, screenshot_dir):
    """The office's forms of the checks and the decision, and the residents' questionnaire, each sent
    back with its errors (nothing is recorded: every one is refused), at 1024 × 768."""
    page, record = axe_page, f"/accreditation/records/{accreditation['open']}"
    page.set_viewport_size(SMALL)
    log_in(page, "office")
    year = local_today().year
    forms = [
        # (screenshot's name, address, the form, the fields emptied before sending)
        ("hearing", f"{record}/hearing", '[data-testid="hearing-form"]', ["textarea", 'input[type="number"]']),
        ("inspection", f"{record}/inspection/edit", '[data-testid="inspection-form"]', ['input[type="date"]']),
        ("decision", record, '[data-testid="decision-form"]', []),
        ("cycle_create", "/accreditation/cycles", 'form[method="post"]', ['input[name="year"]']),
        ("cycle_settings", f"/accreditation/cycles/{year}/settings", '[data-testid="cycle-settings"]', ['input[name="name"]']),
        ("questionnaire", accreditation["questionnaire"], '[data-testid="questionnaire-form"]', []),
    ]  # fmt: skip
    results = {}
    for name, url, form_selector, emptied in forms:
        page.goto(url)
        form = page.locator(form_selector)
        for selector in emptied:
            for control in form.locator(selector).all():
                control.fill("")
        form.locator('button[type="submit"]').last.click()
        page.wait_for_load_state()
        # the form's own field errors, or a refusal flashed above the content: never a warning
        # that is always on the page (the hearing page's red note on the questionnaire's link)
        error = page.locator(
            f"{form_selector} .invalid-feedback, {form_selector} .is-invalid, main > .alert-danger[role=alert]"
        ).first
        expect(error).to_be_visible()
        results[f"{url} (refused)"] = axe_violations(page)
        error.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot_dir / f"a11y_accreditation_{name}_errors_1024.png"))
    assert_no_serious_violations(results)


def test_the_check_pages_pass_axe_at_1024(axe_page, live_server, demo, accreditation, screenshot_dir):
    """The narrow screen's layout of the checks' pages (a decided unit's, and the forms of one still
    under way) and of the monitor's person page."""
    page = axe_page
    page.set_viewport_size(SMALL)
    decided, still_open = (f"/accreditation/records/{accreditation[key]}" for key in ("decided", "open"))
    shown = {
        "office": [
            ("record", decided),
            ("recommendations", "/accreditation/recommendations"),
            ("hearing", f"{still_open}/hearing"),
            ("inspection", f"{decided}/inspection"),
            ("inspection_form", f"{still_open}/inspection/edit"),
            ("onsite", f"{decided}/onsite"),
            ("onsite_verify", f"{still_open}/onsite/verify"),
            ("onsite_print", f"{decided}/onsite/print"),
            ("accredited", "/accreditation/accredited"),
        ],
        "jinshui": [("monitor_person", f"/monitor/{demo['in_progress']}/people/{demo['in_progress_entry']}")],
    }
    results = {}
    for username, pages in shown.items():
        page.context.clear_cookies()
        log_in(page, username)
        for name, url in pages:
            page.goto(url)
            page.wait_for_load_state()
            results[page.url] = axe_violations(page)
            prefix = "a11y_" if name.startswith("monitor") else "a11y_accreditation_"
            page.screenshot(path=str(screenshot_dir / f"{prefix}{name}_1024.png"))
    assert_no_serious_violations(results)


@pytest.mark.parametrize("username", ["admin", "office", "jinshui", "kaosheng"])
def test_every_page_a_role_reaches_passes_axe(axe_page, live_server, demo, accreditation, crawls, username):
    results = crawl_as(crawls, axe_page, live_server, username, seeds_for(username, demo, accreditation))
    print(f"\n{username}: {len(results)} pages checked:\n" + "\n".join(sorted(results)))
    assert len(results) > (1 if username == "kaosheng" else 8), sorted(results)
    assert_no_serious_violations(results)


def test_the_crawl_opens_every_page_of_the_checks_and_the_monitor(
    axe_page, live_server, e2e_app, demo, accreditation, crawls
):
    """Every GET page of the accreditation's blueprints (records, recommendations, the four checks'
    lists, details, forms and print pages, the decision) and of the monitor is among the pages some
    role's crawl checked: a new page there cannot escape axe. Files (NOT_PAGES) are not pages."""
    wanted = exhaustive_get_endpoints(e2e_app)
    assert set(NOT_PAGES) <= wanted, set(NOT_PAGES) - wanted  # no stale entry
    opened = {}
    for username in ("admin", "office", "jinshui"):
        results = crawl_as(crawls, axe_page, live_server, username, seeds_for(username, demo, accreditation))
        for url in results:
            opened.setdefault(endpoint_of(e2e_app, url), []).append(url)
    missing = sorted(wanted - set(NOT_PAGES) - set(opened))
    assert not missing, f"never opened by the crawl: {missing}"
    served_html = sorted(set(NOT_PAGES) & set(opened))
    assert not served_html, f"listed in NOT_PAGES but served as a page: {served_html}"


@pytest.mark.parametrize("username", ["admin", "office", "jinshui", "kaosheng"])
def test_the_home_page_passes_axe_at_1024(axe_page, live_server, demo, screenshot_dir, username):
    """The narrow screen's own layout of the menu and the page."""
    axe_page.set_viewport_size(SMALL)
    log_in(axe_page, username)
    axe_page.goto("/")
    axe_page.wait_for_load_state()
    axe_page.screenshot(path=str(screenshot_dir / f"a11y_home_{username}_1024.png"))
    assert_no_serious_violations({axe_page.url: axe_violations(axe_page)})
    if username == "admin":
        axe_page.goto("/bank/")
        axe_page.wait_for_load_state()
        axe_page.screenshot(path=str(screenshot_dir / "a11y_bank_1024.png"))
        assert_no_serious_violations({axe_page.url: axe_violations(axe_page)})


# --- the exam page with the keyboard alone ---------------------------------------------------


def focused(page):
    """What has the keyboard focus: its tag, type, id, name, href and text."""
    return page.evaluate(
        """() => { const e = document.activeElement;
            return {tag: e.tagName.toLowerCase(), type: e.type || '', id: e.id || '', name: e.name || '',
                    href: e.getAttribute('href') || '', text: (e.innerText || e.value || '').trim(),
                    label: (e.labels && e.labels[0] ? e.labels[0].innerText.trim() : ''),
                    section: (e.closest('.attempt-question') || {}).id || ''}; }"""
    )


def tab_until(page, wanted, *, backwards=False, limit=800):
    """Press Tab (or Shift+Tab) until the focused element is ``wanted``; returns it."""
    key = "Shift+Tab" if backwards else "Tab"
    trail = []
    for _ in range(limit):
        page.keyboard.press(key)
        now = focused(page)
        if wanted(now):
            return now
        trail.append(f"{now['tag']}#{now['id']}{now['href']}:{now['text'][:8]}")
    raise AssertionError(f"{limit} × {key} never reached the element wanted; went through {trail[:12]} … {trail[-12:]}")


def item_rows(app, attempt_id):
    with app.app_context():
        rows = {
            item.position: (item.version.qtype, item.response)
            for item in db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id))
        }
        db.session.remove()
    return rows


def test_the_exam_page_works_with_the_keyboard_alone(axe_page, live_server, e2e_app, demo, screenshot_dir):
    page, exam_id = axe_page, demo["fresh"]
    page.set_viewport_size(SMALL)
    log_in(page, "kaosheng")
    expect(page.get_by_role("heading", level=1)).to_have_text("我的考试")

    # the lobby: Tab to this exam's link, Enter
    tab_until(page, lambda f: f["href"].endswith(f"/exam/{exam_id}"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/exam/{exam_id}$"))
    page.wait_for_load_state()

    # the start page: the pledge with Space, 开始答题 with Enter
    tab_until(page, lambda f: f["id"] == "pledge")
    page.keyboard.press("Space")
    expect(page.locator("#pledge")).to_be_checked()
    tab_until(page, lambda f: f["tag"] == "button" and "开始答题" in f["text"])
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/attempt/\d+$"))
    expect(page.locator("#attempt")).to_be_visible()
    page.wait_for_load_state()
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")
    attempt_id = int(re.search(r"/attempt/(\d+)$", page.url).group(1))
    kinds = {p: qtype for p, (qtype, _) in item_rows(e2e_app, attempt_id).items()}
    first = {
        qtype: min(p for p, t in kinds.items() if t == qtype) for qtype in ("single", "multiple", "judge", "blank")
    }

    def go_to(position):
        """From the answer card: Shift+Tab (or Tab) to the question's number and Enter; the page
        puts the focus on the question's first answer."""
        card = lambda f: f["tag"] == "a" and f["href"] == f"#q{position}"  # noqa: E731
        try:
            tab_until(page, card, backwards=True, limit=800)
        except AssertionError:
            tab_until(page, card, limit=800)
        page.keyboard.press("Enter")
        expect(page.locator(f"#q{position} input").first).to_be_focused()
        return focused(page)

    # 单选: the first question's first option, with Space
    now = go_to(first["single"])
    assert now["type"] == "radio", now
    page.keyboard.press("Space")
    # 下一题 (Tab to it, Enter) moves the focus to the next question's first answer
    tab_until(page, lambda f: f["tag"] == "button" and f["text"] == "下一题", limit=20)
    page.keyboard.press("Enter")
    expect(page.locator(f"#q{first['single'] + 1} input").first).to_be_focused()

    # 多选: two options, each with Space
    now = go_to(first["multiple"])
    assert now["type"] == "checkbox", now
    page.keyboard.press("Space")
    tab_until(page, lambda f: f["type"] == "checkbox" and f["section"] == f"q{first['multiple']}", limit=3)
    page.keyboard.press("Space")

    # 判断
    now = go_to(first["judge"])
    assert now["type"] == "radio", now
    page.keyboard.press("Space")

    # 填空: type into the blank(s), Tab out so the change saves
    now = go_to(first["blank"])
    assert now["type"] == "text", now
    page.keyboard.type("一")
    page.keyboard.press("Tab")

    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")
    for position in first.values():
        expect(page.get_by_test_id(f"nav-{position}")).to_have_class(re.compile(r"\bbtn-success\b"))
    page.screenshot(path=str(screenshot_dir / "a11y_attempt_keyboard_1024.png"))

    # the hand-in button is reachable from the keyboard and opens the confirmation
    tab_until(page, lambda f: f["id"] == "submit-open", backwards=True)
    page.keyboard.press("Enter")
    expect(page.locator("#confirm")).to_be_visible()
    expect(page.locator("#submit-final")).to_be_visible()
    # the page as it is now (answers chosen, the confirmation open) passes axe
    assert_no_serious_violations({page.url: axe_violations(page)})

    saved = item_rows(e2e_app, attempt_id)
    single, multiple = saved[first["single"]][1], saved[first["multiple"]][1]
    assert isinstance(single, str) and len(single) == 1, single
    assert isinstance(multiple, str) and len(multiple) == 2, multiple
    assert saved[first["judge"]][1] in ("T", "F")
    assert saved[first["blank"]][1][0] == "一", saved[first["blank"]][1]
