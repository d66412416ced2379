"""``flask bank lint`` and the overview's quality report: the rules a bank claims, at their edges."""

import re
from datetime import date

import pytest

from examapp.bank.content import QType, QuestionData
from examapp.bank.lint import Entry, lint, names_an_article, similarity
from examapp.bank.models import Status

from . import bank_factories as bank
from .conftest import login


def _multiple(stem, answer, options=("甲", "乙", "丙", "丁"), source="《中华人民共和国社会保险法》第十条"):
    return QuestionData(qtype=QType.MULTIPLE, stem=stem, options=list(options), answer=answer, source=source)


def _entries(datas, file="a.csv"):
    return [Entry(data=d, file=file, row=i + 2) for i, d in enumerate(datas)]


# --- 多选 keys ---------------------------------------------------------------------------------


def test_all_but_one_keys_at_the_limit_pass_and_above_it_fail():
    ten_at_limit = [
        _multiple(f"第{i}题问的是不同的事情{'甲乙丙丁戊己庚辛壬癸'[i]}", "ABC" if i < 3 else "AB") for i in range(10)
    ]
    report = lint(_entries(ten_at_limit))
    assert report.all_but_one == 3 and report.multiple == 10
    assert not report.errors  # 30 % is allowed
    over = ten_at_limit[:-1] + [_multiple("第九题换成除一项外全选的答案癸", "ABD")]
    report = lint(_entries(over))
    [finding] = report.errors
    assert finding.rule == "all_but_one" and finding.column == "答案" and finding.file == "a.csv"
    assert "10 道多选中有 4 道（40%）" in finding.message
    assert "第 2、3、4、11 行" in finding.message  # the rows, so an editor can find them


def test_the_share_is_counted_per_file():
    good = [_multiple(f"好文件第{i}题内容各不相同{'甲乙丙丁戊'[i]}", "AB") for i in range(4)]
    bad = [_multiple(f"坏文件第{i}题内容各不相同{'子丑寅卯辰'[i]}", "ABC") for i in range(2)]
    report = lint(_entries(good, "good.csv") + _entries(bad, "bad.csv"))
    assert [f.file for f in report.errors] == ["bad.csv"]
    assert report.key_sizes == {(2, 4): 4, (3, 4): 2}


def test_a_key_of_every_option_is_not_all_but_one():
    report = lint(_entries([_multiple("以下都属于社会保险的是", "ABCD")]))
    assert report.all_but_one == 0 and not report.errors


# --- near-duplicates ---------------------------------------------------------------------------


def test_two_versions_of_one_statement_answer_each_other():
    true = QuestionData(
        qtype=QType.JUDGE,
        stem="社会保险经办机构应当自收到名单之日起十五日内为失业人员办理失业登记。",
        answer="T",
        source="《中华人民共和国社会保险法》第五十条",
    )
    false = QuestionData(
        qtype=QType.JUDGE,
        stem="社会保险经办机构应当自收到名单之日起七日内为失业人员办理失业登记。",
        answer="F",
        source="《中华人民共和国社会保险法》第五十条",
    )
    report = lint(_entries([true, false]))
    [finding] = report.errors
    assert finding.rule == "near_duplicate" and finding.row == 2 and "a.csv 第 3 行" in finding.message
    assert len(report.clusters) == 1


def test_similar_stems_with_different_keys_are_different_questions():
    a = QuestionData(
        qtype=QType.SINGLE,
        stem="工伤职工停工留薪期一般不超过（  ）。",
        options=["6个月", "12个月", "24个月", "3个月"],
        answer="B",
        source="《工伤保险条例》第三十三条",
    )
    b = QuestionData(
        qtype=QType.SINGLE,
        stem="工伤职工停工留薪期特殊情况延长最多不超过（  ）。",
        options=["6个月", "12个月", "24个月", "3个月"],
        answer="A",
        source="《工伤保险条例》第三十三条",
    )
    assert lint(_entries([a, b])).clusters == []
    # the same question, options reordered, is a duplicate: the key is what the options say
    c = QuestionData(
        qtype=QType.SINGLE,
        stem="工伤职工停工留薪期一般不超过____。",
        options=["12个月", "6个月", "3个月", "24个月"],
        answer="A",
        source="《工伤保险条例》第三十三条",
    )
    assert len(lint(_entries([a, b, c])).clusters) == 1


def test_similarity_ignores_punctuation_width_and_blanks():
    assert (
        similarity(
            "劳动合同期限三个月以上不满一年的，试用期不得超过一个月。",
            "劳动合同期限三个月以上不满一年的,试用期不得超过____。",
        )
        > 0.8
    )
    assert similarity("劳动合同期限三个月以上不满一年的", "职工基本养老保险个人账户不得提前支取") < 0.2


# --- 依据 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, ok",
    [
        ("《中华人民共和国社会保险法》第五十条", True),
        ("《中华人民共和国社会保险法》第五十条第二款", True),
        ("《保障农民工工资支付条例》第4条", True),
        ("《中华人民共和国社会保险法》", False),
        ("《保障农民工工资支付条例》第四章", False),  # a chapter is not an article
        ("《中华人民共和国就业促进法》第三十五条；《就业服务与就业管理规定》", False),  # every document
        ("《中华人民共和国就业促进法》第三十五条；《就业服务与就业管理规定》第十条", True),
        ("郑政办〔2005〕27号 附件 三、", True),  # a section without numbered items
        ("郑政办〔2005〕27号 附件第五部分（离退休人员管理和服务方面）", True),
        ("郑政办〔2005〕27号 附件 一、", False),  # sections 一 and 二 list items: name one
        ("郑政办〔2005〕27号 附件 一、第1条", True),
        ("郑政办〔2005〕27号 附件 二、5.", True),
        ("郑政办〔2005〕27号 附件六", False),
        ("郑政办〔2005〕27号 通知正文首段", False),
        ("郑政办〔2005〕27号 正文 二、", True),
        ("《国务院办公厅关于全面推进生育保险和职工基本医疗保险合并实施的意见》（国办发〔2019〕10号）二、（一）", True),
        ("《国务院关于建立统一的城乡居民基本养老保险制度的意见》（国发〔2014〕8号）七、养老保险待遇领取条件", True),
        ("《国务院关于建立统一的城乡居民基本养老保险制度的意见》", False),  # an opinion: name the section
        ("《就业服务与就业管理规定》二、", False),  # rules have articles: a section is not enough
        ("《某某实施办法（试行）》二、", False),  # a trial 办法 is still a 办法
        ("", False),
        ("见有关规定", False),
    ],
)
def test_a_source_names_the_article(source, ok):
    assert names_an_article(source) is ok


# --- notes ---------------------------------------------------------------------------------------


def test_blanks_with_one_answer_and_amended_laws_are_notes_not_errors():
    blank = QuestionData(
        qtype=QType.BLANK,
        stem="失业人员应当及时到____办理失业登记，领取期限最长为____个月。",
        answer=[["公共就业服务机构"], ["24"]],
        source="《中华人民共和国社会保险法》第五十条",
    )
    old = Entry(data=blank, file="x.csv", row=2, edited_on=date(2015, 1, 1))
    report = lint([old])
    assert not report.errors
    rules = sorted(f.rule for f in report.notes)
    assert rules == ["amended_law", "blank_variants"]  # the number needs no variant: numerals are folded
    assert "2018年12月29日" in next(f for f in report.notes if f.rule == "amended_law").message
    fresh = Entry(data=blank, file="x.csv", row=2, edited_on=date(2019, 1, 1))
    assert [f.rule for f in lint([fresh]).notes] == ["blank_variants"]


# --- the command ----------------------------------------------------------------------------------


def _write(path, rows):
    path.write_bytes(bank.csv_bytes(rows))
    return path


def test_lint_passes_a_good_folder_and_reports_notes(app, runner, tmp_path):
    folder = tmp_path / "bank"
    folder.mkdir()
    rows = bank.good_rows()
    rows[1]["答案"] = "AB"
    rows[3]["答案"] = "4;四|每周工时"
    _write(folder / "good.csv", rows)
    result = runner.invoke(args=["bank", "lint", str(folder)])
    assert result.exit_code == 0, result.output + result.stderr
    assert "检查通过：1 个文件，4 道试题符合题库规则" in result.output
    assert "多选答案为“除一项外全选”的 0 道，占 0%" in result.output
    assert "多选答案项数分布：4 个选项选 2 项 1 道" in result.output
    assert "提示：good.csv：第 5 行“答案”列：第 2 空只接受“每周工时”一种写法" in result.output


def test_lint_fails_a_file_of_all_but_one_keys(app, runner, tmp_path):
    path = _write(tmp_path / "guessable.csv", bank.good_rows())  # its one 多选 is keyed 3 of 4
    result = runner.invoke(args=["bank", "lint", str(path)])
    assert result.exit_code == 1
    assert (
        "guessable.csv：“答案”列：1 道多选中有 1 道（100%）的答案是“除一项外全选”，超过 30%：第 3 行" in result.stderr
    )


def test_lint_fails_with_row_and_column(app, runner, tmp_path):
    rows = bank.good_rows()
    rows[0]["依据"] = "《劳动保障监察条例》"
    rows[2]["答案"] = "也许"
    path = _write(tmp_path / "bad.csv", rows)
    result = runner.invoke(args=["bank", "lint", str(path)])
    assert result.exit_code == 1
    assert "bad.csv：第 2 行“依据”列" in result.stderr
    assert "第 4 行" in result.stderr and "“答案”列" in result.stderr
    assert re.search(r"共 \d+ 处不符合题库规则", result.stderr)


def test_the_overview_shows_the_quality_report(app, client, world):
    make = bank.BankFactory(app)
    for n in range(3):
        make.question(
            status=Status.PUBLISHED,
            qtype="multiple",
            stem=f"第{n}道多选：下列各项中属于用人单位义务的是{'甲乙丙'[n]}",
            options=["按时缴费", "代扣代缴", "如实申报", "拒绝登记"],
            answer="ABC",
        )
    make.question(status=Status.PUBLISHED, source="《中华人民共和国社会保险法》")
    assert login(client, "admin").status_code == 302
    page = client.get("/bank/overview").get_data(as_text=True)
    section = page.split('data-testid="bank-quality"', 1)[1]
    assert "多选答案为“除一项外全选”的 3 道，占 100%（每个分类不超过 30%）" in section
    assert "须改正" in section and "依据未写明条款" in section
    assert re.search(r'href="/bank/\d+"', section)  # each finding links to its question


def test_a_fill_in_question_page_states_the_grading_rule(app, client, world):
    blank = bank.BankFactory(app).question(
        qtype="blank",
        options=[],
        stem="用人单位应当自用工之日起____日内为职工办理社会保险登记。",
        answer=[["30", "三十"]],
    )
    single = bank.BankFactory(app).question()
    assert login(client, "admin").status_code == 302
    page = client.get(f"/bank/{blank.id}").get_data(as_text=True)
    rule = page.split('data-testid="blank-rule"', 1)[1]
    assert "中文数字与阿拉伯数字视为相同" in rule and "题干在空格前后已经印出的字" in rule
    assert 'data-testid="blank-rule"' not in client.get(f"/bank/{single.id}").get_data(as_text=True)
