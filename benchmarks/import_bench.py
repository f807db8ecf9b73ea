"""Import speed: generate a CSV of N contacts and time `peyvand import` on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/import_bench.py                   # 100,000 rows, both databases, empty
    .venv/bin/python benchmarks/import_bench.py --rows 20000 --db sqlite
    .venv/bin/python benchmarks/import_bench.py --rows 50000 --db postgres --onto /var/tmp/peyvand-1m

The file has Persian, Thai and English names (the `peyvand demo` pools), one unique e-mail and one valid
phone per row (Iranian numbers in Persian digits, Thai numbers with +66, London numbers — none of them in
the ranges `contacts_seed.py` uses), a company from a pool of 2,000 names (found or created by the import),
a lifecycle stage, a city and tags on a third of the rows.

Without `--onto` each database starts empty (fresh data directory, and for PostgreSQL a throwaway cluster
from `api_bench.PostgresCluster`). `--onto DIR` imports into the databases `contacts_bench.py --keep DIR`
seeded (a million contacts by default), into its workspace; each such run adds N contacts to them (the
e-mails and phones move on from run to run, kept in `import-bench.json` beside the data).

The import runs in one process, as `peyvand import` does, and is then run a second time to time the
"nothing new" pass. Prints rows/s for both runs. The issue's target: ≥ 10,000 rows/s.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
for path in (str(PROJECT_DIR), str(BENCH_DIR)):
    if path not in sys.path:
        sys.path.insert(0, path)

import api_bench  # noqa: E402  (the cluster and process helpers)

WORKSPACE = "Import bench"
OWNER = "owner@import-bench.local"


def write_csv(path: Path, rows: int, seed: int = 1405, offset: int = 0) -> None:
    """`rows` people; e-mails and phones are numbered from `offset` (unique up to 10,000,000)."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.config.settings_test")  # only for the name pools
    django.setup()
    from peyvand.contacts import demo

    rng = random.Random(seed)
    companies = [
        f"{rng.choice(demo.ENGLISH_COMPANIES)} {rng.choice(demo.INDUSTRIES)} {n}" for n in range(2000)
    ]
    persian_digits = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "First Name",
                "Last Name",
                "Email",
                "Phone Number",
                "Job Title",
                "Company Name",
                "Lifecycle Stage",
                "City",
                "Tags",
            ]
        )
        for n in range(rows):
            m = (n + offset) % 10_000_000
            language = rng.choices(("fa", "th", "en"), weights=(5, 3, 2))[0]
            first, last = demo.random_person(rng, language)
            if language == "fa":
                phone = f"0921{m:07d}".translate(persian_digits)
            elif language == "th":
                phone = f"+66 9{m % 9 + 1} {m // 10000 % 1000:03d} {m % 10000:04d}"
            else:
                phone = f"+44 20 8{m // 10000 % 1000:03d} {m % 10000:04d}"
            writer.writerow(
                [
                    first,
                    last,
                    f"person{n + offset}@example{n % 97}.com",
                    phone,
                    rng.choice(demo.JOB_TITLES[language]),
                    rng.choice(companies),
                    rng.choice(("Lead", "Customer", "Subscriber", "Qualified")),
                    rng.choice(("Tehran", "Bangkok", "London", "Shiraz", "Chiang Mai")),
                    "VIP; Newsletter" if n % 3 == 0 else "",
                ]
            )


def import_once(env: dict[str, str], file: Path, workspace: str) -> tuple[float, str]:
    started = time.monotonic()
    out = api_bench.run(
        [api_bench.PYTHON, "-m", "peyvand.cli", "import", "contacts", str(file), "--workspace", workspace],
        env=env,
        timeout=3600,
        what="peyvand import",
    )
    return time.monotonic() - started, out.strip().splitlines()[-1] if out.strip() else ""


def bench(db: str, file: Path, rows: int) -> list[dict[str, object]]:
    """Import into an empty database."""
    with tempfile.TemporaryDirectory(prefix="peyvand-import-bench-") as data_dir:
        cluster = api_bench.PostgresCluster() if db == "postgres" else None
        try:
            url = None
            if cluster is not None:
                cluster.start()
                url = cluster.url
            env = api_bench.base_env(Path(data_dir), url)
            api_bench.run(
                [api_bench.PYTHON, "-m", "peyvand.cli", "migrate", "-v", "0"], env=env, what="migrate"
            )
            api_bench.run(
                [
                    api_bench.PYTHON,
                    "-m",
                    "peyvand.cli",
                    "createadmin",
                    "--email",
                    OWNER,
                    "--password",
                    "Import-bench-123456",
                    "--workspace",
                    WORKSPACE,
                ],
                env=env,
                what="createadmin",
            )
            return runs(db, env, file, rows, WORKSPACE, "empty")
        finally:
            if cluster is not None:
                cluster.stop()


def bench_onto(db: str, keep: Path, rows: int, tmp: Path) -> list[dict[str, object]]:
    """Import into the database `contacts_bench.py --keep` seeded under `keep`, with new people each run."""
    data_dir = keep / "data"
    seeded = data_dir / "contacts-bench.json"
    if not seeded.exists():
        raise api_bench.BenchError(f"{data_dir} holds no seeded database: run contacts_bench.py --keep first")
    size = json.loads(seeded.read_text()).get("seeded", {}).get("contacts", "?")
    marker = data_dir / "import-bench.json"
    offset = json.loads(marker.read_text())["next_offset"] if marker.exists() else 0
    file = tmp / f"contacts-{db}-{offset}.csv"
    write_csv(file, rows, offset=offset)
    marker.write_text(json.dumps({"next_offset": offset + rows}))
    cluster = None
    try:
        url = None
        if db == "postgres":
            from contacts_bench import PG_SETTINGS

            cluster = api_bench.PostgresCluster(keep / "pg", settings=PG_SETTINGS)
            cluster.start()
            url = cluster.url
        env = api_bench.base_env(data_dir, url)
        env["PEYVAND_SECRET_KEY"] = (keep / "secret").read_text()
        api_bench.run([api_bench.PYTHON, "-m", "peyvand.cli", "migrate", "-v", "0"], env=env, what="migrate")
        return runs(db, env, file, rows, api_bench.WORKSPACE, f"onto {size}")
    finally:
        if cluster is not None:
            cluster.stop()


def runs(
    db: str, env: dict[str, str], file: Path, rows: int, workspace: str, base: str
) -> list[dict[str, object]]:
    results = []
    for label in ("first run", "same file again"):
        seconds, summary = import_once(env, file, workspace)
        created = re.search(r"(\d+) created", summary)
        results.append(
            {
                "db": db,
                "base": base,
                "run": label,
                "rows": rows,
                "seconds": round(seconds, 1),
                "rows_per_s": round(rows / seconds),
                "created": int(created.group(1)) if created else None,
                "summary": summary,
            }
        )
        api_bench.log(f"{db} ({base}) {label}: {summary} in {seconds:.1f} s")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--onto", help="a contacts_bench.py --keep directory: import into its databases")
    args = parser.parse_args(argv)
    api_bench.install_signal_handlers()
    with tempfile.TemporaryDirectory(prefix="peyvand-import-csv-") as tmp:
        results = []
        databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
        if args.onto:
            for db in databases:
                results.extend(bench_onto(db, Path(args.onto).resolve() / db, args.rows, Path(tmp)))
        else:
            file = Path(tmp) / "contacts.csv"
            write_csv(file, args.rows)
            api_bench.log(f"{args.rows} rows, {file.stat().st_size / 1e6:.1f} MB")
            for db in databases:
                results.extend(bench(db, file, args.rows))
    print(f"{'db':9} {'into':13} {'run':16} {'rows':>8} {'seconds':>8} {'rows/s':>8}  result")
    for r in results:
        print(
            f"{r['db']:9} {r['base']!s:13} {r['run']:16} {r['rows']:>8} {r['seconds']:>8}"
            f" {r['rows_per_s']:>8}  {r['summary']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
