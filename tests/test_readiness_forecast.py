"""The forecast's method and its back-test (docs/readiness.md): calibration on simulated units."""

import numpy as np
import pytest

from examapp.readiness import backtest
from examapp.readiness.forecast import effective_questions, forecast_units


def test_effective_questions_of_the_default_paper():
    assert effective_questions([1] * 60 + [2] * 20) == 71
    assert effective_questions([1] * 100) == 100


def test_small_unit_known_mocks():
    """Three people with many mocks at 98: the forecast mean is near 98, below-95 chance small."""
    forecasts, _ = forecast_units([1, 1, 1], [5, 5, 5], [490, 490, 490], [1, 1, 1], {1: 95.0})
    f = forecasts[1]
    assert 96.5 < f.mean < 98.5 and f.p10 <= f.mean <= f.p90 and f.p_below < 0.2


def test_people_without_data_widen_the_interval():
    seen, _ = forecast_units([1] * 6 + [2] * 6, [5] * 12, [480] * 12, [1] * 12, {1: 95.0, 2: 95.0})
    half, _ = forecast_units(
        [1] * 6 + [2] * 6, [5] * 6 + [5, 5, 5, 0, 0, 0], [480] * 6 + [480] * 3 + [0] * 3, [1] * 12, {1: 95.0, 2: 95.0}
    )
    assert (half[2].p90 - half[2].p10) >= (seen[2].p90 - seen[2].p10)


def test_absence_counts_as_zero():
    present, _ = forecast_units([1] * 4, [5] * 4, [490] * 4, [1] * 4, {1: 95.0})
    absent, _ = forecast_units([1] * 4, [5] * 4, [490] * 4, [1] * 4, {1: 95.0}, absence=0.05)
    assert absent[1].p_below > present[1].p_below + 0.1


@pytest.fixture(scope="module")
def simulated():
    sim = backtest.simulate(units=2000, seed=20261203)
    predicted = backtest.predicted_chances(sim)
    fell = (sim.exam_average < 95).astype(float)
    return sim, predicted, fell


def test_calibration_of_2000_simulated_units(simulated):
    """Among units given chance ≈ p, the share that fell below is ≈ p: every 10 % bin with ≥ 30 units
    within 3 standard errors (+2 points) of its mean predicted chance."""
    _, predicted, fell = simulated
    bins = backtest.calibration(predicted, fell)
    checked = [b for b in bins if b.units >= backtest.MIN_BIN]
    assert len(checked) >= 8
    bad = [b for b in checked if not backtest.bin_ok(b)]
    assert not bad, bad
    # overall: the mean predicted chance matches the share that fell below within 2 points, and the
    # bins' gaps weighted by their units (ECE) stay under 3.5 points (sampling noise alone gives ~2)
    assert abs(predicted.mean() - fell.mean()) < 0.02
    assert backtest.calibration_error(predicted, fell) < 0.035


def test_a_forecast_without_uncertainty_fails_the_same_check(simulated):
    """The check has teeth: the plug-in forecast (below for sure when the mock mean is below) fails it."""
    sim, predicted, fell = simulated
    naive = backtest.naive_chances(sim)
    assert not all(backtest.bin_ok(b) for b in backtest.calibration(naive, fell))
    assert backtest.calibration_error(naive, fell) > 0.035
    assert backtest.brier(predicted, fell) < backtest.brier(naive, fell)


def test_simulation_is_deterministic():
    a, b = backtest.simulate(50, seed=3), backtest.simulate(50, seed=3)
    assert np.array_equal(a.mock_sum, b.mock_sum) and np.array_equal(a.exam_average, b.exam_average)
