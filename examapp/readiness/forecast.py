"""The forecast of a unit's exam average from its staff's recent mock scores (numpy/scipy, no database).

The model (docs/readiness.md):

* Each person has a true per-question right rate ``p``. A mock or the real exam is ``q`` questions
  (the effective count of the paper: ``(Σ points)² / Σ points²``, 71 for the 100-point blueprint of
  60 one-point and 20 two-point questions), each answered right with chance ``p``; the score is
  ``100 × right / q``.
* Before any mock, ``p`` follows the pool's distribution (a district's people with mocks): a Beta
  fitted by moments to their mock means, with the binomial noise of the mocks taken out.
* A person's recent mocks (the last 5 within 60 days) update it: Beta(a + right, b + wrong), the
  right answers being ``score / 100 × q`` per mock. A person without mocks keeps the pool's Beta:
  their exam score is drawn from everyone's spread, so it is wider.
* The exam score is then beta-binomial; an absent person (chance ``absence``) scores 0.
* The unit's total is the sum of its people's (independent) scores: its exact distribution is the
  convolution of their distributions (by FFT), hence the mean, the 10th and 90th percentiles of the
  average, and the chance it falls below the threshold, with no Monte Carlo noise.

The roster is fixed (the people on it sit), so people are not resampled; the uncertainty is each
person's level (from few mocks) and the exam's own draw of questions.
"""

from dataclasses import dataclass

import numpy as np
from scipy.fft import irfft, next_fast_len, rfft
from scipy.stats import betabinom

#: the effective question count of the default 100-point paper (30×1 + 20×2 + 20×1 + 10×1 points)
DEFAULT_QUESTIONS = 71
#: a pool with fewer people with mocks borrows the whole city's distribution
MIN_POOL = 5
#: the smallest spread of levels between people assumed (sd of the right rate: 2 points)
MIN_BETWEEN_VAR = 0.02**2
#: when nobody anywhere has a mock: a wide guess (mean 90, sd 8)
FALLBACK_PRIOR = (0.90, 0.08**2)


def effective_questions(points):
    """``(Σ points)² / Σ points²`` of a paper's question points, rounded (at least 1)."""
    points = np.asarray([float(p) for p in points], dtype=float)
    if points.size == 0 or not np.any(points > 0):
        return DEFAULT_QUESTIONS
    return max(1, round(points.sum() ** 2 / np.square(points).sum()))


@dataclass(frozen=True)
class Prior:
    """The Beta distribution of a pool's right rates; ``people`` with mocks it was fitted on."""

    a: float
    b: float
    people: int

    @property
    def mean(self):
        return self.a / (self.a + self.b)


def _beta_from_moments(mean, var):
    """Beta (a, b) of a mean and a variance (numbers or arrays), the variance kept feasible."""
    mean = np.clip(mean, 0.02, 0.995)
    var = np.minimum(np.maximum(var, 1e-6), mean * (1 - mean) * 0.9)
    kappa = mean * (1 - mean) / var - 1
    return mean * kappa, (1 - mean) * kappa


def fit_prior(mock_n, mock_sum, questions=DEFAULT_QUESTIONS):
    """The Beta of true right rates of the people with mocks (``mock_n`` > 0), by moments.

    The spread of their mock means is their spread of levels plus each mean's binomial noise
    (``p(1-p) / (n q)``); the noise is taken out, down to ``MIN_BETWEEN_VAR``.
    """
    mock_n = np.asarray(mock_n, dtype=float)
    mock_sum = np.asarray(mock_sum, dtype=float)
    seen = mock_n > 0
    if seen.sum() == 0:
        a, b = _beta_from_moments(*FALLBACK_PRIOR)
        return Prior(float(a), float(b), 0)
    rates = mock_sum[seen] / (100.0 * mock_n[seen])
    mean = float(rates.mean())
    noise = float(np.mean(rates * (1 - rates) / (mock_n[seen] * questions)))
    observed = float(rates.var(ddof=1)) if rates.size > 1 else 0.0
    var = max(observed - noise, MIN_BETWEEN_VAR)
    a, b = _beta_from_moments(mean, var)
    return Prior(float(a), float(b), int(seen.sum()))


@dataclass(frozen=True)
class UnitForecast:
    """A unit's forecast exam average (0–100): mean, 10th and 90th percentiles, chance below threshold."""

    mean: float
    p10: float
    p90: float
    p_below: float
    people: int


def person_pmfs(mock_n, mock_sum, prior_a, prior_b, questions=DEFAULT_QUESTIONS, absence=0.0):
    """Each person's distribution of right answers on the exam (people × (questions + 1))."""
    mock_n = np.asarray(mock_n, dtype=float)
    right = np.asarray(mock_sum, dtype=float) / 100.0 * questions
    right = np.clip(right, 0, mock_n * questions)
    a = np.asarray(prior_a, dtype=float) + right
    b = np.asarray(prior_b, dtype=float) + mock_n * questions - right
    k = np.arange(questions + 1)
    pmf = betabinom.pmf(k[None, :], questions, a[:, None], b[:, None])
    if absence > 0:
        pmf = pmf * (1 - absence)
        pmf[:, 0] += absence
    return pmf


def _unit_forecast(pmfs, threshold, questions):
    n = pmfs.shape[0]
    size = n * questions + 1
    length = next_fast_len(size, real=True)
    spectrum = np.prod(rfft(pmfs, n=length, axis=1), axis=0)
    total = np.clip(irfft(spectrum, n=length)[:size], 0, None)
    total /= total.sum()
    scale = 100.0 / (questions * n)  # a total of right answers -> the unit's average score
    averages = np.arange(size) * scale
    cdf = np.cumsum(total)
    below = float(total[averages < float(threshold) - 1e-9].sum())
    return UnitForecast(
        mean=float(total @ averages),
        p10=float(averages[np.searchsorted(cdf, 0.1)]),
        p90=float(averages[min(size - 1, np.searchsorted(cdf, 0.9))]),
        p_below=min(1.0, max(0.0, below)),
        people=n,
    )


def _pool_levels(unit_idx, mock_n, mock_sum, questions):
    """Each person's prior (mean, variance) of the right rate within one pool: the pool's level
    moved towards the level of the other people of the same unit with mocks, as far as their number
    and the spread between units allow (empirical Bayes by moments; docs/readiness.md)."""
    seen = mock_n > 0
    rate = np.where(seen, mock_sum / (100.0 * np.maximum(mock_n, 1)), 0.0)
    noise = np.where(seen, rate * (1 - rate) / (np.maximum(mock_n, 1) * questions), 0.0)
    people = int(seen.sum())
    mean = float(rate[seen].mean())
    mean_noise = float(noise[seen].mean())
    units = int(unit_idx.max()) + 1
    count = np.bincount(unit_idx, weights=seen, minlength=units)
    total = np.bincount(unit_idx, weights=rate, minlength=units)
    unit_mean = np.divide(total, count, out=np.full(units, mean), where=count > 0)
    spread = (rate - unit_mean[unit_idx]) ** 2 * seen
    groups = int((count > 0).sum())
    if people - groups >= 2:
        within = float(spread.sum()) / (people - groups) - mean_noise
    else:
        within = float(rate[seen].var()) - mean_noise if people > 1 else 0.0
    within = max(within, MIN_BETWEEN_VAR)
    with_data = count > 0
    if groups > 1:
        observed = float(unit_mean[with_data].var(ddof=1))
        between = max(0.0, observed - float(np.mean((within + mean_noise) / count[with_data])))
    else:
        between = 0.0
    others = count[unit_idx] - seen
    others_mean = np.divide(total[unit_idx] - rate * seen, others, out=np.full(unit_idx.size, mean), where=others > 0)
    weight = np.where(others > 0, between / (between + (within + mean_noise) / np.maximum(others, 1)), 0.0)
    if between == 0.0:
        weight = np.zeros(unit_idx.size)
    return mean + weight * (others_mean - mean), within + (1 - weight) * between, people


def person_priors(unit_of, mock_n, mock_sum, pool_of, questions=DEFAULT_QUESTIONS):
    """Each person's Beta prior (a, b arrays) and each pool's Prior (its people's overall spread).

    A pool with fewer than ``MIN_POOL`` people with mocks is read with the whole city.
    """
    unit_of, pool_of = np.asarray(unit_of), np.asarray(pool_of)
    mock_n = np.asarray(mock_n, dtype=float)
    mock_sum = np.asarray(mock_sum, dtype=float)
    _, unit_idx = np.unique(unit_of, return_inverse=True)
    unit_idx = unit_idx.ravel()
    means = np.full(unit_of.size, FALLBACK_PRIOR[0])
    variances = np.full(unit_of.size, FALLBACK_PRIOR[1])
    pools = {}
    city_seen = int((mock_n > 0).sum())
    city_levels = _pool_levels(unit_idx, mock_n, mock_sum, questions) if city_seen else None
    for pool in np.unique(pool_of):
        mask = pool_of == pool
        key = pool.item() if hasattr(pool, "item") else pool
        if int((mock_n[mask] > 0).sum()) >= MIN_POOL:
            pool_mean, pool_var, people = _pool_levels(unit_idx[mask], mock_n[mask], mock_sum[mask], questions)
            means[mask], variances[mask] = pool_mean, pool_var
            fitted = fit_prior(mock_n[mask], mock_sum[mask], questions)
        elif city_levels is not None:
            means[mask], variances[mask] = city_levels[0][mask], city_levels[1][mask]
            fitted = fit_prior(mock_n, mock_sum, questions)
        else:
            fitted = fit_prior(mock_n[mask], mock_sum[mask], questions)
        pools[key] = fitted
    a, b = _beta_from_moments(means, variances)
    return a, b, pools


def forecast_units(
    unit_of, mock_n, mock_sum, pool_of, thresholds, questions=DEFAULT_QUESTIONS, absence=0.0, with_people=False
):
    """Forecast every unit at once.

    ``unit_of``: each person's unit key; ``mock_n``/``mock_sum``: the count and the sum of their
    recent mock scores (0 and 0 without mocks); ``pool_of``: each person's pool key (a district),
    whose people with mocks give the distribution of those without; ``thresholds``: {unit key:
    threshold}. Returns ({unit key: UnitForecast}, {pool key: Prior}); with ``with_people``, the
    second is each person's expected exam score (0–100, absence not counted) instead.
    """
    unit_of = np.asarray(unit_of)
    if unit_of.size == 0:
        return {}, (np.empty(0) if with_people else {})
    mock_n = np.asarray(mock_n, dtype=float)
    mock_sum = np.asarray(mock_sum, dtype=float)
    prior_a, prior_b, priors = person_priors(unit_of, mock_n, mock_sum, pool_of, questions)
    pmfs = person_pmfs(mock_n, mock_sum, prior_a, prior_b, questions, absence)
    order = np.argsort(unit_of, kind="stable")
    keys, starts = np.unique(unit_of[order], return_index=True)
    bounds = [*starts[1:], order.size]
    forecasts = {}
    for key, start, stop in zip(keys, starts, bounds, strict=True):
        key = key.item() if hasattr(key, "item") else key
        forecasts[key] = _unit_forecast(pmfs[order[start:stop]], thresholds[key], questions)
    if with_people:
        right = np.clip(mock_sum / 100.0 * questions, 0, mock_n * questions)
        return forecasts, 100.0 * (prior_a + right) / (prior_a + prior_b + mock_n * questions)
    return forecasts, priors
