"""The exam page's ES modules are served under a versioned folder, so their imports are versioned too."""

import re
from pathlib import Path

from flask import url_for

from examapp import create_app
from examapp.web.static_modules import module_url

from .conftest import app_config

YEAR = 365 * 24 * 3600
MODULES = Path(__file__).resolve().parent.parent / "examapp" / "static" / "js" / "attempt"


def scratch_app(tmp_path):
    """An app whose static folder is a scratch copy that a test may change."""
    app = create_app(app_config(f"sqlite:///{tmp_path}/scratch.sqlite3"))
    static = tmp_path / "static"
    (static / "js" / "attempt").mkdir(parents=True)
    app.static_folder = str(static)
    return app, static / "js" / "attempt"


def test_the_module_url_carries_the_folder_digest_and_serves_the_module(app, client):
    with app.test_request_context():
        url = module_url("js/attempt", "main.js")
    assert re.fullmatch(r"/static/js/attempt/[0-9a-f]{12}/main\.js", url)
    with client.get(url) as response:
        assert response.status_code == 200
        assert response.mimetype == "text/javascript"
        assert response.get_data() == (MODULES / "main.js").read_bytes()
        assert response.cache_control.max_age == YEAR and response.cache_control.public


def test_every_relative_import_resolves_inside_the_versioned_folder(app, client):
    with app.test_request_context():
        folder = module_url("js/attempt", "main.js").rsplit("/", 1)[0]
    imported = set()
    for module in MODULES.glob("*.js"):
        imported.update(re.findall(r'from "\./([\w-]+\.js)"', module.read_text(encoding="utf-8")))
    assert "queue.js" in imported and "countdown.js" in imported
    for name in sorted(imported):
        with client.get(f"{folder}/{name}") as response:
            assert response.status_code == 200, name
            assert response.get_data() == (MODULES / name).read_bytes()


def test_modules_stay_cacheable_for_a_logged_in_user(app, as_role):
    with app.test_request_context():
        url = module_url("js/attempt", "queue.js")
    with as_role("examinee").get(url) as response:
        assert response.status_code == 200
        assert response.cache_control.max_age == YEAR and not response.cache_control.no_store


def test_a_changed_or_added_module_changes_the_digest_of_the_whole_folder(tmp_path):
    app, folder = scratch_app(tmp_path)
    (folder / "main.js").write_text('import "./queue.js";', encoding="utf-8")
    (folder / "queue.js").write_text("export const a = 1;", encoding="utf-8")
    with app.test_request_context():
        first = module_url("js/attempt", "main.js")
        assert module_url("js/attempt", "main.js") == first
        assert module_url("js/attempt", "queue.js") == first.replace("main.js", "queue.js")
        (folder / "queue.js").write_text("export const a = 22;", encoding="utf-8")
        second = module_url("js/attempt", "main.js")
        (folder / "extra.js").write_text("", encoding="utf-8")
        third = module_url("js/attempt", "main.js")
    assert len({first, second, third}) == 3


def test_the_digest_depends_on_the_content_only(tmp_path):
    urls = []
    for name in ("one", "two"):
        app, folder = scratch_app(tmp_path / name)
        (folder / "main.js").write_text("export {};", encoding="utf-8")
        with app.test_request_context():
            urls.append(module_url("js/attempt", "main.js"))
    assert urls[0] == urls[1]  # the same on every app server


def test_an_unknown_file_or_a_malformed_version_is_not_found(tmp_path):
    app, folder = scratch_app(tmp_path)
    (folder / "main.js").write_text("export {};", encoding="utf-8")
    (folder / "notes.txt").write_text("not a module", encoding="utf-8")
    with app.test_request_context():
        url = module_url("js/attempt", "main.js")
    versioned = url.rsplit("/", 1)[0]
    client = app.test_client()
    with client.get(url) as response:
        assert response.status_code == 200
    for missing in (
        f"{versioned}/nope.js",
        f"{versioned}/notes.txt",
        "/static/js/attempt/not-a-digest/main.js",
        "/static/js/attempt/0123456789ab/sub/main.js",
    ):
        with client.get(missing) as response:
            assert response.status_code == 404, missing


def test_a_plain_static_url_is_built_as_before(app):
    with app.test_request_context():
        assert re.fullmatch(
            r"/static/js/attempt/main\.js\?v=[0-9a-f]{12}", url_for("static", filename="js/attempt/main.js")
        )
        assert url_for("static", filename="js/attempt-nomodule.js").startswith("/static/js/attempt-nomodule.js?v=")


def test_a_module_is_served_from_memory_and_answers_a_revalidation_with_304(app, client):
    with app.test_request_context():
        url = module_url("js/attempt", "queue.js")
    with client.get(url) as response:
        etag = response.headers["ETag"]
    with client.get(url, headers={"If-None-Match": etag}) as response:
        assert response.status_code == 304
    with client.get(url, headers={"Range": "bytes=0-9"}) as response:
        assert response.status_code == 206
        assert response.get_data() == (MODULES / "queue.js").read_bytes()[:10]
