"""The audit page, the command-line tools, configuration and migrations."""

from pathlib import Path

from sqlalchemy import func, inspect, select

from examapp.audit.models import AuditEntry
from examapp.auth.models import User
from examapp.config import load_secret_key, normalise_database_url
from examapp.extensions import db
from examapp.org.models import Unit

from .conftest import csrf_token, login, post

# --- audit ----------------------------------------------------------------------


def test_audit_page_is_scoped_to_the_district(app, client, world):
    admin = app.test_client()
    login(admin, "admin")
    for key in ("examinee", "examinee_b"):
        uid = world.accounts[key].id
        post(admin, f"/staff/{uid}/reset-password", {"reason": f"重置{key}"}, page=f"/staff/{uid}")
    full = admin.get("/audit/?action=user.password_reset").get_data(as_text=True)
    assert "重置examinee" in full and "重置examinee_b" in full
    login(client, "jinshui")
    scoped = client.get("/audit/?action=user.password_reset").get_data(as_text=True)
    assert "重置examinee<" in scoped and "重置examinee_b" not in scoped


def test_audit_entry_records_actor_and_address(app, world):
    admin = app.test_client()
    login(admin, "admin")
    uid = world.accounts["examinee"].id
    admin.post(
        f"/staff/{uid}/reset-password",
        data={"reason": "r", "csrf_token": csrf_token(admin, f"/staff/{uid}")},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).filter_by(action="user.password_reset"))
        assert entry.actor_username == "admin" and entry.client_address == "10.1.2.3"
        assert entry.created_at.tzinfo is not None


# --- CLI ------------------------------------------------------------------------


def test_demo_load_fills_an_empty_database_once(app, runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "admin" in result.output and "密码" in result.output
    with app.app_context():
        districts = db.session.scalars(select(Unit.name).filter_by(kind="district")).all()
        assert {"郑州矿区", "郑州高新区", "郑州经济开发区", "金水区", "登封市"} <= set(districts)
        assert len(districts) == 15
        roles = set(db.session.scalars(select(User.role)).all())
        assert roles == {"examinee", "district_admin", "exam_admin", "office"}
        users = db.session.scalar(select(func.count()).select_from(User))
        _check_the_past_demo_exam()
        _check_the_demo_cycle_takes_recommendations()
        _check_the_integrity_demo(result.output)
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0 and "跳过" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == users


def _check_the_past_demo_exam():
    """A closed demo exam whose units sit a little above and below 95, with both kinds of absence."""
    from decimal import Decimal

    from examapp.exams.models import Exam, ExamStatus
    from examapp.results.scores import Verdict, live_unit_scores

    past = db.session.scalar(select(Exam).where(Exam.is_demo.is_(True)))
    assert past.status == ExamStatus.CLOSED and past.closes_at < past.created_at
    scores = live_unit_scores(past)
    near = [s for s in scores if s.average is not None and abs(s.average_shown - Decimal(95)) <= 1]
    assert {s.verdict for s in near} == {Verdict.PASSED, Verdict.DISQUALIFIED}
    assert any(s.average_shown == Decimal("95.00") and s.verdict == Verdict.PASSED for s in scores)
    assert sum(s.excused for s in scores) >= 1 and sum(s.absent for s in scores) >= 1


def _check_the_demo_cycle_takes_recommendations():
    """The past exam's district has its own admin, and this year's cycle still takes materials, so the
    demo can be walked from recommendation to decision whatever the date."""
    from examapp.accreditation.recommend import services as recommend
    from examapp.clock import utcnow
    from examapp.cycles.models import AccreditationCycle

    erqi = db.session.scalar(select(User).filter_by(username="erqi"))
    assert erqi.role == "district_admin" and erqi.unit.name == "二七区"
    cycle = db.session.scalar(select(AccreditationCycle).filter_by(year=utcnow().year))
    assert recommend.is_open(cycle)


def _check_the_integrity_demo(output):
    """The integrity demo's planted cases are found, and nobody else is named by a finding."""
    import re

    from examapp.exams.models import Exam
    from examapp.integrity.models import Finding
    from examapp.sitting.models import Attempt

    copier, source, stand_in, stood_for = re.search(
        r"预置(\S+?)抄袭(\S+?)的错误答案、(\S+?)替(\S+?)答题", output
    ).groups()
    exam = db.session.scalar(select(Exam).where(Exam.title.contains("诚信分析")))
    findings = db.session.scalars(select(Finding).where(Finding.exam_id == exam.id)).all()

    def names(finding):
        return set(
            db.session.scalars(
                select(User.name).join(Attempt, Attempt.user_id == User.id).where(Attempt.id.in_(finding.attempt_ids))
            )
        )

    copying = [names(f) for f in findings if f.kind == "copying"]
    assert {copier, source} in copying
    trio = {stand_in, *stood_for.split("、")}
    assert trio in [names(f) for f in findings if f.kind == "same_device"]
    planted = trio | {copier, source}
    assert all(pair <= planted for pair in copying), copying


def test_demo_passwords_printed_are_the_real_ones(app, runner):
    import re

    output = runner.invoke(args=["demo", "load"]).output
    username, password = re.search(r"用户名 (admin)\s+密码 (\S+)", output).groups()
    client = app.test_client()
    assert login(client, username, password).status_code == 302


def test_users_create_and_set_password(app, runner, world):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "boss",
            "--name",
            "主任",
            "--role",
            "office",
            "--unit",
            "410100",
            "--password",
            "Str0ngPass",
        ]
    )
    assert result.exit_code == 0, result.output
    assert login(app.test_client(), "boss", "Str0ngPass").status_code == 302
    weak = runner.invoke(args=["users", "set-password", "boss", "--password", "weak"])
    assert weak.exit_code != 0 and "至少需要 8 位" in weak.output
    bad_unit = runner.invoke(
        args=["users", "create", "x1y", "--name", "n", "--role", "office", "--unit", "NOPE", "--password", "Str0ngPass"]
    )
    assert bad_unit.exit_code != 0 and "不存在" in bad_unit.output
    ok = runner.invoke(args=["users", "set-password", "boss", "--password", "An0therPass"])
    assert ok.exit_code == 0
    assert login(app.test_client(), "boss", "An0therPass").headers["Location"] == "/account/password"


# --- configuration -------------------------------------------------------------


def test_database_url_forms():
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_secret_key(tmp_path)
    assert len(first) >= 64 and load_secret_key(tmp_path) == first
    assert (Path(tmp_path) / "secret_key").stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert load_secret_key(tmp_path) == "from-env"


def test_sqlite_pragmas(tmp_path):
    from examapp import create_app

    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.sqlite3"})
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == app.config["SQLITE_BUSY_TIMEOUT_MS"]


def test_gunicorn_post_fork_disposes_the_pool(app, monkeypatch):
    import runpy

    conf = runpy.run_path(str(Path(__file__).parents[1] / "gunicorn.conf.py"))
    assert conf["preload_app"] is True
    disposed = []

    class Worker:
        class app:  # noqa: N801 - mimics gunicorn's worker.app
            @staticmethod
            def wsgi():
                return app

    with app.app_context():
        engine = db.engine
    monkeypatch.setattr(type(engine), "dispose", lambda self, close=True: disposed.append(close))
    conf["post_fork"](None, Worker)
    assert disposed == [False]


# --- migrations ------------------------------------------------------------------


def test_one_migration_head(app):
    from alembic.script import ScriptDirectory
    from flask_migrate import Config

    config = Config(str(Path(app.root_path).parent / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(Path(app.root_path).parent / "migrations"))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_models_match_the_migrated_schema(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context():
        conn = db.session.connection()
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []
        assert "units" in inspect(conn).get_table_names()
