"""二看: the inspection checklist, taken from the standard's sections 一 (规范建设) and 六 (人性化服务).

A street or township office (劳动保障事务所) and a community (劳动保障工作站) get different lists.
Numeric items are judged ``measured value >= threshold`` (exactly the threshold passes); the
threshold is a setting of the cycle and is kept on each recorded item. Yes / no items pass on "yes".

The community's floor space is one item with two inputs, as the standard writes it (section 一.1):
its own office of at least ``community_office_area`` m², *or*, where it shares an office with the
community's other work, a dedicated window (专门窗口). The item passes when either holds.
"""

from dataclasses import dataclass
from decimal import Decimal

from ..numbers import plain

STREET = "street"
COMMUNITY = "community"
CHECKLIST_LABELS = {STREET: "街道（乡镇）劳动保障事务所", COMMUNITY: "社区劳动保障工作站"}

NUMBER = "number"
YESNO = "yesno"


@dataclass(frozen=True)
class ItemSpec:
    code: str
    #: where the standard says it ("一.1")
    clause: str
    label: str
    kind: str
    #: numeric items: the unit of measure, the cycle setting holding the threshold, whole numbers only?
    unit: str = ""
    setting: str | None = None
    integral: bool = False
    #: numeric items that another fact can satisfy instead (the community's dedicated window)
    alternative: str | None = None
    #: what the inspector looks for
    hint: str = ""


@dataclass(frozen=True)
class ChecklistItem:
    """An item of a generated checklist: the spec with the cycle's threshold resolved."""

    spec: ItemSpec
    threshold: Decimal | None

    def __getattr__(self, name):
        if name == "spec":  # not set yet (copying): never recurse
            raise AttributeError(name)
        return getattr(self.spec, name)

    @property
    def requirement(self):
        """The rule in words: "≥ 60 m²"; for yes / no items the label says it."""
        if self.kind != NUMBER:
            return "是"
        text = f"≥ {format_number(self.threshold)} {self.unit}".rstrip()
        return f"{text}，或{self.alternative}" if self.alternative else text


def format_number(value):
    """A measured value or threshold without trailing zeros: 60.0 -> "60", 15.50 -> "15.5"; None -> ""."""
    return "" if value is None else plain(value)


def _yes(code, clause, label, hint=""):
    return ItemSpec(code, clause, label, YESNO, hint=hint)


def _count(code, clause, label, unit, setting, hint=""):
    return ItemSpec(code, clause, label, NUMBER, unit=unit, setting=setting, integral=True, hint=hint)


_STREET = (
    ItemSpec(
        "hall_area",
        "一.1",
        "办事大厅面积",
        NUMBER,
        unit="m²",
        setting="street_hall_area",
        hint="劳动保障事务所的办事大厅实测面积",
    ),
    _count("computers", "一.2", "劳动保障专用电脑", "台", "street_computers"),
    _yes("broadband", "一.2", "与市、区劳动保障信息网宽带联网"),
    _count("phones", "一.3", "办公电话", "部", "phones"),
    _count("cabinets", "一.3", "文件柜", "个", "street_cabinets"),
    _yes("air_conditioning", "一.3", "配备空调"),
    _yes("vehicle", "一.3", "配备工作车辆", "街道劳动保障事务所应配备车辆，以保证工作需要"),
    _yes("rules_on_wall", "一.4", "规章制度健全，工作职责、服务流程按统一式样上墙"),
    _yes("ledgers", "一.4", "管理台帐齐全，资料摆放整齐统一，登记及时"),
    _yes("database", "一.4", "建立信息数据库，各种报表填报及时、数字准确"),
    _yes("staffing", "一.5", "按郑发[2003]4号文件规定为全供事业编制，并按规定配置人员"),
    _yes("funding", "一.6", "办公经费及工作人员经费全部列入财政预算"),
)

_COMMUNITY = (
    ItemSpec(
        "office_area",
        "一.1",
        "单独办公用房面积",
        NUMBER,
        unit="m²",
        setting="community_office_area",
        alternative="与社区其它工作一起办公的，设立专门窗口",
        hint="有单独办公用房的填实测面积；与社区其它工作一起办公的，勾选“设立专门窗口”",
    ),
    _count("computers", "一.2", "劳动保障专用电脑", "台", "community_computers"),
    _yes("broadband", "一.2", "与市、区劳动保障信息网宽带联网"),
    _count("phones", "一.3", "办公电话", "部", "phones"),
    _count("cabinets", "一.3", "文件柜", "个", "community_cabinets"),
    _yes("air_conditioning", "一.3", "配备空调"),
    _yes("rules_on_wall", "一.4", "规章制度健全，工作职责、服务流程按统一式样上墙"),
    _yes("ledgers", "一.4", "管理台帐齐全，资料摆放整齐统一，登记及时"),
    _yes("database", "一.4", "建立信息数据库，各种报表填报及时、数字准确"),
    _count(
        "staff", "一.5", "专职工作人员", "人", "community_staff", "社区劳动保障工作站人员不少于规定人数，并保持专职"
    ),
    _yes("funding", "一.6", "工作人员经费全部列入财政预算"),
)

#: section 六 (人性化服务): the same for both
_HUMANISED = (
    _yes("service_items_on_wall", "六", "服务项目全部上墙"),
    _yes("brochures", "六", "制备有宣传册（页）"),
    _yes("seats", "六", "安装有便民座椅"),
    _yes("drinking_water", "六", "设立有饮水处"),
    _yes("newspapers", "六", "订阅有报刊杂志"),
    _yes("suggestion_box", "六", "设置有意见箱"),
)

SPECS = {STREET: _STREET + _HUMANISED, COMMUNITY: _COMMUNITY + _HUMANISED}

SECTIONS = {"一": "一、规范建设方面", "六": "六、人性化服务方面"}


def checklist(cycle, kind):
    """The items of the ``kind`` checklist with ``cycle``'s thresholds."""
    return [
        ChecklistItem(spec, Decimal(getattr(cycle, spec.setting)) if spec.setting else None) for spec in SPECS[kind]
    ]


@dataclass(frozen=True)
class Judgement:
    passed: bool
    #: why it fails, in a sentence ("办事大厅面积 59.99 m²，低于 60 m²"); "" when it passes
    failure: str = ""


def judge(item, *, value=None, checked=None, threshold=None):
    """Judge one item from what was recorded. ``threshold`` overrides the item's (a recorded item
    keeps the one it was judged against)."""
    if item.kind == YESNO:
        return Judgement(True) if checked else Judgement(False, f"{item.label}：否")
    threshold = item.threshold if threshold is None else threshold
    limit = f"{format_number(threshold)} {item.unit}".rstrip()
    if value is not None and value >= threshold:
        return Judgement(True)
    if item.alternative and checked:
        return Judgement(True)
    if value is None:
        missing = f"{item.label}：未填写实测值"
    else:
        missing = f"{item.label} {format_number(value)} {item.unit}".rstrip() + f"，低于 {limit}"
    if item.alternative:
        missing += "，且未" + item.alternative.split("，")[-1]
    return Judgement(False, missing)
