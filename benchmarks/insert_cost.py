"""Where a contact insert's time goes in PostgreSQL: the table alone, and each group of its indexes.

    .venv/bin/python benchmarks/insert_cost.py --onto /var/tmp/peyvand-1m [--rows 20000] [--rounds 2]

`--onto` is a `contacts_bench.py --keep` directory (its PostgreSQL cluster is started and stopped). Inside
transactions that are rolled back — no row is left behind, though the id sequence moves on — copies of
existing contacts are inserted in statements of 1,000 rows, first with every index, then with one group of
indexes dropped, then with all but the primary key dropped. The GIN indexes' pending lists are flushed
before the clock stops, so their whole cost is counted. Each variant runs `--rounds` times on different rows
(after one unmeasured warm-up round); the median is printed in µs a row, with each group's share (all −
without it).

This is the floor under an import into that database: the server's own work for a contact row, before
e-mails, phones, tags, audit entries and fingerprints, and before any Python. An import's rows/s cannot be
higher than 1,000,000 / (this floor + those) on one connection.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import api_bench  # noqa: E402  (the cluster helper)

TABLE = "contacts_contact"
BATCH = 1000


def groups(indexes: dict[str, str]) -> dict[str, list[str]]:
    """The table's indexes (name → definition) by kind; the primary key is never dropped."""
    search = [n for n, d in indexes.items() if "USING gin" in d]
    named = [n for n, d in indexes.items() if "sort_key" in d and n not in search]
    other = [n for n, d in indexes.items() if n not in search and n not in named and not n.endswith("_pkey")]
    return {"search (GIN)": search, "name-ordered b-trees": named, "other b-trees": other}


def measure(cursor: object, columns: str, drop: list[str], gin: list[str], ids: list[int]) -> float:
    """µs a row to insert copies of the contacts `ids` (ascending), without the `drop` indexes."""
    execute = cursor.execute  # type: ignore[attr-defined]
    for name in gin:
        execute("SELECT gin_clean_pending_list(%s::regclass)", [name])
    execute("BEGIN")
    try:
        for name in drop:
            execute(f'DROP INDEX "{name}"')
        inserted = 0
        started = time.perf_counter()
        for first in range(0, len(ids), BATCH):
            chunk = ids[first : first + BATCH]
            execute(
                f"INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM {TABLE} WHERE id BETWEEN %s AND %s",
                [chunk[0], chunk[-1]],
            )
            inserted += cursor.rowcount  # type: ignore[attr-defined]
        for name in gin:
            if name not in drop:
                execute("SELECT gin_clean_pending_list(%s::regclass)", [name])
        return (time.perf_counter() - started) * 1e6 / max(1, inserted)
    finally:
        execute("ROLLBACK")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onto", required=True, help="a contacts_bench.py --keep directory")
    parser.add_argument("--rows", type=int, default=20_000, help="rows inserted per measurement")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    import psycopg

    api_bench.install_signal_handlers()
    keep = Path(args.onto).resolve() / "postgres"
    if not (keep / "pg" / "data" / "PG_VERSION").exists():
        raise SystemExit(f"no kept PostgreSQL database under {keep}: run contacts_bench.py --keep first")
    from contacts_bench import PG_SETTINGS

    cluster = api_bench.PostgresCluster(keep / "pg", settings=PG_SETTINGS)
    cluster.start()
    try:
        with psycopg.connect(cluster.url, autocommit=True) as connection:
            cursor = connection.cursor()
            cursor.execute(
                "SELECT string_agg(quote_ident(column_name), ', ') FROM information_schema.columns "
                "WHERE table_name = %s AND column_name <> 'id'",
                [TABLE],
            )
            columns = cursor.fetchone()[0]
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [TABLE])
            indexes = dict(cursor.fetchall())
            cursor.execute(f"SELECT id FROM {TABLE} ORDER BY id")
            ids = [row[0] for row in cursor.fetchall()]
            count = len(ids)
            by_kind = groups(indexes)
            gin = by_kind["search (GIN)"]
            variants = {"every index": [], **{f"without {k}": v for k, v in by_kind.items()}}
            variants["primary key only"] = [n for names in by_kind.values() for n in names]
            api_bench.log(f"{count:,} contacts, {len(indexes)} indexes; {args.rows:,} rows a measurement")
            span = max(1, (count - args.rows) // (len(variants) * (args.rounds + 1)))
            start = 0
            results: dict[str, float] = {}
            for name, drop in variants.items():
                timings = []
                for round_ in range(args.rounds + 1):
                    took = measure(cursor, columns, drop, gin, ids[start : start + args.rows])
                    start += span
                    if round_:  # the first round warms the pages these rows touch
                        timings.append(took)
                results[name] = statistics.median(timings)
                api_bench.log(f"{name}: {results[name]:.0f} µs a row")
    finally:
        cluster.stop()
    print(f"{'variant':34} {'µs a row':>9}")
    for name, value in results.items():
        print(f"{name:34} {value:9.0f}")
    print("each group's share (every index − without it):")
    for kind, names in by_kind.items():
        share = results["every index"] - results[f"without {kind}"]
        print(f"  {kind:32} {share:9.0f}   {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
