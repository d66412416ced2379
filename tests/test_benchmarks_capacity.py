"""The exam-day benchmark harness: the capacity ladder's rates and verdicts, and the two servers
it can put in front of the app (benchmarks/capacity.py, benchmarks/wsgi_servers.py)."""

import http.client
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import capacity  # noqa: E402
from wsgi_servers import server_command, server_env, stop_server  # noqa: E402


def args(**overrides):
    values = {
        "server": "gunicorn",
        "database_url": "postgresql+psycopg://postgres@127.0.0.1:5432/exam_day",
        "answers": None,
        "login": None,
        "exam_day_args": [],
    }
    return type("Args", (), {**values, **overrides})()


def option(command, name):
    return command[command.index(name) + 1]


def test_a_rung_offers_the_days_rates_scaled_to_n():
    command = capacity.rung_command(
        args(server="granian", answers=10, login="password", exam_day_args=["--workers", "6"]), 2000, Path("f.json")
    )
    assert option(command, "--people") == "2000"
    assert option(command, "--login-rate") == "10"  # N / 200 per second
    assert option(command, "--save-rate") == "80"  # a save per person every 25 s
    assert option(command, "--start-spread") == option(command, "--submit-spread") == "50"
    assert option(command, "--answers") == "10"
    assert option(command, "--server") == "granian"
    assert option(command, "--login") == "password"
    assert option(command, "--output") == "f.json"
    assert command[-2:] == ["--workers", "6"]
    assert "--answers" not in capacity.rung_command(args(), 1000, Path("f.json"))


def figures(n=1000, **changes):
    """A rung's figures (exam_day.py's JSON) with every phase on target, changed by ``changes``."""
    out = {
        "logins": {"count": n, "rate": n / 200 * 0.97, "p95": 0.4, "mix": {"ticket code": n, "password": 0}},
        "starts": {"count": n, "within": 55.0, "click_to_page_p95": 0.6},
        "steady": {"rate": n / 25 * 0.98, "p95": 0.12},
        "submits": {"count": n - 20, "expected": n - 20, "within": 49.5, "p95": 0.3},
        "grading": {"within": 14.0, "peak": 300, "left": 0},
        "examinees": {"5xx": 0},
        "check": {"answers lost": 0, "neither submitted nor resumable": 0},
        "run": {"login_rate": n / 200, "save_rate": n / 25},
    }
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            out[section][field] = value
        else:
            out[section] = value
    return out


def verdicts(out, n=1000):
    return {phase: met for phase, (_measured, _target, met) in capacity.check(out, n).items()}


def test_every_phase_on_target():
    assert all(verdicts(figures()).values())


@pytest.mark.parametrize(
    ("change", "phase"),
    [
        ({"logins__rate": 1000 / 200 * 0.9}, "logins"),  # below 95 % of the offered rate
        ({"logins__p95": 1.0}, "logins"),
        ({"logins__count": 999}, "logins"),
        ({"starts__within": 61.0}, "starts"),
        ({"starts__click_to_page_p95": 1.2}, "starts"),
        ({"starts__count": 990}, "starts"),
        ({"steady__rate": 1000 / 25 * 0.8}, "saves"),
        ({"steady__p95": 0.3}, "saves"),
        ({"submits__count": 970}, "submits"),
        ({"submits__within": 75.0}, "submits"),
        ({"grading__within": 121.0}, "scores"),
        ({"grading": {"within": None, "peak": 1000, "left": 12}}, "scores"),
        ({"grading": None}, "scores"),
        ({"examinees__5xx": 3}, "5xx"),
        ({"check__answers lost": 1}, "lost"),
        ({"check__neither submitted nor resumable": 2}, "lost"),
    ],
)
def test_a_phase_off_target_is_missed_and_only_that_one(change, phase):
    result = verdicts(figures(**change))
    assert result[phase] is False
    assert all(met for other, met in result.items() if other != phase)


def test_a_run_that_ended_without_its_read_back_misses_everything():
    assert not any(verdicts({"logins": {"count": 1000}}).values())


def test_sizes():
    assert capacity.parse_sizes("2000, 1000,1000") == [1000, 2000]
    for bad in ("", "5", "30000"):
        with pytest.raises(Exception, match="sizes between"):
            capacity.parse_sizes(bad)


def test_unknown_server():
    with pytest.raises(ValueError, match="gunicorn"):
        server_command("uwsgi", "wsgi:app", 8000, 2, 2)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("server", ["gunicorn", "granian"])
def test_both_servers_serve_the_app(server, tmp_path):
    port = free_port()
    env = server_env(
        {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", "SECRET_KEY": "test"}, 2, 2
    )
    command = server_command(server, "wsgi:app", port, 2, 2)
    with open(tmp_path / "server.log", "w") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        status, deadline = None, time.monotonic() + 60
        while status is None and time.monotonic() < deadline and process.poll() is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/login")
                status = conn.getresponse().status
                conn.close()
            except OSError:
                time.sleep(0.2)
        assert status == 200, (tmp_path / "server.log").read_text(errors="replace")[-2000:]
    finally:
        stop_server(process)
