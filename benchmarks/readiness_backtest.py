"""The readiness forecast's back-test: calibration on simulated units (docs/readiness.md).

    .venv/bin/python benchmarks/readiness_backtest.py --units 2000 --seeds 3

Simulated staff of known ability (each person's true per-question right rate; units alike within),
their mocks (0–5 each) and their real exam on the 100-point paper; the forecast from the mocks; per
10 % bin of predicted chance below 95, the units, the mean predicted chance and the share that
actually fell below. No database.
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from examapp.readiness import backtest  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--threshold", type=float, default=95.0)
    args = parser.parse_args()
    for seed in range(1, args.seeds + 1):
        began = time.perf_counter()
        sim = backtest.simulate(args.units, seed=seed)
        predicted = backtest.predicted_chances(sim, args.threshold)
        fell = (sim.exam_average < args.threshold).astype(float)
        naive = backtest.naive_chances(sim, args.threshold)
        print(
            f"seed {seed}: {args.units} units, {sim.unit_of.size} people, {time.perf_counter() - began:.1f} s; "
            f"fell below {fell.mean():.1%}, mean predicted {predicted.mean():.1%}; "
            f"Brier {backtest.brier(predicted, fell):.4f}, ECE {backtest.calibration_error(predicted, fell):.1%} "
            f"(plug-in without uncertainty: Brier {backtest.brier(naive, fell):.4f}, "
            f"ECE {backtest.calibration_error(naive, fell):.1%})"
        )
        print("  predicted   units  mean predicted  observed  |diff|  allowed  ok")
        for b in backtest.calibration(predicted, fell):
            if not b.units:
                continue
            allowed = backtest.SE_TOLERANCE * b.standard_error + backtest.SLACK
            print(
                f"  {b.low:4.0%}–{b.high:4.0%}  {b.units:6d}  {b.predicted:14.1%}  {b.observed:8.1%}  "
                f"{abs(b.observed - b.predicted):6.1%}  {allowed:7.1%}  {'yes' if backtest.bin_ok(b) else 'NO'}"
            )


if __name__ == "__main__":
    main()
