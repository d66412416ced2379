"""The question bank both exam-day benchmarks draw from (benchmarks/exam_day.py, bench_day_paths.py):
four categories, each with questions of every type, enough for an 80-question, 100-point paper."""

from examapp.bank.content import Difficulty, QType, QuestionData
from examapp.bank.models import Status
from examapp.bank.services import create_category, create_question

CATEGORIES = ["社会保险", "就业再就业政策", "劳动关系与劳动合同", "劳动保障监察"]
#: per category: (type, questions in the bank, drawn per paper): 4 x 20 = 80 questions x 1.25 = 100 points
PAPER = [(QType.SINGLE, 40, 10), (QType.MULTIPLE, 15, 5), (QType.JUDGE, 15, 3), (QType.BLANK, 10, 2)]


def build_bank():
    categories = []
    for c, name in enumerate(CATEGORIES, start=1):
        category = create_category(None, name)
        categories.append(category)
        for qtype, count, _drawn in PAPER:
            for n in range(1, count + 1):
                stem = f"（{c}-{qtype}-{n}）根据{name}的规定，下列说法正确的是（  ）。"
                options, answer = [], None
                if qtype == QType.SINGLE:
                    options, answer = ["甲项说法", "乙项说法", "丙项说法", "丁项说法"], "ABCD"[n % 4]
                elif qtype == QType.MULTIPLE:
                    options, answer = ["甲项", "乙项", "丙项", "丁项", "戊项"], ["AB", "ACD", "BDE", "ABCE"][n % 4]
                elif qtype == QType.JUDGE:
                    stem, answer = f"（{c}-{qtype}-{n}）{name}工作中，社区应当建立台账。", "TF"[n % 2]
                else:
                    blanks = 1 + n % 2
                    stem = f"（{c}-{qtype}-{n}）{name}的办理时限为____个工作日" + (
                        "，复核时限为____日。" if blanks == 2 else "。"
                    )
                    answer = [[str(n), f"{n}天"]] + ([["15"]] if blanks == 2 else [])
                create_question(
                    None,
                    QuestionData(
                        qtype=qtype,
                        stem=stem,
                        options=options,
                        answer=answer,
                        explanation="依据相关条款作答。",
                        source=f"《{name}工作规范》第{n}条",
                        difficulty=Difficulty.ALL[n % 3],
                        category_id=category.id,
                    ),
                    status=Status.PUBLISHED,
                )
    return categories
