"""What PostgreSQL spends on a start's 80 item rows, with and without the foreign key to the
question versions, one writer or sixteen at once.

    .venv/bin/python benchmarks/bench_start_inserts.py
    .venv/bin/python benchmarks/bench_start_inserts.py --seconds 30 --database-url postgresql://postgres@127.0.0.1:5432/bench_inserts

A start copies 80 rows that each reference one of a few hundred question versions; under a
start burst 16 transactions do it at once, and each foreign-key check takes a share lock on the
referenced row. This measures the CPU of the PostgreSQL backends serving the writers (from
/proc, those backends only) per start, in scratch tables ``zz_qv`` / ``zz_items`` that it drops
and creates (the database is created if missing), for: foreign key or none, 1 or 16 writers.
Each transaction holds 2 ms of the app's work before its commit.
"""

import argparse
import random
import threading
import time

import psutil
import psycopg

QUESTIONS = 320
ITEMS = 80


def ensure_database(url):
    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def setup(url, foreign_key):
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS zz_items; DROP TABLE IF EXISTS zz_qv")
        conn.execute("CREATE TABLE zz_qv (id int PRIMARY KEY, payload text)")
        conn.execute("INSERT INTO zz_qv SELECT g, 'x' FROM generate_series(1, %s) g", (QUESTIONS,))
        reference = "REFERENCES zz_qv (id)" if foreign_key else ""
        conn.execute(
            "CREATE TABLE zz_items (id serial PRIMARY KEY, attempt int NOT NULL, position int NOT NULL, "
            f"qv int NOT NULL {reference}, UNIQUE (attempt, position))"
        )


def backend_cpu(pids):
    total = 0.0
    for pid in pids:
        times = psutil.Process(pid).cpu_times()
        total += times.user + times.system
    return total


def run(url, writers, seconds, foreign_key):
    setup(url, foreign_key)
    connections = [psycopg.connect(url) for _ in range(writers)]
    pids = [conn.info.backend_pid for conn in connections]
    lock = threading.Lock()
    state = {"next": 0, "done": 0}
    before = backend_cpu(pids)
    stop = time.time() + seconds

    def write(conn):
        while time.time() < stop:
            with lock:
                state["next"] += 1
                attempt = state["next"]
            versions = random.sample(range(1, QUESTIONS + 1), ITEMS)
            with conn.transaction():
                conn.execute(
                    "INSERT INTO zz_items (attempt, position, qv) "
                    "SELECT %s, p, q FROM unnest(%s::int[], %s::int[]) AS t(p, q)",
                    (attempt, list(range(1, ITEMS + 1)), versions),
                )
                time.sleep(0.002)
            with lock:
                state["done"] += 1

    threads = [threading.Thread(target=write, args=(conn,)) for conn in connections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    used = backend_cpu(pids) - before
    for conn in connections:
        conn.close()
    starts = state["done"]
    print(
        f"foreign key {'yes' if foreign_key else 'no ':3}  writers {writers:2}: {starts:6} starts in {seconds} s, "
        f"PostgreSQL CPU {1000 * used / starts:.2f} ms per start",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/bench_inserts")
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    ensure_database(args.database_url)
    for writers in (1, 16):
        for foreign_key in (True, False):
            run(args.database_url, writers, args.seconds, foreign_key)
    with psycopg.connect(args.database_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS zz_items; DROP TABLE IF EXISTS zz_qv")


if __name__ == "__main__":
    main()
