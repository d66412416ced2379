"""The forecast's back-test: simulated staff of known ability, their mocks and their real exam.

Used by tests/test_readiness_forecast.py and benchmarks/readiness_backtest.py (docs/readiness.md).
The simulation is not the forecast's model: each mock and the exam are the real 100-point paper
(60 one-point and 20 two-point questions, each right with the person's true chance), units have
their own level (people of a unit are alike), mocks per person vary from none to five.
"""

from dataclasses import dataclass

import numpy as np

from .forecast import effective_questions, forecast_units

#: the demo paper's points: 60 one-point questions (单选, 判断, 填空) and 20 two-point (多选)
PAPER_POINTS = np.array([1.0] * 60 + [2.0] * 20)
#: how many recent mocks a person has: none (15 %) to five
MOCK_COUNTS = (0, 1, 2, 3, 4, 5)
MOCK_SHARES = (0.15, 0.10, 0.15, 0.20, 0.20, 0.20)


@dataclass
class Simulated:
    unit_of: np.ndarray
    district_of: np.ndarray
    true_rate: np.ndarray
    mock_n: np.ndarray
    mock_sum: np.ndarray
    exam_average: np.ndarray  # per unit: the real exam's average (everyone sits)


def _paper_scores(rng, rates, times):
    """``times`` papers per person: scores out of 100 (people × times)."""
    right = rng.random((rates.size, times, PAPER_POINTS.size)) < rates[:, None, None]
    return right @ PAPER_POINTS / PAPER_POINTS.sum() * 100


def simulate(units=2000, seed=0, units_per_district=25, level=0.955, unit_sd=0.02, person_sd=0.025):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(3, 26, size=units)
    unit_of = np.repeat(np.arange(units), sizes)
    district_of = unit_of // units_per_district
    unit_level = np.clip(rng.normal(level, unit_sd, size=units), 0.6, 0.995)
    mean = unit_level[unit_of]
    kappa = mean * (1 - mean) / person_sd**2 - 1
    true_rate = rng.beta(mean * kappa, (1 - mean) * kappa)
    mock_n = rng.choice(MOCK_COUNTS, p=MOCK_SHARES, size=true_rate.size)
    mocks = _paper_scores(rng, true_rate, max(MOCK_COUNTS))
    taken = np.arange(max(MOCK_COUNTS))[None, :] < mock_n[:, None]
    mock_sum = (mocks * taken).sum(axis=1)
    exam = _paper_scores(rng, true_rate, 1)[:, 0]
    exam_average = np.bincount(unit_of, weights=exam) / sizes
    return Simulated(unit_of, district_of, true_rate, mock_n, mock_sum, exam_average)


def predicted_chances(sim, threshold=95.0, questions=None):
    """The forecast's chance below ``threshold`` for every simulated unit (in unit order)."""
    questions = questions or effective_questions(PAPER_POINTS)
    units = int(sim.unit_of.max()) + 1
    forecasts, _ = forecast_units(
        sim.unit_of,
        sim.mock_n,
        sim.mock_sum,
        sim.district_of,
        dict.fromkeys(range(units), threshold),
        questions=questions,
    )
    return np.array([forecasts[u].p_below for u in range(units)])


def naive_chances(sim, threshold=95.0):
    """A forecast that ignores uncertainty: below for sure when the plug-in mean of mocks is below."""
    rates = np.where(sim.mock_n > 0, sim.mock_sum / np.maximum(sim.mock_n, 1) / 100, np.nan)
    fill = np.nanmean(rates)
    rates = np.where(np.isnan(rates), fill, rates)
    sizes = np.bincount(sim.unit_of)
    means = np.bincount(sim.unit_of, weights=rates) / sizes * 100
    return (means < threshold).astype(float)


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    units: int
    predicted: float  # mean predicted chance in the bin
    observed: float  # share of the bin's units that fell below

    @property
    def standard_error(self):
        p = min(max(self.predicted, 0.01), 0.99)
        return (p * (1 - p) / self.units) ** 0.5 if self.units else float("nan")


def calibration(predicted, fell_below, width=0.1):
    """Bins of predicted chance (0–10 %, …, 90–100 %): units, mean predicted, observed share."""
    bins = []
    edges = np.round(np.arange(0, 1 + width / 2, width), 6)
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        mask = (predicted >= low) & ((predicted < high) if high < 1 else (predicted <= high))
        n = int(mask.sum())
        bins.append(
            Bin(
                float(low),
                float(high),
                n,
                float(predicted[mask].mean()) if n else float("nan"),
                float(fell_below[mask].mean()) if n else float("nan"),
            )
        )
    return bins


#: a bin is checked when it holds this many units; its observed share must be within
#: ``SE_TOLERANCE`` standard errors of its mean predicted chance, plus ``SLACK`` points
MIN_BIN = 30
SE_TOLERANCE = 3.0
SLACK = 0.02


def bin_ok(b):
    return b.units < MIN_BIN or abs(b.observed - b.predicted) <= SE_TOLERANCE * b.standard_error + SLACK


def brier(predicted, fell_below):
    return float(np.mean((predicted - fell_below) ** 2))


def calibration_error(predicted, fell_below, width=0.1):
    """The mean gap between predicted and observed per bin, weighted by the bin's units (ECE)."""
    bins = [b for b in calibration(predicted, fell_below, width) if b.units]
    return sum(b.units * abs(b.observed - b.predicted) for b in bins) / sum(b.units for b in bins)
