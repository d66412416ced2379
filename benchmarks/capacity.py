"""The capacity ladder: how many examinees one box carries with every phase of the day on target.

    .venv/bin/python benchmarks/capacity.py                                  # N = 1000, 2000, 5000, 10000
    .venv/bin/python benchmarks/capacity.py --sizes 1000,2000 --answers 10   # minutes a rung, not 40
    .venv/bin/python benchmarks/capacity.py --server granian -- --workers 4 --threads 4

Each rung runs ``benchmarks/exam_day.py`` for N examinees with the day's rates scaled to N:

- logins at N / 200 per second (everyone arrives within 200 s);
- N starts: the clicks spread over 50 s, so that all can be on their page within 60 s;
- a save per person every 25 s (an offered save rate of N / 25 per second);
- N submits in the last 50 s before the common deadline;

and checks every phase against the issue's targets: logins at the offered rate (within 5 %: the
last arrival comes at the end of the window) with p95 < 1 s; every start within 60 s of the
signal, click to page p95 < 1 s; saves acknowledged at the offered rate (at least 90 % of it)
with p95 < 300 ms in the middle of the save phase; every submit within 60 s, p95 < 1 s; every
score computed within 120 s of the last submit; no 5xx; no answer lost. ``--answers K`` answers
only the first K questions of 80 (a rung's save phase is K x 1.1 x 25 s: 37 minutes for all 80,
5 for 10). Anything after ``--`` is passed to exam_day.py as it is.

Each rung's output goes to ``benchmarks/results/capacity_<server>_<N>.txt`` (its figures to the
``.json`` beside it); the ladder's summary, with the largest N for which every phase held, to
``benchmarks/results/capacity_<server>.json``. The ladder stops at the first rung that misses a
target (``--keep-going`` runs them all). A benchmark, not a test: the exit status is 1 only when
a rung lost an answer or could not run.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = ROOT / "benchmarks" / "results"
#: exam_day.py's largest run
MAX_PEOPLE = 20_000
QUESTIONS = 80
#: the day's shape, scaled to N
LOGIN_WINDOW = 200  # s: logins at N / 200 per second
SAVE_EVERY = 25  # s between one person's saves: N / 25 per second
SPREAD = 50  # s over which the starts, and the submits, are spread
#: the targets
LOGIN_RATE_SHARE = 0.95
SAVE_RATE_SHARE = 0.90
START_WITHIN = SUBMIT_WITHIN = 60
GRADED_WITHIN = 120
P95 = 1.0
SAVE_P95 = 0.3
#: shown in progress: the lines of exam_day.py that say how a phase went (and its numbered phases)
PROGRESS = (
    "exam day:",
    "prepared in",
    "serving with",
    "   =>",
    "   authentication mix",
    "   grading:",
    "   answers lost",
)


def rung_command(args, n, figures):
    command = [
        sys.executable,
        str(ROOT / "benchmarks" / "exam_day.py"),
        "--people",
        str(n),
        "--server",
        args.server,
        "--login-rate",
        f"{n / LOGIN_WINDOW:g}",
        "--start-spread",
        str(SPREAD),
        "--submit-spread",
        str(SPREAD),
        "--save-rate",
        f"{n / SAVE_EVERY:g}",
        "--database-url",
        args.database_url,
        "--output",
        str(figures),
    ]
    if args.answers:
        command += ["--answers", str(args.answers)]
    if args.login:
        command += ["--login", args.login]
    return command + args.exam_day_args


def check(figures, n):
    """Each phase: (what was measured, the target, met?) from one rung's figures."""
    logins, starts, steady = figures.get("logins", {}), figures.get("starts", {}), figures.get("steady", {})
    submits, graded = figures.get("submits", {}), figures.get("grading") or {}
    examinees, read_back = figures.get("examinees", {}), figures.get("check", {})
    run = figures.get("run", {})
    login_rate, save_rate = run.get("login_rate", n / LOGIN_WINDOW), run.get("save_rate", n / SAVE_EVERY)
    expected_submits = submits.get("expected", submits.get("count", 0))
    lost = read_back.get("answers lost", 0)
    broken = read_back.get("neither submitted nor resumable", 0) + read_back.get("examinees without an attempt", 0)
    within = graded.get("within")
    return {
        "logins": (
            f"{logins.get('count', 0)} at {logins.get('rate', 0):.1f}/s, p95 {logins.get('p95', 0):.2f} s",
            f"{login_rate:g}/s (>= {LOGIN_RATE_SHARE:.0%}), p95 < {P95:g} s",
            logins.get("count") == n
            and logins.get("rate", 0) >= LOGIN_RATE_SHARE * login_rate
            and logins.get("p95", 99) < P95,
        ),
        "starts": (
            f"{starts.get('count', 0)} within {starts.get('within', 0):.1f} s, p95 {starts.get('click_to_page_p95', 0):.2f} s",
            f"all within {START_WITHIN} s, p95 < {P95:g} s",
            starts.get("count") == n
            and starts.get("within", 99e9) <= START_WITHIN
            and starts.get("click_to_page_p95", 99) < P95,
        ),
        "saves": (
            f"{steady.get('rate', 0):.0f}/s, p95 {steady.get('p95', 0) * 1000:.0f} ms",
            f"{save_rate:g}/s (>= {SAVE_RATE_SHARE:.0%}), p95 < {SAVE_P95 * 1000:.0f} ms",
            steady.get("rate", 0) >= SAVE_RATE_SHARE * save_rate and steady.get("p95", 99) < SAVE_P95,
        ),
        "submits": (
            f"{submits.get('count', 0)} of {expected_submits} within {submits.get('within', 0):.1f} s, "
            f"p95 {submits.get('p95', 0):.2f} s",
            f"all within {SUBMIT_WITHIN} s, p95 < {P95:g} s",
            submits.get("count") == expected_submits
            and submits.get("within", 99e9) <= SUBMIT_WITHIN
            and submits.get("p95", 99) < P95,
        ),
        "scores": (
            f"within {within:.0f} s" if within is not None else f"{graded.get('left')} not graded",
            f"within {GRADED_WITHIN} s of the last submit",
            within is not None and within <= GRADED_WITHIN,
        ),
        "5xx": (str(examinees.get("5xx", "?")), "0", examinees.get("5xx") == 0),
        "lost": (f"{lost} lost, {broken} attempts broken", "0", lost == 0 and broken == 0 and "check" in figures),
    }


def run_rung(args, n):
    stem = LOG_DIR / f"capacity_{args.server}_{n}"
    figures_path, log_path = stem.with_suffix(".json"), stem.with_suffix(".txt")
    figures_path.unlink(missing_ok=True)
    command = rung_command(args, n, figures_path)
    print(f"\n== N = {n:,}: {log_path.relative_to(ROOT)}", flush=True)
    started = time.monotonic()
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in process.stdout:
            log.write(line)
            log.flush()
            if args.verbose or line.startswith(PROGRESS) or line[:1].isdigit():
                print(f"   {line.rstrip()}", flush=True)
        returncode = process.wait()
    seconds = time.monotonic() - started
    if not figures_path.exists():
        print(f"   !! exam_day.py ended ({returncode}) without figures; see {log_path}")
        return {"people": n, "returncode": returncode, "seconds": seconds, "log": str(log_path), "all_met": False}
    figures = json.loads(figures_path.read_text())
    phases = check(figures, n)
    print(f"   {'phase':<8} {'measured':<46} {'target':<34} verdict")
    for phase, (measured, target, met) in phases.items():
        print(f"   {phase:<8} {measured:<46} {target:<34} {'met' if met else 'MISSED'}")
    all_met = all(met for _m, _t, met in phases.values())
    print(f"   N = {n:,}: {'every phase on target' if all_met else 'MISSED'} ({seconds / 60:.1f} min)", flush=True)
    return {
        "people": n,
        "returncode": returncode,
        "seconds": seconds,
        "log": str(log_path.relative_to(ROOT)),
        "figures": str(figures_path.relative_to(ROOT)),
        "login mix": figures.get("logins", {}).get("mix"),
        "cpu": figures.get("cpu"),
        "phases": {phase: {"measured": m, "target": t, "met": met} for phase, (m, t, met) in phases.items()},
        "all_met": all_met,
    }


def parse_sizes(text):
    sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    if not sizes or sizes[0] < 10 or sizes[-1] > MAX_PEOPLE:
        raise argparse.ArgumentTypeError(f"sizes between 10 and {MAX_PEOPLE:,}, comma-separated")
    return sizes


def main():
    argv = sys.argv[1:]
    passed = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=parse_sizes, default=[1000, 2000, 5000, 10000], help="the rungs: N,N,...")
    parser.add_argument("--answers", type=int, help=f"questions each person answers (default all {QUESTIONS})")
    parser.add_argument("--server", choices=("gunicorn", "granian"), default="gunicorn")
    parser.add_argument("--login", choices=("ticket", "password"), help="exam_day.py's default: ticket")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/exam_day")
    parser.add_argument("--keep-going", action="store_true", help="run every rung, even after one missed")
    parser.add_argument("--verbose", action="store_true", help="show all of exam_day.py's output")
    args = parser.parse_args(argv)
    args.exam_day_args = passed
    if args.answers is not None:
        args.answers = max(1, min(args.answers, QUESTIONS))
    LOG_DIR.mkdir(exist_ok=True)
    answered = args.answers or QUESTIONS
    save_minutes = answered * 1.1 * SAVE_EVERY / 60
    print(
        f"capacity ladder on {args.server}: N = {', '.join(f'{n:,}' for n in args.sizes)}; logins N/{LOGIN_WINDOW}/s, "
        f"starts and submits spread over {SPREAD} s, a save per person every {SAVE_EVERY} s, "
        f"{answered} questions answered (a save phase of about {save_minutes:.0f} min a rung)"
        + (f"; passed to exam_day.py: {' '.join(passed)}" if passed else "")
    )
    rungs = []
    for n in args.sizes:
        rung = run_rung(args, n)
        rungs.append(rung)
        if not rung["all_met"] and not args.keep_going and n != args.sizes[-1]:
            print("   the ladder stops here (--keep-going runs the larger rungs too)")
            break
    held = [r["people"] for r in rungs if r["all_met"]]
    largest = max(held, default=None)
    summary = {
        "server": args.server,
        "answers": answered,
        "login": args.login or "exam_day.py's default",
        "rates": {
            "logins_per_second": f"N/{LOGIN_WINDOW}",
            "start_spread_seconds": SPREAD,
            "saves_per_second": f"N/{SAVE_EVERY}",
            "submit_spread_seconds": SPREAD,
        },
        "exam_day_args": passed,
        "rungs": rungs,
        "largest_n_on_target": largest,
    }
    path = LOG_DIR / f"capacity_{args.server}.json"
    path.write_text(json.dumps(summary, indent=1, ensure_ascii=False, default=str))
    print(f"\nladder on {args.server}:")
    for rung in rungs:
        missed = [p for p, v in rung.get("phases", {}).items() if not v["met"]]
        print(
            f"   N = {rung['people']:>6,}: "
            + ("every phase on target" if rung["all_met"] else f"missed {', '.join(missed) or 'the run'}")
            + f" ({rung['seconds'] / 60:.1f} min)"
        )
    print(
        "largest N with every phase on target: "
        + (f"{largest:,}" if largest else "none (no rung run held them all)")
        + (
            " (a smaller rung missed)"
            if largest and any(r["people"] < largest and not r["all_met"] for r in rungs)
            else ""
        )
    )
    print(f"summary: {path.relative_to(ROOT)}")
    failed = any(r["returncode"] not in (0, None) or not Path(ROOT / r.get("figures", "-")).exists() for r in rungs)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
