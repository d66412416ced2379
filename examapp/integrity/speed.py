"""Implausible speed: a high score reached in far less time than the sitting took.

The time of an attempt is from its start to its last answer (the last change of any
answer; waiting before pressing submit does not hide speed). On the log scale (times
are skewed) the sitting's times are taken as normal around their median with their robust
spread (1.4826 x MAD); an attempt's p-value is the chance of a time at least that short,
times the number of attempts timed (Bonferroni: one quick person among 600 is expected
somewhere), and it is a finding when that stays below ``alpha`` and it scored at least
the accreditation threshold. A fast low score is not a finding: it harms nobody.
"""

import math

from scipy.stats import norm

from .analysis import FindingDraft, finding_key, person
from .chance import weigh
from .models import FindingKind
from .stats import median_mad

#: a robust spread of less than this (on the log scale, ~5%) is taken as this
LOG_SPREAD_FLOOR = 0.05


def implausible_speed(sitting, settings):
    timed = [
        (a, (a.last_answer_at - a.started_at).total_seconds() / 60)
        for a in sitting.attempts
        if a.state == "submitted" and a.score is not None and a.last_answer_at is not None
    ]
    timed = [(a, minutes) for a, minutes in timed if minutes > 0]
    if len(timed) < settings.min_sample:
        return [], {"speed_sample": len(timed)}
    centre, spread = median_mad([math.log(m) for _a, m in timed], floor=LOG_SPREAD_FLOOR)
    compared = len(timed)
    cutoff = math.exp(centre + norm.ppf(settings.alpha / compared) * spread)
    drafts = []
    for attempt, minutes in timed:
        z = (centre - math.log(minutes)) / spread
        if attempt.score < sitting.threshold or z <= 0:
            continue
        adjusted = min(1.0, float(norm.sf(z)) * compared)
        if adjusted >= settings.alpha:
            continue
        weight = weigh(adjusted)
        drafts.append(
            FindingDraft(
                kind=FindingKind.SPEED,
                key=finding_key(FindingKind.SPEED, [attempt.id]),
                strength=weight.strength,
                unit_ids=[attempt.unit_id],
                attempt_ids=[attempt.id],
                summary=(
                    f"{person(sitting, attempt)}得 {attempt.score:g} 分，从开始到最后一次作答只用了 {minutes:.1f} 分钟；"
                    f"全场中位数 {math.exp(centre):.1f} 分钟，异常短的界限 {cutoff:.1f} 分钟"
                    f"；比较了 {compared} 份答卷，正常作答时任何一份这么快的机会{weight.chance}"
                ),
                evidence={
                    "minutes": round(minutes, 2),
                    "score": attempt.score,
                    "median_minutes": round(math.exp(centre), 2),
                    "cutoff_minutes": round(cutoff, 2),
                    "z": round(z, 2),
                    "p_adjusted": adjusted,
                    "alpha": settings.alpha,
                    "sample": len(timed),
                    "threshold": sitting.threshold,
                    "first_answer_seconds": (
                        round((attempt.first_answer_at - attempt.started_at).total_seconds(), 1)
                        if attempt.first_answer_at is not None
                        else None
                    ),
                },
            )
        )
    return drafts, {
        "speed_sample": len(timed),
        "speed_median_minutes": round(math.exp(centre), 2),
        "speed_cutoff_minutes": round(cutoff, 2),
    }
