"""The audit log reads as Chinese for a person (issue 17, item 12): every action and field has a
label, times are Beijing time, and values read as 是/否, —, and plain text, never Python reprs."""

import ast
import importlib
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from examapp.audit.labels import FIELD_LABELS, show_value
from examapp.audit.services import ACTION_LABELS, record_change
from examapp.extensions import db
from examapp.org.services import create_unit, set_unit_active

EXAMAPP = Path(__file__).resolve().parent.parent / "examapp"
FORBIDDEN = ("True", "False", "None", "{'", "[{", "['", "[[")


def _assignments(tree):
    """{name: [value expressions assigned to it]} over a module."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append(node.value)
    return found


def _actions(expr, assigned, where, module=None):
    """The action names (or, for an f-string, regular expressions) an expression can give."""
    if isinstance(expr, ast.Name) and module is not None and isinstance(getattr(module, expr.id, None), str):
        return [getattr(module, expr.id)]  # a module-level constant, maybe imported
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [expr.value]
    if isinstance(expr, ast.IfExp):
        return _actions(expr.body, assigned, where, module) + _actions(expr.orelse, assigned, where, module)
    if isinstance(expr, ast.JoinedStr):
        parts = [re.escape(p.value) if isinstance(p, ast.Constant) else "[a-z_]+" for p in expr.values]
        return [re.compile("^" + "".join(parts) + "$")]
    if isinstance(expr, ast.Name) and expr.id in assigned:
        return [a for value in assigned[expr.id] for a in _actions(value, assigned, where, module)]
    raise AssertionError(f"{where}: cannot tell which action {ast.unparse(expr)} is")


def audited_actions():
    """Every action a record_change call across examapp/ writes: [(where, name or pattern)]."""
    found = []
    for path in sorted(EXAMAPP.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assigned = _assignments(tree)
        dotted = ".".join(path.relative_to(EXAMAPP.parent).with_suffix("").parts)
        module = importlib.import_module(dotted.removesuffix(".__init__"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name != "record_change" or path.name == "services.py" and path.parent.name == "audit":
                continue
            action = node.args[1] if len(node.args) > 1 else next(k.value for k in node.keywords if k.arg == "action")
            where = f"{path.relative_to(EXAMAPP.parent)}:{node.lineno}"
            found.extend((where, a) for a in _actions(action, assigned, where, module))
    return found


def test_every_audited_action_has_a_label(app):
    actions = audited_actions()
    assert len(actions) > 50  # the scan finds the calls
    missing = []
    for where, action in actions:
        if isinstance(action, str):
            ok = action in ACTION_LABELS
        else:
            ok = any(action.match(name) for name in ACTION_LABELS)
        if not ok:
            missing.append((where, action if isinstance(action, str) else action.pattern))
    assert missing == []
    for action, label in ACTION_LABELS.items():
        assert re.search(r"[\u4e00-\u9fff]", label), f"{action}: {label!r} is not Chinese"


def _keys(expr, assigned, functions, depth=0):
    """The literal field keys a before/after expression can hold (dicts, snapshots, names)."""
    if depth > 4:
        return set()
    if isinstance(expr, ast.Dict):
        keys = {k.value for k in expr.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
        for key, value in zip(expr.keys, expr.values, strict=True):
            if key is None:  # {**other}
                keys |= _keys(value, assigned, functions, depth + 1)
        return keys
    if isinstance(expr, ast.BinOp):
        return _keys(expr.left, assigned, functions, depth + 1) | _keys(expr.right, assigned, functions, depth + 1)
    if isinstance(expr, ast.IfExp):
        return _keys(expr.body, assigned, functions, depth + 1) | _keys(expr.orelse, assigned, functions, depth + 1)
    if isinstance(expr, ast.Name):
        return set().union(*(_keys(v, assigned, functions, depth + 1) for v in assigned.get(expr.id, [])))
    if isinstance(expr, ast.Call) and getattr(expr.func, "id", None) in functions:
        returns = [r.value for r in ast.walk(functions[expr.func.id]) if isinstance(r, ast.Return)]
        return set().union(*(_keys(v, assigned, functions, depth + 1) for v in returns))
    return set()


def recorded_field_keys():
    """{field key: where} of every literal key a record_change call across examapp/ records."""
    found = {}
    for path in sorted(EXAMAPP.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assigned = _assignments(tree)
        functions = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "record_change":
                for keyword in node.keywords:
                    if keyword.arg in ("before", "after"):
                        for key in _keys(keyword.value, assigned, functions):
                            found.setdefault(key, f"{path.relative_to(EXAMAPP.parent)}:{node.lineno}")
    return found


def test_every_recorded_field_has_a_label():
    keys = recorded_field_keys()
    assert {"is_active", "role", "closes_at", "passed", "questionnaire_open"} <= set(keys)  # the scan finds them
    assert {k: where for k, where in keys.items() if k not in FIELD_LABELS} == {}


#: values of every shape the services record
BEFORE = {
    "is_active": True,
    "parent": None,
    "kind": "street",
    "role": "examinee",
    "reasons": ["考试合格", "二看合格"],
    "score": "87.50",
    "excused": False,
}
AFTER = {
    "is_active": False,
    "parent": "410105",
    "kind": "community",
    "role": "district_admin",
    "reasons": [],
    "score": None,
    "excused": True,
    "blueprint": [["社会保险", "single", "easy", 5, "2.00"], ["劳动关系", "judge", None, 10, "1.00"]],
    "fixed": [[12, "2.00"], [13, "3.00"]],
    "values": {"street_hall_area": "60", "phones": "2"},
    "status": {"第 1 题": "待审核"},
    "opens_at": "2026-03-01T01:30:00+00:00",
    "unknown_key": "保留",
}


def _pages(client, query=""):
    pages, number = [], 1
    while True:
        html = client.get(f"/audit/?page={number}{query}").get_data(as_text=True)
        body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        if "暂无记录" in body:
            return pages
        pages.append(html)
        number += 1


def test_every_action_reads_as_chinese(app, as_role, clock):
    clock.set(datetime(2026, 3, 1, 0, 0, tzinfo=UTC))
    office = as_role("office")
    with app.app_context():
        for action in ACTION_LABELS:
            object_type = action.split(".", 1)[0]
            record_change(None, action, object_type, 1, label=f"对象-{action}", before=BEFORE, after=AFTER)
            record_change(None, action, object_type, 2, label=f"新对象-{action}", after=AFTER)
            record_change(None, action, object_type, 3, label=f"删除-{action}", before=BEFORE)
        db.session.commit()
    pages = _pages(office)
    assert pages
    text = "".join(pages)
    for bad in FORBIDDEN:
        assert bad not in text, f"{bad!r} shown on the audit page"
    for action, label in ACTION_LABELS.items():
        assert f'<td class="audit-action">{label}</td>' in text, f"{action} is not shown as {label}"
        assert f">{action}</td>" not in text
    for key in AFTER:
        if key != "unknown_key":
            assert f"{FIELD_LABELS[key]}</span>：" in text, key
    assert "unknown_key</span>：保留" in text  # a key nobody named is still shown
    assert "2026-03-01 08:00:00" in text  # the entry's time in Beijing time
    assert "2026-03-01 09:30:00" in text  # a moment inside the record too
    assert "启用</span>：是 → 否" in text
    assert "上级</span>：— → 410105" in text
    assert "社会保险，单选，易，5 题，每题 2.00 分；劳动关系，判断，不限难度，10 题，每题 1.00 分" in text
    assert "试题版本 12（2.00 分）；试题版本 13（3.00 分）" in text
    assert "街道大厅面积：60；电话：2" in text
    assert "依据</span>：考试合格、二看合格 → —" in text
    assert "（变更前）" in text  # a deletion's fields


@pytest.mark.parametrize(
    "value, key, object_type, shown",
    [
        (True, None, None, "是"),
        (False, None, None, "否"),
        (None, None, None, "—"),
        ("", None, None, "—"),
        ([], None, None, "—"),
        ({}, None, None, "—"),
        ("examinee", "role", "user", "考生"),
        ("street", "kind", "unit", "街道"),
        ("sealed", "status", "exam", "已封存"),
        ("submitted", "state", "attempt", "已交卷"),
        ("street", "kind", "exam", "street"),  # a code is named only where it means that
        ("2026-10-31", None, None, "2026-10-31"),
        ("2026-06-30T16:00:00+00:00", "closes_at", "exam", "2026-07-01 00:00:00"),
        ({"decision": None, "passed": True}, None, None, "验收决定：—；合格：是"),
        (["a", ["b", "c"]], None, None, "a、b、c"),
        ("403", "answer_status", "attempt", "拒绝（403）"),
    ],
)
def test_values_read_as_text(app, value, key, object_type, shown):
    with app.app_context():
        assert show_value(value, key, object_type) == shown


def test_a_real_change_reads_as_chinese(app, as_role, world):
    with app.app_context():
        unit = create_unit(None, code="41010501099", name="待撤并社区", kind="community", parent=world.streets["a"])
        set_unit_active(None, unit, False, reason="合并")
        db.session.commit()
    text = "".join(_pages(as_role("office"), "&action=unit.deactivate"))
    assert '<td class="audit-action">停用单位</td>' in text and "启用</span>：是 → 否" in text and "合并" in text
    created = "".join(_pages(as_role("office"), "&action=unit.create"))
    assert "类型</span>：街道" in created and "district" not in created
    for bad in FORBIDDEN:
        assert bad not in text + created
