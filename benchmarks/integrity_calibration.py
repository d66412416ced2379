"""Calibration of the integrity findings: false alarms on honest sittings, detection of planted cases.

    .venv/bin/python benchmarks/integrity_calibration.py                      # 100 honest sittings of 600
    .venv/bin/python benchmarks/integrity_calibration.py --seeds 20 --planted-seeds 5 --no-declare-rooms

The sittings come from tests/integrity_simulation.py, a model deliberately unlike the
detector's (2PL answers, ability-dependent distractor choice, NAT rooms on one browser build,
two-uplink offices, quick honest people). Prints a markdown table, the command line on top:
per finding kind, how many honest sittings had a finding of that kind at 中/高 and at 低; how
often each planted case was found at 中/高; copy pairs by copied share. The target
(docs/integrity.md): at most 1 % of honest sittings with any finding at 中/高. A benchmark,
not a test: read the figures, do not assert them.
"""

import argparse
import shlex
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from examapp.integrity.analysis import analyse  # noqa: E402
from examapp.integrity.models import FindingKind  # noqa: E402
from examapp.integrity.plain import sitting_from_data  # noqa: E402
from tests.integrity_simulation import simulate_sitting  # noqa: E402

FLAGGED = ("medium", "high")
SHARES = (0.1, 0.2, 0.3, 0.4)
#: the planted cases: (label, simulate_sitting options, what counts as found)
COPYING_UNIT = {"size": 30, "share": 0.4, "source_wrong": 10}


class Clock:
    def __init__(self):
        self.simulate = self.analyse = 0.0
        self.sittings = 0

    def run(self, seed, **options):
        t0 = time.perf_counter()
        data, truth = simulate_sitting(seed, **options)
        t1 = time.perf_counter()
        drafts, _stats = analyse(sitting_from_data(data))
        self.simulate += t1 - t0
        self.analyse += time.perf_counter() - t1
        self.sittings += 1
        return drafts, truth


def involving(drafts, kinds, attempts, levels=FLAGGED):
    return [d for d in drafts if d.kind in kinds and set(attempts) <= set(d.attempt_ids) and d.level in levels]


def unit_found(drafts, unit=1):
    return any(d.kind == "unit" and unit in d.unit_ids and d.level in FLAGGED for d in drafts)


def honest_rows(clock, args):
    """Honest sittings, even seeds with each person's own draw of questions, odd ones with one fixed paper."""
    flagged = {False: Counter(), True: Counter()}
    low, any_flagged, examples = Counter(), Counter(), []
    for seed in range(args.seeds):
        fixed = seed % 2 == 1
        drafts, _truth = clock.run(
            seed,
            people=args.people,
            declare_rooms=args.declare_rooms,
            fixed_paper=fixed,
            same_build_share=1.0 if seed % 4 < 2 else 0.9,
        )
        kinds = {d.kind for d in drafts if d.level in FLAGGED}
        flagged[fixed].update(kinds)
        low.update({d.kind for d in drafts if d.level == "low"})
        if kinds:
            any_flagged[fixed] += 1
            examples.append(
                (seed, sorted((d.kind, d.level, round(float(d.strength), 2)) for d in drafts if d.level in FLAGGED))
            )
    return flagged, low, any_flagged, examples


def planted_rows(clock, args):
    found = Counter()
    pairs = {"own draws": Counter(), "fixed paper": Counter()}
    wrong_copied = {"own draws": Counter(), "fixed paper": Counter()}
    people = args.people
    for k in range(args.planted_seeds):
        seed = 10_000 + k
        options = {"people": people, "declare_rooms": args.declare_rooms}
        drafts, truth = clock.run(seed, standin_device=True, standin_home=True, fast_scorer=True, **options)
        device = truth["standin_device"]["attempts"]
        found["three accounts, one device: same_device 中/高"] += bool(involving(drafts, ("same_device",), device))
        found["three accounts, one device: same_device 高"] += bool(
            involving(drafts, ("same_device",), device, ("high",))
        )
        home = truth["standin_home"]["attempts"]
        found["stand-in at home, three browsers: same_address"] += bool(involving(drafts, ("same_address",), home))
        found["stand-in at home, three browsers: any kind"] += bool(
            involving(drafts, (*FindingKind.ALL, "timing"), home)
        )
        fast = [truth["fast_scorer"]["attempt"]]
        found["100 in five minutes: speed"] += bool(involving(drafts, ("speed",), fast))

        cases = (
            ("copying unit (30, 40 % of a 10-wrong sheet)", COPYING_UNIT),
            ("overflow (30, 40 % of a 32-wrong sheet)", {**COPYING_UNIT, "source_wrong": 32}),
            (
                "masking (a quarter of the sitting, 40 % of a 20-wrong sheet)",
                {"size": people // 4, "share": 0.4, "source_wrong": 20},
            ),
        )
        for label, unit in cases:
            drafts, _truth = clock.run(seed, fixed_paper=True, copying_unit=unit, **options)
            found[f"{label}: unit"] += unit_found(drafts)

        for paper, fixed in (("own draws", False), ("fixed paper", True)):
            drafts, truth = clock.run(seed, fixed_paper=fixed, copy_pairs=SHARES, **options)
            for pair in truth["copy_pairs"]:
                hit = involving(drafts, ("copying", "timing"), (pair["source"], pair["copier"]))
                pairs[paper][pair["share"]] += bool(hit)
                wrong_copied[paper][pair["share"]] += pair["copied_wrong"]
    return found, pairs, wrong_copied


def percent(count, total):
    return f"{count} ({100 * count / total:.1f} %)" if total else "–"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=100, help="honest sittings (default 100)")
    parser.add_argument("--planted-seeds", type=int, default=20, help="sittings per planted case (default 20)")
    parser.add_argument("--people", type=int, default=600, help="examinees per sitting (default 600)")
    parser.add_argument(
        "--declare-rooms",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="list the rooms' addresses in the sitting (default: yes)",
    )
    args = parser.parse_args()
    clock = Clock()
    started = time.perf_counter()

    flagged, low, any_flagged, examples = honest_rows(clock, args)
    found, pairs, wrong_copied = planted_rows(clock, args)

    command = shlex.join([".venv/bin/python", "benchmarks/integrity_calibration.py", *sys.argv[1:]])
    print(f"    {command}\n")
    rooms = "declared" if args.declare_rooms else "not declared"
    drawn, fixed = (args.seeds + 1) // 2, args.seeds // 2
    print(f"{args.seeds} honest sittings of {args.people} people (rooms {rooms}; {drawn} with each person's")
    print(f"own draw of questions, {fixed} with one fixed paper):\n")
    print("| kind | 中/高, own draws | 中/高, fixed paper | 中/高, all | 低, all |")
    print("|---|---|---|---|---|")
    kinds = (*FindingKind.ALL, *(k for k in ("timing",) if k not in FindingKind.ALL))
    for kind in kinds:
        both = flagged[False][kind] + flagged[True][kind]
        print(
            f"| {kind} | {percent(flagged[False][kind], drawn)} | {percent(flagged[True][kind], fixed)} "
            f"| {percent(both, args.seeds)} | {percent(low[kind], args.seeds)} |"
        )
    total_any = any_flagged[False] + any_flagged[True]
    print(
        f"| **any** | **{percent(any_flagged[False], drawn)}** | **{percent(any_flagged[True], fixed)}** "
        f"| **{percent(total_any, args.seeds)}** | |"
    )
    for seed, kinds in examples[:10]:
        print(f"\n- honest seed {seed}: {kinds}")

    n = args.planted_seeds
    print(f"\nPlanted cases, {n} sittings each, found at 中/高:\n")
    print("| case | found |")
    print("|---|---|")
    for label, count in found.items():
        print(f"| {label} | {percent(count, n)} |")

    print(f"\nCopy pairs (copier next to the source, answering seconds after), {n} pairs per share, found at 中/高:\n")
    print("| copied share | own draws | wrong answers copied (mean) | fixed paper | wrong answers copied (mean) |")
    print("|---|---|---|---|---|")
    for share in SHARES:
        own, fixed = pairs["own draws"][share], pairs["fixed paper"][share]
        own_wrong = wrong_copied["own draws"][share] / n if n else 0
        fixed_wrong = wrong_copied["fixed paper"][share] / n if n else 0
        print(f"| {share:.0%} | {percent(own, n)} | {own_wrong:.1f} | {percent(fixed, n)} | {fixed_wrong:.1f} |")

    total = time.perf_counter() - started
    per = clock.sittings or 1
    print(
        f"\n{clock.sittings} sittings in {total:.0f} s: {clock.simulate / per:.2f} s simulating and "
        f"{clock.analyse / per:.2f} s reading and analysing per sitting."
    )


if __name__ == "__main__":
    main()
