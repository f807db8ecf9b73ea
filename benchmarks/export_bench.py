"""Time exporting the contact (or company) list of an already seeded workspace to CSV and XLSX (and vCard).

Run with the same environment as `peyvand` (PEYVAND_DATA_DIR / DATABASE_URL) on a database seeded as
benchmarks/contacts_seed.py's docstring says (`peyvand migrate`, `peyvand createadmin`, `benchmarks/seed.py`,
`benchmarks/contacts_seed.py`), then:

    python benchmarks/export_bench.py --email owner@bench.local --workspace Bench              # 100,000 rows
    python benchmarks/export_bench.py --email owner@bench.local --workspace Bench --rows 2000 --formats csv

Each format exports the first N rows of the list in name order, every column (or --columns), as the
workspace member --email, through the functions the web, API and command line use
(`exporting.export_rows` → `write_csv` / `write_xlsx`; `vcard_chunks`), into a temporary file deleted
afterwards. It prints rows, seconds, rows/s, the file size and the process's peak memory after the format;
nothing is audited (the use case `export_start` does that; it is not what is measured). The target is
100,000 rows in at most 20 s per format. Progress goes to stderr, the table to stdout.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

TARGET_SECONDS_PER_100K = 20.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--email", required=True, help="the member to export as (e.g. the seeded owner)")
    parser.add_argument("--workspace", required=True)
    parser.add_argument("--rows", type=int, default=100_000, help="rows to export (default 100000)")
    parser.add_argument("--entity", choices=["contact", "company"], default="contact")
    parser.add_argument(
        "--formats", default="csv,xlsx", help="comma list of csv, xlsx, vcf (default csv,xlsx)"
    )
    parser.add_argument("--columns", help="the list's columns= value (default: every column)")
    parser.add_argument("--chunk", type=int, default=None, help="records per chunk (default: CHUNK_SIZE)")
    args = parser.parse_args(argv)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    allowed = {"csv", "xlsx"} | ({"vcf"} if args.entity == "contact" else set())
    unknown = sorted(set(formats) - allowed)
    if unknown or args.rows < 1:
        parser.error(f"--formats: choose from {sorted(allowed)} (not {unknown}); --rows must be positive")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.config.settings")
    import django

    django.setup()
    from django.db import connection

    from peyvand.accounts.models import Membership
    from peyvand.contacts import exporting, selectors

    member = (
        Membership.objects.select_related("workspace", "user", "role")
        .filter(user__email__iexact=args.email, workspace__name=args.workspace, is_active=True)
        .first()
    )
    if member is None:
        print(f"export_bench: no active member {args.email} in workspace {args.workspace!r}", file=sys.stderr)
        return 1
    filters = selectors.ListFilters()
    available = exporting.export_queryset(member, args.entity, filters).count()
    columns = [args.columns] if args.columns is not None else None
    chunk = args.chunk or exporting.CHUNK_SIZE
    print(
        f"{connection.vendor}: {available} {args.entity} rows the member may export; exporting "
        f"{min(args.rows, available)} in chunks of {chunk}",
        file=sys.stderr,
    )

    results = []
    for kind in formats:
        with tempfile.TemporaryDirectory(prefix="peyvand-export-bench-") as folder:
            path = Path(folder) / f"export.{kind}"
            started = time.perf_counter()
            with path.open("wb") as handle:
                if kind == "vcf":
                    written = 0
                    for part in exporting.vcard_chunks(member, filters, chunk_size=chunk):
                        cards = part.count(b"BEGIN:VCARD\r\n")
                        if written + cards > args.rows:  # cut the last chunk at N cards
                            part = b"BEGIN:VCARD\r\n".join(
                                part.split(b"BEGIN:VCARD\r\n")[: args.rows - written + 1]
                            )
                            cards = args.rows - written
                        handle.write(part)
                        written += cards
                        if written >= args.rows:
                            break
                else:
                    rows = exporting.export_rows(member, args.entity, filters, columns, chunk_size=chunk)
                    limited = itertools.islice(rows, args.rows + 1)  # the header, then N rows
                    write = exporting.write_csv if kind == "csv" else exporting.write_xlsx
                    written = write(limited, handle)
            seconds = time.perf_counter() - started
            size = path.stat().st_size
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        results.append((kind, written, seconds, size, peak_mb))
        print(f"{kind}: {written} rows in {seconds:.2f} s", file=sys.stderr)

    header = f"{'format':6} {'rows':>8} {'seconds':>8} {'rows/s':>9} {'MB':>7}"
    print(f"{header} {'peak RSS MB':>12} {'100k est. s':>12}")
    for kind, written, seconds, size, peak_mb in results:
        rate = written / seconds if seconds else 0.0
        estimate = 100_000 / rate if rate else float("inf")
        flag = "" if estimate <= TARGET_SECONDS_PER_100K else "  (over the 20 s target)"
        print(
            f"{kind:6} {written:8d} {seconds:8.2f} {rate:9.0f} {size / 1e6:7.2f} {peak_mb:12.0f} "
            f"{estimate:12.1f}{flag}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
