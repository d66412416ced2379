"""What checking a password costs, per scheme: the login wave's budget.

    .venv/bin/python benchmarks/bench_password.py                  # 50 checks each, 10 s of two processes
    .venv/bin/python benchmarks/bench_password.py --checks 20 --seconds 5

For each scheme: the median (and p95) time of one verification in a single thread, the
time to hash (what a roster import pays per generated password), and how many checks a
second two processes sustain together (the 2-core box's ceiling for logins, with nothing
else running). A benchmark, not a test: the machines are shared and noisy.
"""

import argparse
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.security import DEFAULT_PBKDF2_ITERATIONS  # noqa: E402

from examapp.auth.passwords import (  # noqa: E402
    DEFAULT_ARGON2_MEMORY_KIB,
    DEFAULT_ARGON2_PARALLELISM,
    DEFAULT_ARGON2_TIME_COST,
    GENERATED_PASSWORD_METHOD,
    current_hasher,
    verify_password,
)

PASSWORD = "Bench-passw0rd"

SCHEMES = {
    "werkzeug scrypt (default: n=2^15, r=8, p=1)": "scrypt",
    f"werkzeug pbkdf2:sha256 (default: {DEFAULT_PBKDF2_ITERATIONS:,} iterations)": "pbkdf2:sha256",
    f"werkzeug {GENERATED_PASSWORD_METHOD}": GENERATED_PASSWORD_METHOD,
    (
        f"argon2id m={DEFAULT_ARGON2_MEMORY_KIB} KiB, t={DEFAULT_ARGON2_TIME_COST}, "
        f"p={DEFAULT_ARGON2_PARALLELISM} (OWASP minimum)"
    ): "argon2id",
}


def make_hash(method):
    if method == "argon2id":
        return current_hasher().hash(PASSWORD)
    from werkzeug.security import generate_password_hash

    return generate_password_hash(PASSWORD, method=method)


def timed(fn, n):
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, round(0.95 * len(times)) - 1)]


def _checks_for(args):
    stored, seconds = args
    count, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        ok, _ = verify_password(stored, PASSWORD)
        assert ok
        count += 1
    return count


def two_process_rate(stored, seconds, processes=2):
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        started = time.perf_counter()
        counts = pool.map(_checks_for, [(stored, seconds)] * processes)
        return sum(counts) / (time.perf_counter() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=50, help="verifications per scheme, single thread")
    parser.add_argument("--seconds", type=float, default=10, help="duration of the two-process run per scheme")
    args = parser.parse_args()

    print(
        f"{'scheme':<62} {'verify median':>13} {'p95':>7} {'hash median':>11} {'2 processes':>12}  "
        "(ms, ms, ms, checks/s)"
    )
    for label, method in SCHEMES.items():
        stored = make_hash(method)
        assert verify_password(stored, PASSWORD)[0] and not verify_password(stored, "wrong")[0]
        verify_median, verify_p95 = timed(lambda stored=stored: verify_password(stored, PASSWORD), args.checks)
        hash_median, _ = timed(lambda method=method: make_hash(method), max(5, args.checks // 5))
        rate = two_process_rate(stored, args.seconds)
        print(f"{label:<62} {verify_median:>13.1f} {verify_p95:>7.1f} {hash_median:>11.1f} {rate:>12.1f}")


if __name__ == "__main__":
    main()
