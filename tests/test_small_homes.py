"""The small rules with one home: the display zone, numbers as an office reads them, the reason limit."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from examapp import create_app
from examapp.clock import FrozenClock, display_zone, file_stamp, local_time, local_today
from examapp.errors import DomainError
from examapp.numbers import percent, plain, plain_decimal
from examapp.reasons import MAX_REASON_LENGTH, clean_reason, too_long
from examapp.staff.forms import ReasonForm

from .conftest import app_config


@pytest.mark.parametrize(
    "value, text",
    [
        (Decimal("95.50"), "95.5"),
        (Decimal("100.00"), "100"),
        (Decimal("1E+2"), "100"),
        (Decimal("0.0500"), "0.05"),
        (Decimal("-0.00"), "0"),
        (Decimal("0E-7"), "0"),
        (Decimal("94.999999"), "94.999999"),
        (3, "3"),
        (0.25, "0.25"),
        ("文字", "文字"),
    ],
)
def test_plain_numbers(value, text):
    assert plain(value) == text


def test_plain_decimal_keeps_the_value():
    assert plain_decimal("12.300") == Decimal("12.3")
    assert str(plain_decimal(Decimal("2E+1"))) == "20"


@pytest.mark.parametrize(
    "share, text", [(Decimal("0.30"), "30%"), (Decimal("0.05"), "5%"), (0.125, "12.5%"), (Decimal("1"), "100%")]
)
def test_percent(share, text):
    assert percent(share) == text


def test_the_display_zone_follows_the_setting(tmp_path):
    """Pages, rules and file names count days in the configured zone, not a hard-coded one."""
    url = "sqlite:///" + str(tmp_path / "zone.sqlite3")
    # 2026-12-02 20:30 UTC is already the 3rd in Beijing, still the 2nd in London
    moment = datetime(2026, 12, 2, 20, 30, tzinfo=UTC)
    for zone, day in (("Asia/Shanghai", "20261203"), ("Europe/London", "20261202")):
        app = create_app(app_config(url, DISPLAY_TIMEZONE=zone))
        app.extensions["clock"] = FrozenClock(moment)
        with app.app_context():
            assert display_zone().key == zone
            assert file_stamp() == day
            assert local_today().strftime("%Y%m%d") == day
            assert local_time(moment).tzinfo.key == zone
            assert app.jinja_env.filters["local_dt"](moment, "%Y%m%d") == day
    assert display_zone().key == "Asia/Shanghai"  # outside an app: the default
    assert local_time(None) is None


def test_reasons_are_checked_by_services():
    assert clean_reason("  情况属实  ") == "情况属实"
    assert clean_reason("", required=False) == ""
    with pytest.raises(DomainError) as refused:
        clean_reason("   ", required=True, label="撤销原因")
    assert refused.value.message == "请填写撤销原因"
    assert refused.value.field == "reason"
    assert clean_reason("字" * MAX_REASON_LENGTH) == "字" * MAX_REASON_LENGTH
    with pytest.raises(DomainError) as refused:
        clean_reason("字" * (MAX_REASON_LENGTH + 1), field="note", label="备注")
    assert refused.value.message == too_long("备注") == "备注不能超过 500 个字"
    assert refused.value.field == "note"


@pytest.mark.parametrize(
    "reason, ok, message",
    [("字" * 500, True, None), ("字" * 501, False, "原因不能超过 500 个字"), ("", False, "请填写原因")],
)
def test_reason_fields_use_the_same_rule(app, reason, ok, message):
    with app.test_request_context("/", method="POST", data={"reason": reason}):
        form = ReasonForm(meta={"csrf": False})
        assert form.validate() is ok
        assert form.reason.render_kw["maxlength"] == MAX_REASON_LENGTH
        if message:
            assert form.reason.errors == [message]
