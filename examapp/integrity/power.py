"""What the copying check can see in *this* sitting, measured by simulation on its own answers.

Identical wrong answers are the only trace copying leaves in the answers: a copied right
answer looks like knowledge. On an easy exam (a typical examinee errs on 2 to 4 of 80
questions) a copier takes few wrong answers from anyone, so much copying cannot be seen.
``copying_power`` says how much: for pairs of this sitting's own examinees (same unit, the
family the check searches with most power), a copier takes ``k`` of the questions they
share from the other, and the pair's test is run on the identical wrong answers that gives
(independent coincidences left out: the figures are a little pessimistic). The smallest
``k`` found in at least half the pairs is what the page reports.
"""

import numpy as np

from .stats import poisson_binomial_upper_tail

#: copied questions tried (None: every question the two share)
COPIED = (5, 10, 20, 40, None)
PAIRS = 200
#: detected in at least this share of the simulated pairs: "can be seen"
SEEN_FROM = 0.5


def copying_power(answers, family_size, settings, seed=0):
    """{"mean_wrong", "median_wrong", "detection": [{"copied", "rate"}], "copied_needed"} or None."""
    n = answers.n
    if n < 2 or not len(answers.a):
        return None
    wrong_per = np.bincount(answers.a, weights=answers.wrong, minlength=n)
    rng = np.random.default_rng(seed)
    pairs = [tuple(rng.choice(n, size=2, replace=False)) for _ in range(PAIRS)]
    prepared = []
    for a, b in pairs:
        sa = slice(answers.offsets[a], answers.offsets[a + 1])
        sb = slice(answers.offsets[b], answers.offsets[b + 1])
        common, ia, ib = np.intersect1d(answers.v[sa], answers.v[sb], assume_unique=True, return_indices=True)
        if not len(common):
            continue
        mu = np.clip(answers.pi[sa][ia] * answers.pi[sb][ib] * answers.m[common], 1e-9, 0.999)
        prepared.append((answers.wrong[sa][ia], mu))
    if not prepared:
        return None
    detection = []
    for copied in COPIED:
        found = 0
        for source_wrong, mu in prepared:
            k = len(mu) if copied is None else min(copied, len(mu))
            taken = rng.choice(len(mu), size=k, replace=False)
            x = int(source_wrong[taken].sum())
            if x < settings.min_identical:
                continue
            p = poisson_binomial_upper_tail(mu, x) * family_size
            found += p < settings.alpha
        detection.append({"copied": copied, "rate": round(found / len(prepared), 3)})
    needed = next((d["copied"] for d in detection if d["rate"] >= SEEN_FROM), "never")
    return {
        "mean_wrong": round(float(wrong_per.mean()), 2),
        "median_wrong": float(np.median(wrong_per)),
        "questions": round(float(np.bincount(answers.a, minlength=n).mean()), 1),
        "detection": detection,
        "copied_needed": needed,
        "pairs_simulated": len(prepared),
    }


def power_words(power):
    """The page's sentence: what this exam's analysis can and cannot see of copying."""
    if not power:
        return ""
    mean = power["mean_wrong"]
    rates = "，".join(
        f"{'整张' if d['copied'] is None else str(d['copied']) + ' 题'}{_rate(d['rate'])}" for d in power["detection"]
    )
    needed = power["copied_needed"]
    if needed == "never":
        head = f"本场考试考生平均答错 {mean:.1f} 题：即使照抄同单位另一人的整张答卷，多半也无法从答案中发现"
    elif needed is None:
        head = f"本场考试考生平均答错 {mean:.1f} 题：只有照抄整张答卷才多半能从答案中发现"
    else:
        head = f"本场考试考生平均答错 {mean:.1f} 题：抄袭少于 {needed} 题的，多半无法从答案中发现"
    return (
        f"{head}（按本场考试的答题情况模拟，照抄同单位另一人的题目被发现的机会：{rates}）。"
        "抄到的正确答案和自己会做的一样，从答案上看不出来；能看到的只有相同的错误答案。"
    )


def _rate(rate):
    if rate == 0:
        return "几乎为零"
    if rate < 0.01:
        return "不到 1%"
    return f"约 {round(rate * 100)}%"
