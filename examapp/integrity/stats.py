"""Small numerical tools of the findings: tails, robust spread, and the error-propensity model.

numpy and scipy. Probabilities come back as floats; tails are survival functions or summed
upwards (never 1 - lower tail), so a p of 1e-20 keeps its digits.
"""

import numpy as np
from scipy import stats as scipy_stats


def poisson_upper_tail(x, lam):
    """P(N >= x) for N ~ Poisson(lam), elementwise; 1.0 where x <= lam (never significant).

    scipy's survival function keeps its digits far into the tail (no table of factorials
    to run off the end of: a count of 2,495 against 1,767 expected is about 1e-59).
    """
    x = np.asarray(x, dtype=np.float64)
    lam = np.maximum(np.asarray(lam, dtype=np.float64), 1e-300)
    x, lam = np.broadcast_arrays(x, lam)
    out = np.ones(x.shape, dtype=np.float64)
    upper = x > lam
    if upper.any():
        out[upper] = scipy_stats.poisson.sf(x[upper] - 1, lam[upper])
    return out


def overdispersed_upper_tail(x, mean, variance):
    """P(T >= x) for a count with ``mean`` and ``variance`` larger than a Poisson's: the negative
    binomial with those two moments (a Poisson when the variance is not larger); 1.0 at or
    below the mean. Its tail is heavier than the normal one with the same moments, so a sum
    of many skewed terms is judged conservatively."""
    if x <= mean:
        return 1.0
    if variance <= mean * (1 + 1e-9):
        return float(scipy_stats.poisson.sf(x - 1, mean))
    # mean = n(1-p)/p, variance = n(1-p)/p^2
    p = mean / variance
    n = mean * p / (1 - p)
    return float(scipy_stats.nbinom.sf(x - 1, n, p))


def poisson_binomial_pmf(probs):
    """The distribution of the number of successes of independent trials with ``probs``."""
    pmf = np.zeros(len(probs) + 1)
    pmf[0] = 1.0
    for p in probs:
        pmf[1:] = pmf[1:] * (1.0 - p) + pmf[:-1] * p
        pmf[0] *= 1.0 - p
    return pmf


def poisson_binomial_upper_tail(probs, x):
    """P(S >= x) where S is the number of successes of independent trials with ``probs``."""
    if x <= 0:
        return 1.0
    if x > len(probs):
        return 0.0
    return float(min(1.0, poisson_binomial_pmf(probs)[x:].sum()))


#: the lattice step of the weighted tail (weights are rounded to it)
WEIGHT_STEP = 0.05


def weighted_upper_tail(probs, weights, observed):
    """P(sum of weights[i] over successes >= observed) for independent trials with ``probs``.

    Exact on a lattice of ``WEIGHT_STEP`` (weights and the observed sum are rounded to it):
    the distribution is built by convolution, one trial at a time.
    """
    steps = np.maximum(1, np.rint(np.asarray(weights, dtype=np.float64) / WEIGHT_STEP).astype(np.int64))
    target = int(round(observed / WEIGHT_STEP))
    if target <= 0:
        return 1.0
    pmf = np.zeros(int(steps.sum()) + 1)
    pmf[0] = 1.0
    reach = 0
    for p, step in zip(probs, steps, strict=True):
        shifted = pmf[: reach + 1] * p
        pmf[: reach + 1] *= 1.0 - p
        pmf[step : step + reach + 1] += shifted
        reach += step
    return float(min(1.0, pmf[target:].sum()))


def lattice_sum(weights):
    """The sum of ``weights`` as ``weighted_upper_tail`` counts it."""
    steps = np.maximum(1, np.rint(np.asarray(weights, dtype=np.float64) / WEIGHT_STEP).astype(np.int64))
    return float(steps.sum() * WEIGHT_STEP)


#: MAD x this estimates the standard deviation of a normal sample
MAD_SCALE = 1.4826


def median_mad(values, floor=0.0):
    """(median, scaled median absolute deviation) of ``values``, the MAD no smaller than ``floor``."""
    values = np.asarray(values, dtype=np.float64)
    median = float(np.median(values))
    mad = float(np.median(np.abs(values - median))) * MAD_SCALE
    return median, max(mad, floor)


def fit_error_model(person, item, wrong, persons, items, iterations=12):
    """Probability of a wrong answer per (person, item) row, from a Rasch model of error propensity.

    logit P(wrong) = theta[person] + delta[item], fitted by joint maximum likelihood
    (Wright & Panchapakesan 1969) on the rows given. A person or item with no wrong (or
    no right) answer gets its observed count moved 0.3 inwards, the usual adjustment for
    extreme scores, so every probability stays strictly between 0 and 1.
    """
    person = np.asarray(person)
    item = np.asarray(item)
    y = np.asarray(wrong, dtype=np.float64)
    n_person = np.bincount(person, minlength=persons).astype(np.float64)
    n_item = np.bincount(item, minlength=items).astype(np.float64)
    obs_person = np.clip(np.bincount(person, weights=y, minlength=persons), 0.3, np.maximum(n_person - 0.3, 0.3))
    obs_item = np.clip(np.bincount(item, weights=y, minlength=items), 0.3, np.maximum(n_item - 0.3, 0.3))
    rate_p = obs_person / np.maximum(n_person, 1)
    rate_i = obs_item / np.maximum(n_item, 1)
    theta = np.log(rate_p / (1 - np.minimum(rate_p, 0.999)))
    delta = np.log(rate_i / (1 - np.minimum(rate_i, 0.999)))
    delta -= delta[n_item > 0].mean() if (n_item > 0).any() else 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(theta[person] + delta[item])))
        info = np.bincount(person, weights=p * (1 - p), minlength=persons)
        step = (obs_person - np.bincount(person, weights=p, minlength=persons)) / np.maximum(info, 1e-9)
        theta += np.clip(step, -1.0, 1.0)
        p = 1.0 / (1.0 + np.exp(-(theta[person] + delta[item])))
        info = np.bincount(item, weights=p * (1 - p), minlength=items)
        step = (obs_item - np.bincount(item, weights=p, minlength=items)) / np.maximum(info, 1e-9)
        delta += np.clip(step, -1.0, 1.0)
        delta -= delta[n_item > 0].mean() if (n_item > 0).any() else 0.0
    return 1.0 / (1.0 + np.exp(-(theta[person] + delta[item])))
