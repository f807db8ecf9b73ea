"""The `peyvand` command: demo, serve, worker, migrate, createadmin, token, import, export, check.

Each sub-command has --help; every failure is one clear line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

SETTINGS = "peyvand.config.settings"


class CliError(Exception):
    """A refusal to print as one line."""


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    import django

    django.setup()


def _port(value: str | None) -> int:
    raw = value or os.environ.get("PEYVAND_PORT") or "8000"
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise CliError(f"port must be a number from 1 to 65535, not {raw!r}")
    return int(raw)


def _call(name: str, *args: str, **options: Any) -> None:
    from django.core.management import call_command

    call_command(name, *args, **options)


# ------------------------------------------------------------------ commands


def cmd_migrate(args: argparse.Namespace) -> None:
    _setup()
    _call("migrate", interactive=False, verbosity=args.verbosity)
    from peyvand.accounts.services import roles_sync_all

    roles_sync_all()


def cmd_check(args: argparse.Namespace) -> None:
    """Django's deployment checks with production settings (PEYVAND_ENV=production)."""
    os.environ["PEYVAND_ENV"] = "production"
    _setup()
    from django.core.management import call_command

    call_command("check", deploy=True, fail_level="WARNING")


def cmd_createadmin(args: argparse.Namespace) -> None:
    _setup()
    from peyvand.accounts.services import admin_create
    from peyvand.core.context import Channel, acting_through

    with acting_through(Channel.SYSTEM):
        member, created = admin_create(
            email=args.email, password=args.password, workspace_name=args.workspace
        )
    state = "created" if created else "existing"
    workspace = member.workspace
    print(f"{member.user.email} is an owner of the {state} workspace “{workspace.name}” (id {workspace.pk}).")


def cmd_token_create(args: argparse.Namespace) -> None:
    _setup()
    from peyvand.accounts.models import Membership
    from peyvand.accounts.services import token_create
    from peyvand.core.context import Channel, acting_through

    memberships = Membership.objects.select_related("workspace").filter(
        user__email__iexact=args.email, is_active=True
    )
    if args.workspace:
        memberships = (
            memberships.filter(workspace__name=args.workspace)
            if not args.workspace.isdigit()
            else memberships.filter(workspace_id=int(args.workspace))
        )
    found = list(memberships[:2])
    if not found:
        raise CliError(
            f"no active member {args.email}" + (f" in workspace {args.workspace!r}" if args.workspace else "")
        )
    if len(found) > 1:
        raise CliError(f"{args.email} belongs to several workspaces: choose one with --workspace")
    with acting_through(Channel.SYSTEM):
        _token, raw = token_create(actor=found[0], name=args.name)
    print(raw)


def _acting_member(workspace: str, email: str | None) -> Any:
    """The member a command acts as: `email`'s membership, or the workspace's first active owner."""
    from peyvand.accounts.models import Membership

    members = Membership.objects.select_related("workspace", "user", "role").filter(is_active=True)
    members = (
        members.filter(workspace_id=int(workspace))
        if workspace.isdigit()
        else members.filter(workspace__name=workspace)
    )
    if not members.exists():
        raise CliError(f"no workspace {workspace!r} with active members")
    if email:
        member = members.filter(user__email__iexact=email).first()
        if member is None:
            raise CliError(f"{email} is not an active member of {workspace!r}")
        return member
    owner = members.filter(role__key="owner").order_by("pk").first()
    if owner is None:
        raise CliError(f"workspace {workspace!r} has no active owner: name a member with --as")
    return owner


def cmd_import(args: argparse.Namespace) -> None:
    """Import a CSV, XLSX or vCard file now, in this process, printing progress; exit 1 if it failed."""
    _setup()
    from pathlib import Path

    from peyvand.contacts.importing import jobs
    from peyvand.contacts.models import ImportMapping
    from peyvand.core.context import Channel, acting_through
    from peyvand.core.errors import DomainError

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"no such file: {path}")
    entity = {"contacts": "contact", "companies": "company"}[args.entity]
    actor = _acting_member(args.workspace, args.as_email)
    try:
        with acting_through(Channel.IMPORT):
            job = jobs.import_job_from_path(actor=actor, entity=entity, path=path)
            column_map = None
            if args.mapping:
                saved = ImportMapping.objects.filter(
                    workspace_id=actor.workspace_id, entity=entity, name=args.mapping
                ).first()
                if saved is None:
                    raise CliError(f"no saved mapping {args.mapping!r} for {args.entity}")
                column_map = saved.mapping
            jobs.import_job_configure(actor=actor, job=job, column_map=column_map, policy=args.policy)
            jobs.import_job_start(actor=actor, job=job, run_now=True)
        print(f"Importing {path.name} into {actor.workspace.name} as {actor.user.email} (job {job.pk})…")
        job = jobs.import_run(job.pk)
    except DomainError as error:
        details = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in (error.fields or {}).items())
        raise CliError(details or str(error.message)) from error
    print(
        f"{job.status}: {job.processed_rows} rows, {job.created_count} created, {job.updated_count} updated, "
        f"{job.skipped_count} skipped, {job.error_count} with problems"
    )
    if job.error_count or jobs.errors_file(job).stat().st_size > 100:
        print(f"Report: {jobs.errors_file(job)}")
    if job.status != "done":
        raise CliError(job.last_error or "the import did not finish")


def cmd_export(args: argparse.Namespace) -> None:
    """Export a workspace's contacts or companies (all of them, or a saved view's) to a file, as its owner
    or as the member named by --as (whose role then decides which rows and fields are exported)."""
    _setup()
    from peyvand.contacts.exporting import export_start
    from peyvand.core.context import Channel, acting_through

    entity = "contact" if args.entity == "contacts" else "company"
    if entity == "company" and args.format == "vcf":
        raise CliError("vCard holds people: export companies as csv or xlsx")
    member = _acting_member(args.workspace, args.as_email)
    to_stdout = args.output == "-"
    output = Path(args.output)
    if not to_stdout and not output.parent.is_dir():
        raise CliError(f"no such directory: {output.parent}")
    with acting_through(Channel.SYSTEM):
        export = export_start(member=member, entity=entity, format=args.format, view_id=args.view)
        if to_stdout:
            written = export.write(sys.stdout.buffer)
            sys.stdout.flush()
        else:
            # Written beside the target and renamed at the end, so a failed export leaves no half file.
            part = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, renamed into place
                dir=output.parent, prefix=f".{output.name}.", delete=False
            )
            with part:
                try:
                    written = export.write(part)
                except BaseException:
                    Path(part.name).unlink(missing_ok=True)
                    raise
            os.replace(part.name, output)
    where = "standard output" if to_stdout else str(output)
    print(f"{written} {args.entity} written to {where}", file=sys.stderr if to_stdout else sys.stdout)


def cmd_worker(args: argparse.Namespace) -> None:
    _setup()
    from peyvand.core.tasks import dispatch_events_task, schedule_housekeeping

    dispatch_events_task.enqueue()  # sweep events left undispatched by a crash or a lost enqueue
    schedule_housekeeping()
    _call("db_worker", "--no-reload", interval=args.interval)


def granian_command(port: int, host: str, workers: int, threads: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        "--no-access-log",
        "--log-level",
        "warning",
        "peyvand.config.wsgi:application",
    ]


def _collectstatic_if_needed() -> None:
    from django.conf import settings

    if not (settings.STATIC_ROOT / "vendor").exists():
        _call("collectstatic", interactive=False, verbosity=0)


def cmd_serve(args: argparse.Namespace) -> None:
    """A production web server (granian, WSGI). Workers: --workers or PEYVAND_WEB_WORKERS."""
    _setup()
    _collectstatic_if_needed()
    workers = args.workers or int(os.environ.get("PEYVAND_WEB_WORKERS", "0") or 0) or (os.cpu_count() or 1)
    threads = args.threads or int(os.environ.get("PEYVAND_WEB_THREADS", "1"))
    command = granian_command(_port(args.port), args.host, workers, threads)
    os.execv(sys.executable, command)  # noqa: S606 - replace this process with the server


def cmd_demo(args: argparse.Namespace) -> None:
    """Migrate, load demo data (once), then run the web server and the task worker until Ctrl-C."""
    _setup()
    from django.conf import settings

    from peyvand.accounts.demo import demo_load

    port = _port(args.port)
    print(f"Data directory: {settings.DATA_DIR}")
    _call("migrate", interactive=False, verbosity=0)
    from peyvand.accounts.services import roles_sync_all

    roles_sync_all()
    _collectstatic_if_needed()
    credentials = demo_load()
    from peyvand.contacts.demo import demo_contacts_for

    made = demo_contacts_for(credentials["email"])
    if made:
        print(f"Demo customers: {made} contacts added")
    # Ctrl-C must work even if we were started with SIGINT ignored (e.g. from a script): a Python handler
    # here also means the children start with the default action instead of inheriting "ignore".
    signal.signal(signal.SIGINT, signal.default_int_handler)
    env = {**os.environ, "PEYVAND_PORT": str(port), "PEYVAND_SITE_URL": f"http://127.0.0.1:{port}"}
    web = subprocess.Popen(granian_command(port, "127.0.0.1", 1, 4), env=env)  # noqa: S603
    worker = subprocess.Popen([sys.executable, "-m", "peyvand.cli", "worker"], env=env)
    children = [web, worker]
    print()
    print(f"  Peyvand is running at http://127.0.0.1:{port}/")
    print(f"  E-mail:   {credentials['email']}")
    print(f"  Password: {credentials['password']}")
    print("  Press Ctrl-C to stop.")
    print(flush=True)

    def stop(*_args: Any) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()

    def terminate(*_args: Any) -> None:
        stop()
        sys.exit(0)

    signal.signal(signal.SIGTERM, terminate)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        failed = [c for c in children if c.poll() not in (None, 0)]
        stop()
        if failed:
            raise CliError("the web server or the worker stopped unexpectedly (see above)")
    except KeyboardInterrupt:
        stop()
        print("\nStopped.")


# ------------------------------------------------------------------ parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="peyvand", description="Peyvand — a self-hosted CRM.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = sub.add_parser(
        "demo",
        help="run Peyvand with demo data (web server + worker)",
        description="Migrate the database, load demo data once, and run the web server and the "
        "task worker on 127.0.0.1 until Ctrl-C. Honours PEYVAND_PORT and "
        "PEYVAND_DATA_DIR.",
    )
    demo.add_argument("--port", help="port to listen on (default: PEYVAND_PORT or 8000)")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser(
        "serve",
        help="run the production web server (granian)",
        description="Serve the web UI and API with granian (WSGI).",
    )
    serve.add_argument("--host", default=os.environ.get("PEYVAND_HOST", "127.0.0.1"))
    serve.add_argument("--port", help="port (default: PEYVAND_PORT or 8000)")
    serve.add_argument(
        "--workers", type=int, help="worker processes (default: PEYVAND_WEB_WORKERS or CPU count)"
    )
    serve.add_argument("--threads", type=int, help="threads per worker (default: PEYVAND_WEB_THREADS or 1)")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser(
        "worker",
        help="run the background task worker",
        description="Run background tasks (events, e-mail, imports) from the database queue.",
    )
    worker.add_argument("--interval", type=float, default=1.0, help="seconds between polls (default 1)")
    worker.set_defaults(func=cmd_worker)

    migrate = sub.add_parser(
        "migrate",
        help="create or upgrade the database schema",
        description="Apply database migrations (SQLite by default, DATABASE_URL otherwise).",
    )
    migrate.add_argument("-v", "--verbosity", type=int, default=1, choices=[0, 1, 2, 3])
    migrate.set_defaults(func=cmd_migrate)

    admin = sub.add_parser(
        "createadmin",
        help="create an owner account (and the workspace if missing)",
        description="Create or update a user and make them an owner of the workspace, which "
        "is created if it does not exist.",
    )
    admin.add_argument("--email", required=True)
    admin.add_argument("--password", required=True)
    admin.add_argument("--workspace", required=True, help="workspace name")
    admin.set_defaults(func=cmd_createadmin)

    token = sub.add_parser("token", help="manage API tokens", description="Manage personal API tokens.")
    token_sub = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    create = token_sub.add_parser(
        "create",
        help="create a token and print it once",
        description="Create a personal API token for a member and print it (only once).",
    )
    create.add_argument("--email", required=True)
    create.add_argument("--workspace", help="workspace name or id (needed if the user is in several)")
    create.add_argument("--name", default="cli", help="a name to recognise the token by (default: cli)")
    create.set_defaults(func=cmd_token_create)

    importer = sub.add_parser(
        "import",
        help="import contacts or companies from a CSV, XLSX or vCard file",
        description="Import a file now (no worker needed). Columns are mapped automatically, or by a "
        "mapping saved in the web UI (--mapping). Rows matching an existing record (same ID in the other "
        "system, e-mail or phone) are skipped unless --policy says otherwise; importing the same file "
        "again creates nothing new.",
    )
    importer.add_argument("entity", choices=["contacts", "companies"])
    importer.add_argument("file")
    importer.add_argument("--workspace", required=True, help="workspace name or id")
    importer.add_argument("--as", dest="as_email", help="member e-mail to act as (default: the owner)")
    importer.add_argument("--mapping", help="name of a saved column mapping")
    importer.add_argument("--policy", choices=["skip", "update", "create"], default="skip")
    importer.set_defaults(func=cmd_import)

    export = sub.add_parser(
        "export",
        help="export contacts or companies to a CSV, XLSX or vCard file",
        description="Export a workspace's contacts or companies (all, or a saved view's) to a file. Acts as "
        "the workspace owner, or as the member named by --as, whose role then decides which rows "
        "and fields are exported. Dates are written as YYYY-MM-DD.",
    )
    export.add_argument("entity", choices=["contacts", "companies"])
    export.add_argument("--workspace", required=True, help="workspace name or id")
    export.add_argument("--view", type=int, help="id of a saved view whose filters and columns apply")
    export.add_argument("--as", dest="as_email", metavar="EMAIL", help="export as this member")
    export.add_argument("--format", required=True, choices=["csv", "xlsx", "vcf"])
    export.add_argument("-o", "--output", required=True, metavar="FILE", help="file to write (- for stdout)")
    export.set_defaults(func=cmd_export)

    check = sub.add_parser(
        "check",
        help="run Django's deployment checks with production settings",
        description="Run Django's deployment checks with PEYVAND_ENV=production.",
    )
    check.set_defaults(func=cmd_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], None] = args.func
    try:
        func(args)
    except CliError as error:
        print(f"peyvand: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # a domain refusal or a setup problem: one line, not a traceback
        from peyvand.core.errors import DomainError

        if isinstance(error, DomainError):
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.fields.items()) or error.message
            print(f"peyvand: error: {detail}", file=sys.stderr)
            return 1
        name = type(error).__name__
        if name in {"CommandError", "SystemCheckError", "OperationalError", "ImproperlyConfigured"}:
            print(
                f"peyvand: error: {str(error).strip().splitlines()[0] if str(error).strip() else name}",
                file=sys.stderr,
            )
            if name == "SystemCheckError":
                print(str(error), file=sys.stderr)
            return 1
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
