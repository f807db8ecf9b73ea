"""Import speed: generate a CSV of N contacts and time `peyvand import` on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/import_bench.py                   # 100,000 rows, both databases
    .venv/bin/python benchmarks/import_bench.py --rows 20000 --db sqlite

The file has Persian, Thai and English names (the `peyvand demo` pools), one unique e-mail and one valid
phone per row (Iranian numbers in Persian digits, Thai numbers with +66, London numbers), a company from a
pool of 2,000 names (found or created by the import), a lifecycle stage, a city and tags on a third of the
rows. Each database starts empty (fresh data directory, and for PostgreSQL a throwaway cluster from
`api_bench.PostgresCluster`); the import runs in one process, as `peyvand import` does, and is then run a
second time to time the "nothing new" pass. Prints rows/s for both runs. The issue's target: ≥ 10,000 rows/s.
"""

from __future__ import annotations

import argparse
import csv
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


def write_csv(path: Path, rows: int, seed: int = 1405) -> None:
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
            language = rng.choices(("fa", "th", "en"), weights=(5, 3, 2))[0]
            first, last = demo.random_person(rng, language)
            if language == "fa":
                phone = f"0912{n:07d}".translate(persian_digits)
            elif language == "th":
                phone = f"+66 8{n % 9 + 1} {n // 10000 % 1000:03d} {n % 10000:04d}"
            else:
                phone = f"+44 20 7946 {n % 10000:04d}"
            writer.writerow(
                [
                    first,
                    last,
                    f"person{n}@example{n % 97}.com",
                    phone,
                    rng.choice(demo.JOB_TITLES[language]),
                    rng.choice(companies),
                    rng.choice(("Lead", "Customer", "Subscriber", "Qualified")),
                    rng.choice(("Tehran", "Bangkok", "London", "Shiraz", "Chiang Mai")),
                    "VIP; Newsletter" if n % 3 == 0 else "",
                ]
            )


def import_once(env: dict[str, str], file: Path) -> tuple[float, str]:
    started = time.monotonic()
    out = api_bench.run(
        [api_bench.PYTHON, "-m", "peyvand.cli", "import", "contacts", str(file), "--workspace", WORKSPACE],
        env=env,
        timeout=3600,
        what="peyvand import",
    )
    return time.monotonic() - started, out.strip().splitlines()[-1] if out.strip() else ""


def bench(db: str, file: Path, rows: int) -> list[dict[str, object]]:
    results = []
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
            for label in ("first run", "same file again"):
                seconds, summary = import_once(env, file)
                created = re.search(r"(\d+) created", summary)
                results.append(
                    {
                        "db": db,
                        "run": label,
                        "rows": rows,
                        "seconds": round(seconds, 1),
                        "rows_per_s": round(rows / seconds),
                        "created": int(created.group(1)) if created else None,
                        "summary": summary,
                    }
                )
                api_bench.log(f"{db} {label}: {summary} in {seconds:.1f} s")
        finally:
            if cluster is not None:
                cluster.stop()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args(argv)
    api_bench.install_signal_handlers()
    with tempfile.TemporaryDirectory(prefix="peyvand-import-csv-") as tmp:
        file = Path(tmp) / "contacts.csv"
        write_csv(file, args.rows)
        api_bench.log(f"{args.rows} rows, {file.stat().st_size / 1e6:.1f} MB")
        results = []
        for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
            results.extend(bench(db, file, args.rows))
    print(f"{'db':9} {'run':16} {'rows':>8} {'seconds':>8} {'rows/s':>8}  result")
    for r in results:
        print(
            f"{r['db']:9} {r['run']:16} {r['rows']:>8} {r['seconds']:>8} {r['rows_per_s']:>8}  {r['summary']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
