"""What a new user of each role trips over, checked in the browser at 1024×768."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

SMALL = {"width": 1024, "height": 768}


@pytest.mark.parametrize("username", ["admin", "office", "jinshui"])
def test_the_top_menu_stays_on_one_line_at_1024(page, login, screenshot, username):
    page.set_viewport_size(SMALL)
    login(username)
    expect(page.get_by_test_id("whoami")).to_be_visible()
    nav = page.locator("nav.app-nav")
    line = page.locator("nav.app-nav .nav-link").first.bounding_box()["height"]
    for link in page.locator("nav.app-nav .nav-link, nav.app-nav .btn").all():
        box = link.bounding_box()
        assert box["height"] <= line + 2, f"{link.inner_text()!r} wraps: {box}"
    assert nav.bounding_box()["height"] < 70  # one row: brand, menu and account in one line
    assert page.evaluate("document.documentElement.scrollWidth") <= SMALL["width"]
    screenshot(f"nav_{username}_1024.png")
