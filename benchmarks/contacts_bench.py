"""The customer database at scale: list, search and detail latency against `peyvand serve`; a big export.

    .venv/bin/python benchmarks/contacts_bench.py                       # 1,000,000 contacts, both databases
    .venv/bin/python benchmarks/contacts_bench.py --db postgres --keep /var/tmp/peyvand-1m
    .venv/bin/python benchmarks/contacts_bench.py --contacts 50000 --companies 5000 --requests 50   # quick

For each database: a data directory (and for PostgreSQL a cluster from `api_bench.PostgresCluster`, with
`shared_buffers` sized like a production server's), `peyvand migrate`, an owner, 20 members
(`benchmarks/seed.py`), then `benchmarks/contacts_seed.py` — 1,000,000 contacts and 100,000 companies in
Persian, Thai and English with 40 tags of falling popularity. Seeding takes minutes; `--keep DIR` keeps the
seeded databases under DIR and reuses them on the next run (delete DIR to start over).

It then picks its inputs from the data (in a Django process, before the server starts): a common and a rare
tag with random positions in their name-ordered lists (a keyset cursor made from a random member of the
tag, so "any page" is page 1 or page 9,000 alike), 3-letter name fragments in each script taken from random
contacts, random contact ids, and a session for the owner. `peyvand serve` (2 workers) is started and one
client sends each scenario's requests one after another on a kept-alive connection (`--warm`: after one
untimed pass over all of them); every response must be a 200, and the pages HTML. Printed: p50/p95/max per
scenario against the issue's targets (list ≤ 50 ms, search ≤ 100 ms, detail ≤ 30 ms, p95), then the time
`peyvand export` takes for the common tag's contacts (about 230,000; target: 100,000 in ≤ 20 s). Figures go
to benchmarks/results/contacts-<db>.json as well.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
for path in (str(PROJECT_DIR), str(BENCH_DIR)):
    if path not in sys.path:
        sys.path.insert(0, path)

import api_bench  # noqa: E402  (the cluster, server and process helpers)

TARGETS_MS = {"list": 50.0, "search": 100.0, "detail": 30.0}
EXPORT_TARGET_S = 20.0
PG_SETTINGS = "-c shared_buffers=2GB -c effective_cache_size=8GB -c work_mem=32MB -c random_page_cost=1.1"

# Run inside the benchmark's environment once the data is there: prints the inputs as JSON.
PICK_INPUTS = r"""
import json, os, random, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.config.settings")
django.setup()
from django.conf import settings
from django.db.models import Count
from django.test import Client
from peyvand.accounts.middleware import SESSION_WORKSPACE_KEY
from peyvand.accounts.models import Membership
from peyvand.contacts.models import Contact, ContactTag
from peyvand.core.models import Tag
from peyvand.core.pagination import encode_cursor

email, workspace, samples = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = random.Random(1405)
owner = Membership.objects.select_related("workspace", "user").get(
    user__email__iexact=email, workspace__name=workspace
)
tags = list(
    Tag.objects.filter(workspace=owner.workspace).annotate(n=Count("contact_links")).order_by("-n", "pk")
    .values_list("pk", "n")
)
common, rare = tags[0], tags[-1]
def cursors(tag_id, n):
    ids = list(ContactTag.objects.filter(tag_id=tag_id).values_list("contact_id", flat=True))
    chosen = rng.sample(ids, min(n, len(ids)))
    rows = Contact.objects.filter(pk__in=chosen).values_list("sort_key", "pk")
    return [encode_cursor([key, pk]) for key, pk in rows]
top = Contact.objects.filter(workspace=owner.workspace).order_by("-pk").values_list("pk", flat=True)[:1][0]
ids = []
while len(ids) < samples:
    pick = rng.randint(1, top)
    if Contact.objects.filter(pk=pick, workspace=owner.workspace).exists():
        ids.append(pick)
fragments = {"fa": [], "th": [], "en": []}
for contact in Contact.objects.filter(pk__in=ids).only("first_name", "last_name", "preferred_language"):
    for word in (contact.first_name, contact.last_name.split(" ")[0]):
        if len(word) >= 4 and contact.preferred_language in fragments:
            start = rng.randint(0, len(word) - 3)
            fragments[contact.preferred_language].append(word[start : start + 3])
client = Client()
client.force_login(owner.user)
session = client.session
session[SESSION_WORKSPACE_KEY] = owner.workspace_id
session.save()
print(json.dumps({
    "common_tag": {"id": common[0], "count": common[1], "cursors": cursors(common[0], samples)},
    "rare_tag": {"id": rare[0], "count": rare[1], "cursors": cursors(rare[0], samples)},
    "contact_ids": ids,
    "fragments": fragments,
    "session": [settings.SESSION_COOKIE_NAME, session.session_key],
    "contacts": Contact.objects.filter(workspace=owner.workspace).count(),
}, ensure_ascii=False))
"""

# Makes a saved view of the common tag, for the export (prints its id).
MAKE_VIEW = r"""
import os, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.config.settings")
django.setup()
from peyvand.accounts.models import Membership
from peyvand.contacts.models import SavedView
from peyvand.contacts.saved_views import saved_view_create
owner = Membership.objects.select_related("workspace", "user").get(
    user__email__iexact=sys.argv[1], workspace__name=sys.argv[2]
)
view = SavedView.objects.filter(workspace=owner.workspace, name="Bench export").first()
if view is None:
    view = saved_view_create(actor=owner, entity="contact", name="Bench export", query=f"tag={sys.argv[3]}")
print(view.pk)
"""


class Client:
    """One kept-alive HTTP/1.1 connection; times each request from send to the last byte read."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)
        self.headers = headers

    def get(self, path: str) -> tuple[float, int, bytes]:
        try:
            return self._get(path)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closes a connection left idle longer than its header timeout (30 s) — the web
            # client waits that long while the API scenarios run. Open a new one and send again.
            self.conn.close()
            return self._get(path)

    def _get(self, path: str) -> tuple[float, int, bytes]:
        started = time.perf_counter()
        self.conn.request("GET", path, headers=self.headers)
        response = self.conn.getresponse()
        body = response.read()
        return (time.perf_counter() - started) * 1000, response.status, body

    def close(self) -> None:
        self.conn.close()


def measure(
    client: Client, name: str, kind: str, paths: list[str], check: Any, warmup: int
) -> dict[str, Any]:
    for path in paths[:warmup]:
        client.get(path)
    times = []
    for path in paths:
        ms, status, body = client.get(path)
        if status != 200:
            raise api_bench.BenchError(f"{name}: {path} answered {status}: {body[:300]!r}")
        problem = check(body)
        if problem:
            raise api_bench.BenchError(f"{name}: {path}: {problem}")
        times.append(ms)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    row = {
        "scenario": name,
        "kind": kind,
        "requests": len(times),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(times[-1], 1),
        "target_ms": TARGETS_MS[kind],
    }
    row["met"] = row["p95_ms"] <= row["target_ms"]
    api_bench.log(f"  {name}: p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, max {row['max_ms']} ms")
    return row


def html(body: bytes) -> str:
    return "" if b"</html>" in body or b"<tr" in body or b"<a" in body else "no HTML in the answer"


def anything(_body: bytes) -> str:
    return ""


def scenarios(inputs: dict[str, Any], requests: int) -> list[tuple[str, str, list[str], Any, str]]:
    """(name, kind, paths, check, channel) — channel "api" (token), "web" (session) or "htmx" (session, asking
    for the results partial as the page's paging links do)."""
    out = []
    for label in ("common_tag", "rare_tag"):
        tag = inputs[label]
        cursors = (tag["cursors"] * (requests // max(1, len(tag["cursors"])) + 1))[:requests]
        api = [
            "/api/v1/contacts?" + urlencode({"tag": tag["id"], "ordering": "name", "limit": 50, "cursor": c})
            for c in cursors
        ]
        web = [
            "/contacts/?" + urlencode({"tag": tag["id"], "ordering": "name", "cursor": c}) for c in cursors
        ]
        # A cursor near the end of the list leaves fewer than 50 rows; those pages are still measured.
        out.append(
            (f"API list, {label.replace('_', ' ')} ({tag['count']:,}), by name", "list", api, anything, "api")
        )
        out.append((f"page list, {label.replace('_', ' ')}, by name", "list", web, html, "web"))
        # The page's own Next/Previous links fetch only the results with htmx.
        out.append((f"page list, {label.replace('_', ' ')}, next page (htmx)", "list", web, html, "htmx"))
    words = [w for lang in ("fa", "th", "en") for w in inputs["fragments"][lang]]
    words = (words * (requests // max(1, len(words)) + 1))[:requests]
    for lang in ("fa", "th", "en"):
        chosen = (inputs["fragments"][lang] * requests)[: max(10, requests // 3)]
        out.append(
            (
                f"API search, name fragment ({lang})",
                "search",
                ["/api/v1/contacts?" + urlencode({"search": w, "limit": 50}) for w in chosen],
                anything,
                "api",
            )
        )
    out.append(
        (
            "page list, search",
            "search",
            ["/contacts/?" + urlencode({"search": w}) for w in words],
            html,
            "web",
        )
    )
    out.append(
        ("top-bar search", "search", ["/search/?" + urlencode({"q": w}) for w in words], anything, "web")
    )
    ids = (inputs["contact_ids"] * requests)[:requests]
    out.append(("API contact detail", "detail", [f"/api/v1/contacts/{i}" for i in ids], anything, "api"))
    out.append(("contact page", "detail", [f"/contacts/{i}/" for i in ids], html, "web"))
    return out


def bench(db: str, args: argparse.Namespace) -> dict[str, Any]:
    keep = Path(args.keep).resolve() / db if args.keep else None
    if keep is None:
        data_dir = Path(tempfile.mkdtemp(prefix=f"peyvand-contacts-bench-{db}-"))
    else:
        data_dir = keep / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
    cluster = None
    server = None
    try:
        url = None
        if db == "postgres":
            cluster = api_bench.PostgresCluster(keep / "pg" if keep else None, settings=PG_SETTINGS)
            cluster.start()
            url = cluster.url
        env = api_bench.base_env(data_dir, url)
        if keep is not None:  # the same secret across runs, so kept sessions stay valid
            secret = keep / "secret"
            if not secret.exists():
                secret.write_text(env["PEYVAND_SECRET_KEY"])
            env["PEYVAND_SECRET_KEY"] = secret.read_text()
        marker = data_dir / "contacts-bench.json"
        state = json.loads(marker.read_text()) if marker.exists() else {}
        wanted = {"contacts": args.contacts, "companies": args.companies}
        if state.get("seeded") != wanted:
            if state:
                raise api_bench.BenchError(
                    f"{data_dir} holds another seed {state}; delete it or use another --keep"
                )
            token = api_bench.prepare_database(env, members=20)
            started = time.monotonic()
            api_bench.run(
                [
                    api_bench.PYTHON,
                    str(BENCH_DIR / "contacts_seed.py"),
                    "--email",
                    api_bench.OWNER_EMAIL,
                    "--workspace",
                    api_bench.WORKSPACE,
                    "--contacts",
                    str(args.contacts),
                    "--companies",
                    str(args.companies),
                ],
                env=env,
                timeout=6 * 3600,
                what="contacts_seed.py",
            )
            state = {"seeded": wanted, "token": token, "seed_seconds": round(time.monotonic() - started)}
            marker.write_text(json.dumps(state))
            api_bench.log(f"{db}: seeded in {state['seed_seconds']} s")
        inputs = json.loads(
            api_bench.run(
                [
                    api_bench.PYTHON,
                    "-c",
                    PICK_INPUTS,
                    api_bench.OWNER_EMAIL,
                    api_bench.WORKSPACE,
                    str(min(args.requests, 200)),
                ],
                env=env,
                timeout=1800,
                what="picking inputs",
            )
            .strip()
            .splitlines()[-1]
        )
        api_bench.log(
            f"{db}: {inputs['contacts']:,} contacts; common tag {inputs['common_tag']['count']:,}, "
            f"rare tag {inputs['rare_tag']['count']:,}"
        )
        server = api_bench.Server(env, workers=args.workers, threads=1)
        server.start()
        cookie = "{}={}".format(*inputs["session"])
        clients = {
            "api": Client(server.base, {"Authorization": f"Bearer {state['token']}"}),
            "web": Client(server.base, {"Cookie": cookie, "Accept-Language": "fa"}),
            "htmx": Client(
                server.base,
                {"Cookie": cookie, "Accept-Language": "fa", "HX-Request": "true", "HX-Target": "pv-results"},
            ),
        }
        rows = []
        plan = scenarios(inputs, args.requests)
        if args.warm:  # every request once before any is timed: the database's cache holds what they read
            for _name, _kind, paths, _check, channel in plan:
                for path in paths:
                    clients[channel].get(path)
        for name, kind, paths, check, channel in plan:
            rows.append(measure(clients[channel], name, kind, paths, check, warmup=min(10, len(paths))))
        for client in clients.values():
            client.close()
        server.stop()
        server = None
        view = (
            api_bench.run(
                [
                    api_bench.PYTHON,
                    "-c",
                    MAKE_VIEW,
                    api_bench.OWNER_EMAIL,
                    api_bench.WORKSPACE,
                    str(inputs["common_tag"]["id"]),
                ],
                env=env,
                what="saved view",
            )
            .strip()
            .splitlines()[-1]
        )
        export = {}
        for fmt in ("csv", "xlsx"):
            target = data_dir / f"export.{fmt}"
            started = time.monotonic()
            api_bench.run(
                [
                    api_bench.PYTHON,
                    "-m",
                    "peyvand.cli",
                    "export",
                    "contacts",
                    "--workspace",
                    api_bench.WORKSPACE,
                    "--view",
                    view,
                    "--format",
                    fmt,
                    "-o",
                    str(target),
                ],
                env=env,
                timeout=3600,
                what=f"peyvand export {fmt}",
            )
            seconds = time.monotonic() - started
            export[fmt] = {
                "rows": inputs["common_tag"]["count"],
                "seconds": round(seconds, 1),
                "mb": round(target.stat().st_size / 1e6, 1),
                "met": seconds * 100_000 / max(1, inputs["common_tag"]["count"]) <= EXPORT_TARGET_S,
            }
            target.unlink()
            api_bench.log(f"  export {fmt}: {export[fmt]['rows']:,} rows in {seconds:.1f} s")
        return {"db": db, "contacts": inputs["contacts"], "scenarios": rows, "export": export}
    finally:
        if server is not None:
            server.stop()
        if cluster is not None:
            cluster.stop()
        if keep is None:
            import shutil

            shutil.rmtree(data_dir, ignore_errors=True)


def print_report(results: list[dict[str, Any]]) -> None:
    for result in results:
        print(f"\n{result['db']}: {result['contacts']:,} contacts")
        print(f"{'scenario':52} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'target':>7}")
        for r in result["scenarios"]:
            mark = "ok" if r["met"] else "MISSED"
            print(
                f"{r['scenario']:52} {r['requests']:>4} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['max_ms']:>8} "
                f"{r['target_ms']:>5.0f}  {mark}"
            )
        for fmt, e in result["export"].items():
            mark = "ok" if e["met"] else "MISSED"
            print(f"export {fmt}: {e['rows']:,} rows in {e['seconds']} s ({e['mb']} MB)  {mark}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per scenario")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", help="keep the seeded databases under this directory and reuse them")
    parser.add_argument(
        "--warm",
        action="store_true",
        help="send every request once before timing any (a server whose cache holds the working set); "
        "without it the first scenarios also measure reading cold pages",
    )
    args = parser.parse_args(argv)
    api_bench.install_signal_handlers()
    results = []
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        result = bench(db, args)
        results.append(result)
        api_bench.RESULTS_DIR.mkdir(exist_ok=True)
        (api_bench.RESULTS_DIR / f"contacts-{db}.json").write_text(json.dumps(result, indent=2) + "\n")
    print_report(results)
    ok = all(r["met"] for result in results for r in result["scenarios"]) and all(
        e["met"] for result in results for e in result["export"].values()
    )
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.pop("DJANGO_SETTINGS_MODULE", None)
    sys.exit(main())
