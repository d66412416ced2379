"""The 手机号 rule: a mainland mobile number, written with or without separators."""

import pytest
from sqlalchemy import select

from examapp.auth.models import User
from examapp.errors import DomainError
from examapp.extensions import db
from examapp.staff.importing import check_rows
from examapp.staff.phones import PHONE_PROBLEM, InvalidPhone, normalise_phone
from examapp.staff.services import create_user


@pytest.mark.parametrize(
    "text, stored",
    [
        ("13800138000", "13800138000"),
        (" 19912345678 ", "19912345678"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("138　0013　8000", "13800138000"),  # full-width spaces from a Chinese IME
        ("138－0013－8000", "13800138000"),  # full-width hyphens
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_mobile_numbers_are_accepted_and_normalised(text, stored):
    assert normalise_phone(text) == stored


@pytest.mark.parametrize(
    "text",
    [
        "12345",
        "1380013800",  # 10 digits
        "138001380001",  # 12 digits
        "12800138000",  # second digit 2
        "10800138000",
        "23800138000",
        "0371-12345678",  # a landline
        "138OO138000",  # letters O for zeros
        "+86 138 0013 8000",
        "138/0013/8000",
        "abc",
    ],
)
def test_other_numbers_are_refused_with_a_chinese_reason(text):
    with pytest.raises(InvalidPhone) as caught:
        normalise_phone(text)
    assert str(caught.value) == PHONE_PROBLEM
    assert "11 位手机号码" in PHONE_PROBLEM


def test_the_service_refuses_a_short_number_and_stores_the_digits(app, world):
    with app.app_context():
        unit = db.session.merge(world.communities["a"])
        with pytest.raises(DomainError) as caught:
            create_user(None, username="short01", name="王强", role="examinee", unit=unit, phone="12345")
        assert caught.value.field == "phone" and "11 位手机号码" in caught.value.message
        user, _ = create_user(None, username="spaced01", name="李娜", role="examinee", unit=unit, phone="138 0013 8000")
        assert user.phone == "13800138000"
        db.session.rollback()
        assert db.session.scalar(select(User).filter_by(username="short01")) is None


def test_the_import_names_the_row_and_keeps_the_digits(app, world):
    with app.app_context():
        rows = [
            {"_row": 2, "姓名": "甲", "用户名": "jia01", "所属单位编码": "41010501001", "手机号": "138-0013-8000"},
            {"_row": 3, "姓名": "乙", "用户名": "yi01", "所属单位编码": "41010501001", "手机号": "12345"},
            {"_row": 4, "姓名": "丙", "用户名": "bing01", "所属单位编码": "41010501001", "手机号": ""},
        ]
        plan, problems = check_rows(db.session.merge(world.accounts["exam_admin"]), rows)
    assert [(p.row, p.column) for p in problems] == [(3, "手机号")]
    assert "12345" in problems[0].message and "11 位手机号码" in problems[0].message
    assert [item["phone"] for item in plan] == ["13800138000", "12345", ""]
