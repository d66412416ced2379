"""Answer copying: identical wrong answers far beyond chance, for pairs and for whole units.

The index (docs/integrity.md has the references): for a pair of examinees A and B, the
observed count X is the number of questions both were shown on which they gave the *same
wrong* answer; under independent answering each shared question v matches with
probability

    mu_v = P(A wrong on v) * P(B wrong on v) * sum_c p_c(v)^2

where P(. wrong on v) comes from a Rasch model of error propensity fitted to the whole
sitting (a weak examinee is expected to share more wrong answers than a strong one) and
p_c(v) is the share of wrong answer c among the sitting's wrong answers to v. X then
follows a generalised (Poisson-) binomial distribution, as in van der Linden and
Sotaridona's GBT; its upper tail is the pair's p-value, and a pair is a finding when p
times the number of pairs compared is below ``alpha`` (Bonferroni; pairs in the same
unit and pairs across units are two families, the first far smaller, so it is searched
with more power).

Speed: no pair loop over all N^2/2 pairs. An inverted index (wrong answer -> attempts
that gave it) counts X only for pairs that share at least one wrong answer; a pair
with fewer than ``min_identical`` is never a finding. For the pairs left, the expected
count is a dot product of two rows of a dense (attempts x versions) matrix, and a
Poisson tail with the same mean (never smaller than the exact tail beyond the mean:
a conservative screen) picks the few pairs whose exact tail is then computed, with
the pair's own answers left out of p_c.

Responses are compared in the question version's own terms (the letters of the
original options, whatever order the page showed them in; blanks normalised), so two
papers with shuffled options still compare answer by answer.
"""

import numpy as np

from ..sitting.models import AttemptState
from .analysis import FindingDraft, finding_key, person, unit_name
from .chance import weigh
from .models import FindingKind
from .power import copying_power
from .stats import (
    fit_error_model,
    lattice_sum,
    median_mad,
    overdispersed_upper_tail,
    poisson_binomial_upper_tail,
    poisson_upper_tail,
    weighted_upper_tail,
)

#: the screen lets through pairs up to this many times above the flagging level (then exact)
SCREEN_FACTOR = 1e5
SAME_UNIT, ACROSS_UNITS = "same_unit", "across_units"
FAMILY_LABELS = {SAME_UNIT: "同一单位", ACROSS_UNITS: "不同单位"}


class Answers:
    """The sitting's answered items over the attempts that count (voided ones do not)."""

    def __init__(self, sitting):
        kept = np.array([a.state != AttemptState.VOIDED for a in sitting.attempts], dtype=bool)
        self.attempts = [a for a, k in zip(sitting.attempts, kept, strict=True) if k]
        new_index = np.cumsum(kept) - 1
        rows = kept[sitting.item_attempt] if len(sitting.item_attempt) else np.zeros(0, dtype=bool)
        order = np.lexsort((sitting.item_version[rows], new_index[sitting.item_attempt[rows]]))
        self.a = new_index[sitting.item_attempt[rows]][order].astype(np.int64)
        self.version_ids, self.v = np.unique(sitting.item_version[rows][order], return_inverse=True)
        self.code_ids, self.c = np.unique(sitting.item_response[rows][order], return_inverse=True)
        self.wrong = sitting.item_wrong[rows][order].astype(bool)
        self.n, self.n_versions, self.n_codes = len(self.attempts), len(self.version_ids), len(self.code_ids)
        self.offsets = np.searchsorted(self.a, np.arange(self.n + 1))
        self.code_version = np.zeros(self.n_codes, dtype=np.int64)
        self.code_version[self.c] = self.v
        unit_ids = np.array([a.unit_id for a in self.attempts], dtype=np.int64)
        self.unit_ids, self.unit = np.unique(unit_ids, return_inverse=True)
        # the error model and the distribution of wrong answers
        self.pi = fit_error_model(self.a, self.v, self.wrong, self.n, self.n_versions) if len(self.a) else np.zeros(0)
        self.n_code = np.bincount(self.c[self.wrong], minlength=self.n_codes).astype(np.float64)
        self.n_wrong_v = np.bincount(self.v[self.wrong], minlength=self.n_versions).astype(np.float64)
        share = self.n_code / np.maximum(self.n_wrong_v[self.code_version], 1.0)
        self.m = np.bincount(self.code_version, weights=share**2, minlength=self.n_versions)
        seen = self.n_code > 0
        self.k = np.bincount(self.code_version[seen], minlength=self.n_versions).astype(np.float64)
        self.smoothed_sq = np.bincount(
            self.code_version[seen], weights=(self.n_code[seen] + 0.5) ** 2, minlength=self.n_versions
        )


def copying_and_units(sitting, settings):
    answers = Answers(sitting)
    if answers.n < 2 or not answers.wrong.any():
        return [], {"attempts_compared": answers.n, "pairs_same_unit": 0, "pairs_across_units": 0}
    pairs, figures = _pair_findings(sitting, answers, settings)
    units, unit_figures = _unit_findings(sitting, answers, settings)
    power = copying_power(answers, _family_sizes(answers)[SAME_UNIT], settings)
    return pairs + units, {**figures, **unit_figures, "copying_power": power}


# --- pairs ----------------------------------------------------------------------------


def _family_sizes(answers):
    sizes = np.bincount(answers.unit).astype(np.int64)
    within = int((sizes * (sizes - 1) // 2).sum())
    return {SAME_UNIT: max(within, 1), ACROSS_UNITS: max(answers.n * (answers.n - 1) // 2 - within, 1)}


def _screen_pairs(answers, settings, family_sizes):
    """(A, B) index pairs whose Poisson-bound tail is small enough to deserve the exact one."""
    n = answers.n
    wrong_rows = np.flatnonzero(answers.wrong)
    wa, wc = answers.a[wrong_rows], answers.c[wrong_rows]
    by_code = np.argsort(wc, kind="stable")
    members = wa[by_code]
    code_offsets = np.searchsorted(wc[by_code], np.arange(answers.n_codes + 1))
    att_offsets = np.searchsorted(wa, np.arange(n + 1))  # wa is sorted: rows are by attempt
    weights = np.zeros((n, answers.n_versions), dtype=np.float32)
    weights[answers.a, answers.v] = answers.pi * np.sqrt(answers.m[answers.v])
    screen = {family: min(1e-2, SCREEN_FACTOR * settings.alpha / size) for family, size in family_sizes.items()}
    found_a, found_b = [], []
    candidates = 0
    least = settings.min_identical
    for a in range(n):
        codes = wc[att_offsets[a] : att_offsets[a + 1]]
        if len(codes) < least:
            continue
        others = np.concatenate([members[code_offsets[c] : code_offsets[c + 1]] for c in codes])
        others = others[others > a]
        if len(others) < least:
            continue
        counts = np.bincount(others, minlength=n)
        cand = np.flatnonzero(counts >= least)
        if not len(cand):
            continue
        candidates += len(cand)
        expected = weights[cand] @ weights[a]
        p = poisson_upper_tail(counts[cand], expected)
        same = answers.unit[cand] == answers.unit[a]
        keep = p < np.where(same, screen[SAME_UNIT], screen[ACROSS_UNITS])
        if keep.any():
            found_b.extend(cand[keep].tolist())
            found_a.extend([a] * int(keep.sum()))
    return list(zip(found_a, found_b, strict=True)), candidates


def _exact(answers, a, b):
    """The pair's shared questions and the exact tail of its identical wrong answers."""
    sa = slice(answers.offsets[a], answers.offsets[a + 1])
    sb = slice(answers.offsets[b], answers.offsets[b + 1])
    common, ia, ib = np.intersect1d(answers.v[sa], answers.v[sb], assume_unique=True, return_indices=True)
    wa, wb = answers.wrong[sa][ia], answers.wrong[sb][ib]
    ca, cb = answers.c[sa][ia], answers.c[sb][ib]
    match = wa & wb & (ca == cb)
    # p_c without the pair's own answers, smoothed by half an answer per wrong answer seen
    others = answers.n_wrong_v[common] - wa - wb
    squares = answers.smoothed_sq[common] - 2 * answers.n_code[ca] * wa - 2 * answers.n_code[cb] * wb + 2.0 * match
    denominator = others + 0.5 * answers.k[common]
    m = np.where(denominator > 0, squares / np.maximum(denominator, 1e-9) ** 2, 1.0)
    mu = np.clip(answers.pi[sa][ia] * answers.pi[sb][ib] * m, 1e-9, 0.999)
    x = int(match.sum())
    surprise = -np.log(mu)
    observed = lattice_sum(surprise[match]) if x else 0.0
    return {
        "shared": len(common),
        "both_wrong": int((wa & wb).sum()),
        "identical_wrong": x,
        "expected": float(mu.sum()),
        "p_count": poisson_binomial_upper_tail(mu, x),
        "surprise": round(observed, 2),
        "surprise_expected": round(float((mu * surprise).sum()), 2),
        "p": weighted_upper_tail(mu, surprise, observed) if x else 1.0,
        "identical_versions": [int(answers.version_ids[v]) for v in common[match]],
        "wrong_a": int(answers.wrong[sa].sum()),
        "wrong_b": int(answers.wrong[sb].sum()),
    }


def _pair_findings(sitting, answers, settings):
    sizes = _family_sizes(answers)
    screened, candidates = _screen_pairs(answers, settings, sizes)
    drafts = []
    for a, b in screened:
        family = SAME_UNIT if answers.unit[a] == answers.unit[b] else ACROSS_UNITS
        result = _exact(answers, a, b)
        adjusted = min(1.0, result["p"] * sizes[family])
        if adjusted >= settings.alpha or result["identical_wrong"] < settings.min_identical:
            continue
        first, second = answers.attempts[a], answers.attempts[b]
        evidence = {
            **result,
            "p_adjusted": adjusted,
            "family": family,
            "pairs_compared": sizes[family],
            "alpha": settings.alpha,
        }
        weight = weigh(adjusted)
        where = (
            "同一单位"
            if family == SAME_UNIT
            else f"{unit_name(sitting, first.unit_id)}与{unit_name(sitting, second.unit_id)}"
        )
        summary = (
            f"{person(sitting, first)}与{person(sitting, second)}（{where}）在共同的 {result['shared']} 道题中"
            f"有 {result['identical_wrong']} 个完全相同的错误答案，独立作答时预期约 {result['expected']:.1f} 个"
            f"；比较了 {sizes[family]} 对考生，独立作答时任何一对出现这种情况的机会{weight.chance}"
        )
        drafts.append(
            FindingDraft(
                kind=FindingKind.COPYING,
                key=finding_key(FindingKind.COPYING, [first.id, second.id]),
                strength=weight.strength,
                unit_ids=sorted({first.unit_id, second.unit_id}),
                attempt_ids=[first.id, second.id],
                summary=summary,
                evidence=evidence,
            )
        )
    drafts.sort(key=lambda d: -d.strength)
    kept = drafts[: settings.max_pairs]
    return kept, {
        "attempts_compared": answers.n,
        "pairs_same_unit": sizes[SAME_UNIT],
        "pairs_across_units": sizes[ACROSS_UNITS],
        "pairs_sharing_wrong_answers": candidates,
        "pairs_screened": len(screened),
        "copying_pairs": len(drafts),
        "copying_pairs_dropped": len(drafts) - len(kept),
    }


# --- units -----------------------------------------------------------------------------


def _unit_agreement(answers):
    """Per unit: identical wrong answers over all its pairs, and their mean and variance under
    independent answering.

    Observed: T = sum over wrong answers c of C(m_c, 2), m_c the unit's members giving c.
    Under the model each member i who saw question v gives wrong answer c independently with
    probability pi_iv * s_c, where s_c is c's share of the wrong answers to v given by
    *everyone outside the unit* (a colluding unit does not inflate its own expectation),
    smoothed by half an answer as for pairs. Per question, with P_k = sum of pi^k over the
    members who saw it, M = sum s_c^2 and K = sum s_c^3:

        mean = M e2,   e2 = (P1^2 - P2) / 2,   e3 = (P1^3 - 3 P1 P2 + 2 P3) / 6
        var  = M e2 - M^2 (P2^2 - P4) / 2 + 6 K e3 - M^2 (P1^2 P2 - 2 P1 P3 - P2^2 + 2 P4)

    (pairs sharing a member are correlated: three members on one popular wrong answer make
    three pairs at once, which is why a Poisson count understates the spread). Questions are
    independent, so the unit's mean and variance are sums over its questions.
    """
    units = len(answers.unit_ids)
    row_unit = answers.unit[answers.a]
    w = answers.wrong
    # the unit's own wrong answers: m per (unit, code)
    key = row_unit[w] * answers.n_codes + answers.c[w]
    keys, m = np.unique(key, return_counts=True)
    key_unit, key_code = keys // answers.n_codes, keys % answers.n_codes
    observed = np.bincount(key_unit, weights=m * (m - 1) / 2.0, minlength=units)
    # sums of (n_c + 1/2)^k over each question's wrong answers, then with the unit's own taken out
    n_half = answers.n_code + 0.5
    seen = answers.n_code > 0
    versions = answers.n_versions
    power = {k: np.bincount(answers.code_version[seen], weights=n_half[seen] ** k, minlength=versions) for k in (2, 3)}
    key_version = answers.code_version[key_code]
    uv_key = key_unit * versions + key_version
    removed = {k: (n_half[key_code] ** k - (n_half[key_code] - m) ** k) for k in (2, 3)}
    own_wrong = m.astype(np.float64)
    # per (unit, question) the members' error propensities
    row_key = row_unit * versions + answers.v
    uv, inverse = np.unique(row_key, return_inverse=True)
    p1, p2, p3, p4 = (np.bincount(inverse, weights=answers.pi**k) for k in (1, 2, 3, 4))
    u_of, v_of = uv // versions, uv % versions
    position = np.searchsorted(uv, uv_key)  # every (unit, code) key's (unit, question) row
    less = {k: np.bincount(position, weights=removed[k], minlength=len(uv)) for k in (2, 3)}
    less_wrong = np.bincount(position, weights=own_wrong, minlength=len(uv))
    total = np.maximum(answers.n_wrong_v[v_of] - less_wrong + 0.5 * answers.k[v_of], 1e-9)
    big_m = np.clip((power[2][v_of] - less[2]) / total**2, 0.0, 1.0)
    big_k = np.clip((power[3][v_of] - less[3]) / total**3, 0.0, 1.0)
    e2 = (p1**2 - p2) / 2
    e3 = (p1**3 - 3 * p1 * p2 + 2 * p3) / 6
    mean = big_m * e2
    var = (
        big_m * e2
        - big_m**2 * (p2**2 - p4) / 2
        + 6 * big_k * e3
        - big_m**2 * (p1**2 * p2 - 2 * p1 * p3 - p2**2 + 2 * p4)
    )
    expected = np.bincount(u_of, weights=mean, minlength=units)
    variance = np.bincount(u_of, weights=np.maximum(var, 0.0), minlength=units)
    return observed, expected, variance


#: fewer tested units than this: the spread of the units' scores is not estimated (taken as 1)
DISPERSION_MIN_UNITS = 10
#: the median of a chi-square with one degree of freedom
_CHI2_MEDIAN = 0.4549364231195724


def dispersion(observed, expected, variance, tested):
    """How much wider the units' standardised agreement spreads than the model says (>= 1).

    A model of independent answering is never exact (people who err the same way share
    more than their error rates say), so the spread is measured on the sitting's own units,
    robustly: the median of z^2 against a chi-square's, so a few colluding units cannot
    widen it to hide themselves.
    """
    if len(tested) < DISPERSION_MIN_UNITS:
        return 1.0
    sd = np.sqrt(np.maximum(variance[tested], 1e-12))
    z = (observed[tested] - expected[tested]) / sd
    return float(max(1.0, np.sqrt(np.median(z**2) / _CHI2_MEDIAN)))


def _score_outliers(sitting, answers, settings):
    """Units whose scores stand out: mean far above the other units of the district, or a high
    mean with a spread far below the other units'. Returns {unit index: figures}."""
    scores = {}
    for index, attempt in enumerate(answers.attempts):
        if attempt.score is not None:
            scores.setdefault(int(answers.unit[index]), []).append(float(attempt.score))
    stats = {
        u: (len(s), float(np.mean(s)), float(np.std(s)))
        for u, s in scores.items()
        if len(s) >= settings.unit_min_people
    }
    district_of = {int(answers.unit[i]): a.district_id for i, a in enumerate(answers.attempts)}
    outliers = {}
    for u, (size, mean, spread) in stats.items():
        peers = [v for w, v in stats.items() if w != u and district_of[w] == district_of[u]]
        scope = "district"
        if len(peers) < 5:
            peers, scope = [v for w, v in stats.items() if w != u], "sitting"
        if len(peers) < 5:
            continue
        centre, deviation = median_mad([p[1] for p in peers], floor=1.0)
        z = (mean - centre) / deviation
        usual_spread = float(np.median([p[2] for p in peers]))
        narrow = usual_spread > 0 and spread <= usual_spread / 2 and mean >= sitting.threshold
        if z >= settings.unit_z or narrow:
            outliers[u] = {
                "people": size,
                "mean": round(mean, 2),
                "spread": round(spread, 2),
                "peer_units": len(peers),
                "peer_scope": scope,
                "peer_median": round(centre, 2),
                "peer_deviation": round(deviation, 2),
                "z": round(z, 2),
                "peer_spread": round(usual_spread, 2),
                "narrow": bool(narrow),
            }
    return outliers


def _unit_findings(sitting, answers, settings):
    """Units whose members' wrong answers agree far beyond chance.

    Two families, each at ``alpha`` (Bonferroni): the units whose scores stand out (few, so
    tested with more power), and every unit of at least ``unit_min_people``. A unit whose
    scores stand out but whose answers agree no more than chance is not a finding: an
    excellent unit is what the accreditation asks for (docs/integrity.md).
    """
    outliers = _score_outliers(sitting, answers, settings)
    sizes = np.bincount(answers.unit, minlength=len(answers.unit_ids))
    tested = [u for u in range(len(answers.unit_ids)) if sizes[u] >= settings.unit_min_people]
    observed, expected, variance = _unit_agreement(answers)
    spread = dispersion(observed, expected, variance, tested)
    drafts = []
    for u in tested:
        o, e = int(round(observed[u])), float(expected[u])
        v = float(variance[u]) * spread**2
        p = overdispersed_upper_tail(o, e, max(v, e))
        family = len(outliers) if u in outliers else len(tested)
        adjusted = min(1.0, p * family)
        if o < settings.min_identical or adjusted >= settings.alpha:
            continue
        unit_id = int(answers.unit_ids[u])
        figures = outliers.get(u) or _unit_scores(answers, u)
        members = [a.id for i, a in enumerate(answers.attempts) if answers.unit[i] == u]
        weight = weigh(adjusted)
        how = f"{figures['people']} 人平均分 {figures['mean']:.2f}"
        if u in outliers:
            how += (
                f"，比{'本区' if figures['peer_scope'] == 'district' else '全场'}其他单位的中位数"
                f" {figures['peer_median']:.2f} 高 {figures['z']:.1f} 个稳健标准差"
            )
            if figures["narrow"]:
                how += f"，分数异常集中（标准差 {figures['spread']:.2f}，其他单位中位数 {figures['peer_spread']:.2f}）"
        summary = (
            f"{unit_name(sitting, unit_id)}：{how}；单位内各人之间相同的错误答案共 {o} 个，独立作答时预期约 {e:.1f} 个"
            f"；独立作答时出现这种情况的机会{weight.chance}"
        )
        drafts.append(
            FindingDraft(
                kind=FindingKind.UNIT,
                key=f"{FindingKind.UNIT}:{unit_id}",
                strength=weight.strength,
                unit_ids=[unit_id],
                attempt_ids=members,
                summary=summary,
                evidence={
                    **figures,
                    "score_outlier": u in outliers,
                    "identical_wrong": o,
                    "expected": e,
                    "variance": round(v, 3),
                    "dispersion": round(spread, 3),
                    "p": p,
                    "p_adjusted": adjusted,
                    "units_tested": family,
                    "alpha": settings.alpha,
                },
            )
        )
    return drafts, {
        "units_tested": len(tested),
        "unit_dispersion": round(spread, 3),
        "units_score_outliers": len(outliers),
        "units_flagged": len(drafts),
        "score_outlier_unit_ids": sorted(int(answers.unit_ids[u]) for u in outliers),
    }


def _unit_scores(answers, u):
    scores = [float(a.score) for i, a in enumerate(answers.attempts) if answers.unit[i] == u and a.score is not None]
    return {
        "people": int((answers.unit == u).sum()),
        "mean": round(float(np.mean(scores)), 2) if scores else 0.0,
        "spread": round(float(np.std(scores)), 2) if scores else 0.0,
    }
