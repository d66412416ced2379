"""The real bank in question_bank/ loads with zero errors, matches its README and passes its own lint."""

import re
from pathlib import Path

from sqlalchemy import func, select

from examapp.bank.content import Difficulty, QType
from examapp.bank.models import Question, QuestionCategory, Status
from examapp.extensions import db

BANK = Path(__file__).resolve().parent.parent / "question_bank"


def readme_table(column):
    """{分类: {header: int}} of the README table whose header row has 分类 first and ``column``."""
    lines = (BANK / "README.md").read_text(encoding="utf-8").splitlines()
    header_rows = [
        (i, [h.strip() for h in line.strip().strip("|").split("|")])
        for i, line in enumerate(lines)
        if line.startswith("|")
    ]
    start, headers = next((i, h) for i, h in header_rows if h[0] == "分类" and column in h)
    table = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        table[cells[0]] = {h: int(c) for h, c in zip(headers, cells, strict=True) if c.isdigit()}
    return table


def counts(app, column):
    with app.app_context():
        rows = db.session.execute(
            select(QuestionCategory.name, column, func.count())
            .join(Question.category)
            .where(Question.status == Status.PUBLISHED)
            .group_by(QuestionCategory.name, column)
        ).all()
    return rows


def test_the_whole_folder_loads_and_matches_the_readme(app, runner):
    result = runner.invoke(args=["bank", "load", str(BANK)])
    assert result.exit_code == 0, result.output
    assert "共" not in result.stderr  # no problem summary: zero errors
    by_type = readme_table("单选")
    expected = {
        (cat, qtype): row[QType.LABELS[qtype]] for cat, row in by_type.items() if cat != "合计" for qtype in QType.ALL
    }
    actual = {(cat, qtype): n for cat, qtype, n in counts(app, Question.qtype)}
    assert {k: v for k, v in expected.items() if v} == actual
    total = by_type["合计"]["合计"]
    assert sum(actual.values()) == total
    assert total >= 500  # the bank issue 19 asks for

    by_difficulty = readme_table("易")
    expected = {
        (cat, d): row[Difficulty.LABELS[d]]
        for cat, row in by_difficulty.items()
        if cat != "合计"
        for d in Difficulty.ALL
    }
    assert {(cat, d): n for cat, d, n in counts(app, Question.difficulty)} == {k: v for k, v in expected.items() if v}

    again = runner.invoke(args=["bank", "load", str(BANK)])
    assert again.exit_code == 0 and f"新建 0 道试题，跳过 {total} 道" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Question)) == total


def test_the_bank_keeps_the_rules_it_claims(runner):
    """``flask bank lint question_bank/``: guessable keys, near-duplicates and sources without an article fail it."""
    result = runner.invoke(args=["bank", "lint", str(BANK)])
    assert result.exit_code == 0, result.stderr
    assert "检查通过：7 个文件" in result.output
    share = re.search(r"多选答案为“除一项外全选”的 \d+ 道，占 (\d+)%", result.output)
    assert share and int(share.group(1)) <= 30
    assert "近似重复的试题 0 组" in result.output
