#!/usr/bin/env python3
"""API benchmark: `peyvand serve` on SQLite and PostgreSQL, measured with wrk on 127.0.0.1.

For each database it makes a fresh data directory (and, for PostgreSQL, a throwaway cluster on a random
free port), migrates, creates an owner, seeds members, creates an API token, starts
`python -m peyvand.cli serve` on a random free port, warms up, and measures authenticated
`GET /api/v1/me` and `GET /api/v1/members?limit=50` with 1 and 8 concurrent connections.

    .venv/bin/python benchmarks/api_bench.py [--db sqlite|postgres|both] [--duration 10] [--clients 1,8]

It prints a table and writes the same figures to benchmarks/results/latest.json. Everything it starts
(the web server's process group, the PostgreSQL cluster, wrk) is stopped and its temporary directories
removed at the end, also on Ctrl-C, SIGTERM or failure. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import glob
import json
import os
import platform
import pwd
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
LUA_SCRIPT = BENCH_DIR / "wrk_report.lua"
SEED_SCRIPT = BENCH_DIR / "seed.py"
RESULTS_DIR = BENCH_DIR / "results"
PYTHON = sys.executable

OWNER_EMAIL = "owner@bench.peyvand.local"
WORKSPACE = "Peyvand Bench"
ENDPOINTS = {
    "me": "/api/v1/me",
    "members": "/api/v1/members?limit=50",
    "healthz": "/healthz",  # optional baseline: the middleware stack without the API, no auth, no query
}
TARGET_RPS = 1000.0
TARGET_P99_MS = 25.0
TARGET_CLIENTS = 8


class BenchError(Exception):
    """A failure to report as one line."""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def cpu_busy(seconds: float = 1.0) -> float:
    """Share of all CPUs busy over `seconds` (from /proc/stat), before the benchmark adds its own load:
    other programs on the machine skew every figure. -1 where /proc/stat is missing."""

    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return sum(fields[:8]), idle

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return -1.0
    total = total1 - total0
    return round(1 - (idle1 - idle0) / total, 3) if total > 0 else 0.0


def wait_for_idle(limit: float, threshold: float = 0.10) -> float:
    """Sample CPU use each second until it is under `threshold` or `limit` seconds have passed; return
    the last sample (one sample when limit is 0)."""
    deadline = time.monotonic() + limit
    busy = cpu_busy(1.0)
    while busy > threshold and time.monotonic() < deadline:
        busy = cpu_busy(1.0)
    return busy


def calibrate() -> float:
    """CPU milliseconds for a fixed pure-Python loop (best of 3): the speed of one core right now.

    A virtual machine can be slowed by its host (CPU credits, busy neighbours) without anything showing
    inside it; when this figure is well above its usual value the whole row is slower for the same reason.
    """
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        total = 0
        for i in range(300_000):
            total += i * i % 7
        best = min(best, time.process_time() - start)
    return round(best * 1000, 1)


def machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all CPUs since boot, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    total = sum(fields[:8])
    return total - fields[3] - (fields[4] if len(fields) > 4 else 0), total


def tree_ticks(roots: list[int]) -> int:
    """CPU clock ticks (user + system) used so far by the live processes `roots` and their descendants."""
    parent: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            text = Path(stat).read_text()
        except OSError:
            continue
        rest = text[text.rfind(")") + 2 :].split()
        pid = int(stat.split("/")[2])
        parent[pid] = int(rest[1])
        ticks[pid] = int(rest[11]) + int(rest[12])
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    seen: set[int] = set()
    todo = [r for r in roots if r in ticks]
    while todo:
        pid = todo.pop()
        if pid not in seen:
            seen.add(pid)
            todo.extend(children.get(pid, []))
    return sum(ticks[pid] for pid in seen)


class CpuMeter:
    """How the machine's CPU was shared during one wrk run: the web server (granian and its workers), the
    PostgreSQL cluster, wrk, and other programs. Shares are of the whole machine (all cores busy = 100%);
    SQLite runs inside the web server, so its work is in the server's share."""

    def __init__(self, server_pid: int | None, db_pid: int | None) -> None:
        self.roots = {"server": server_pid, "db": db_pid}
        self.available = Path("/proc/stat").exists()
        self.used: dict[str, int] = {}

    def _trees(self) -> dict[str, int]:
        return {name: tree_ticks([pid]) if pid else 0 for name, pid in self.roots.items()}

    def __enter__(self) -> CpuMeter:
        if self.available:
            self.busy0, self.total0 = machine_ticks()
            self.trees0 = self._trees()
            self.children0 = _children_ticks()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.available:
            busy1, total1 = machine_ticks()
            self.total = max(1, total1 - self.total0)
            self.busy = busy1 - self.busy0
            trees = self._trees()
            self.used = {name: trees[name] - self.trees0[name] for name in trees}
            self.used["wrk"] = _children_ticks() - self.children0

    def shares(self) -> dict[str, float | None]:
        if not self.available or not self.used:
            return {}
        others = max(0, self.busy - sum(self.used.values()))
        return {
            "cpu_server": round(self.used["server"] / self.total, 3),
            "cpu_db": round(self.used["db"] / self.total, 3) if self.roots["db"] else None,
            "cpu_wrk": round(self.used["wrk"] / self.total, 3),
            "cpu_others": round(others / self.total, 3),
            "cpu_idle": round(max(0, self.total - self.busy) / self.total, 3),
        }


def _children_ticks() -> int:
    """Ticks used by waited-for child processes (wrk, once it has exited)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return round((usage.ru_utime + usage.ru_stime) * os.sysconf("SC_CLK_TCK"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(cmd: list[str], *, env: dict[str, str] | None = None, timeout: float = 300, what: str = "") -> str:
    """Run a command to completion; on failure raise BenchError with the tail of its output."""
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"{what or cmd[0]} took longer than {timeout:.0f} s") from error
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
        raise BenchError(f"{what or ' '.join(cmd)} failed (exit {done.returncode}):\n  " + "\n  ".join(tail))
    return done.stdout


# ------------------------------------------------------------------ signals


def _raise_interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def install_signal_handlers() -> None:
    """SIGINT (even when inherited as ignored, e.g. started with `&`), SIGTERM and SIGHUP unwind like
    Ctrl-C, so every `finally` and ExitStack callback runs."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_interrupt)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C/SIGTERM while cleaning up, then deliver them."""
    pending: list[int] = []
    old = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    for sig in old:
        signal.signal(sig, lambda signum, _f: pending.append(signum))
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        if pending:
            raise KeyboardInterrupt(f"signal {pending[0]}")


# ------------------------------------------------------------------ PostgreSQL


def pg_bindir() -> Path:
    """Where initdb/pg_ctl live: on PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(os.path.realpath(found)).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3].split(".")[0])
    )
    if not candidates:
        raise BenchError(
            "PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql "
            "(or run with --db sqlite)"
        )
    return Path(candidates[-1]).parent


class PostgresCluster:
    """A throwaway cluster in a mktemp directory on a random loopback port.

    initdb/postgres refuse to run as root: as root, the server runs as the `postgres` system user
    (created if missing) through `runuser -u postgres --`.
    """

    def __init__(self, directory: Path | None = None, settings: str = "") -> None:
        """`directory`: keep the cluster there (created on first use, reused after, never removed) —
        for benchmarks whose seeding takes longer than their measuring. `settings`: more `-c name=value`
        server options (memory sized like a production server's, say)."""
        self.bindir = pg_bindir()
        self.settings = settings
        self.keep = directory is not None
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            self.dir = directory.resolve()
        else:
            self.dir = Path(tempfile.mkdtemp(prefix="peyvand-bench-pg-"))
        self.data = self.dir / "data"
        self.logfile = self.dir / "postgres.log"
        self.port = free_port()
        self.started = False
        self.as_root = os.geteuid() == 0
        if self.as_root:
            self._ensure_postgres_user()
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o700)

    @staticmethod
    def _ensure_postgres_user() -> None:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            log("creating the system user `postgres` (PostgreSQL refuses to run as root)")
            run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"],
                what="useradd postgres",
            )

    def _as_owner(self, cmd: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *cmd] if self.as_root else cmd

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/peyvand_bench"

    def start(self) -> None:
        t0 = time.monotonic()
        reuse = self.keep and (self.data / "PG_VERSION").exists()
        if not reuse:
            self._initdb()
        self._pg_ctl_start()
        if not reuse:
            self._create_database()
        log(f"PostgreSQL started on 127.0.0.1:{self.port} in {self.dir} ({time.monotonic() - t0:.1f} s)")

    def _initdb(self) -> None:
        run(
            self._as_owner(
                [
                    str(self.bindir / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ]
            ),
            what="initdb",
            timeout=120,
        )

    def _pg_ctl_start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        if self.settings:
            options = f"{options} {self.settings}"
        self.started = True  # from here on, stop() tries pg_ctl stop
        run(
            self._as_owner(
                [
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.logfile),
                    "-w",
                    "-t",
                    "60",
                    "start",
                    "-o",
                    options,
                ]
            ),
            what="pg_ctl start",
            timeout=90,
        )

    def _create_database(self) -> None:
        import psycopg  # the project's driver; imported here so --db sqlite works without it

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="template1", autocommit=True
        ) as conn:
            for extension in ("pg_trgm", "unaccent", "btree_gin"):
                try:
                    conn.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
                except psycopg.Error as error:  # contrib missing: the schema may not need it
                    log(f"warning: CREATE EXTENSION {extension} failed: {error}".strip())
            conn.execute("CREATE DATABASE peyvand_bench")

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def server_version(self) -> str:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres") as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"

    def stop(self) -> None:
        """`pg_ctl -m fast stop`, then (and only then) remove the directory. Never raises."""
        try:
            if self.started and (self.data / "postmaster.pid").exists():
                try:
                    run(
                        self._as_owner(
                            [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]
                        ),
                        what="pg_ctl stop",
                        timeout=60,
                    )
                    log("PostgreSQL stopped")
                except BenchError as error:
                    log(f"warning: {error}")
                    self._kill_postmaster()
        finally:
            if (self.data / "postmaster.pid").exists():
                log(f"warning: PostgreSQL may still be running; left {self.dir} in place")
            elif not self.keep:
                shutil.rmtree(self.dir, ignore_errors=True)

    def _kill_postmaster(self) -> None:
        """Last resort: SIGQUIT (immediate shutdown) to the postmaster this cluster's pid file names."""
        try:
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
            os.kill(pid, signal.SIGQUIT)
            for _ in range(50):
                time.sleep(0.1)
                os.kill(pid, 0)
        except (OSError, ValueError, IndexError):
            pass


# ------------------------------------------------------------------ the Peyvand server


def base_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PEYVAND_") and k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        {
            "PEYVAND_DATA_DIR": str(data_dir),
            "PEYVAND_SECRET_KEY": secrets.token_urlsafe(48),
            "PEYVAND_ALLOWED_HOSTS": "127.0.0.1",
            "PEYVAND_LOG_LEVEL": "WARNING",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def prepare_database(env: dict[str, str], members: int) -> str:
    """Migrate, create the owner, seed members and teams, create a token. Returns the raw token."""
    cli = [PYTHON, "-m", "peyvand.cli"]
    t0 = time.monotonic()
    run([*cli, "migrate", "-v", "0"], env=env, what="peyvand migrate")
    password = secrets.token_urlsafe(18)
    run(
        [*cli, "createadmin", "--email", OWNER_EMAIL, "--password", password, "--workspace", WORKSPACE],
        env=env,
        what="peyvand createadmin",
    )
    seeded = run(
        [
            PYTHON,
            str(SEED_SCRIPT),
            "--email",
            OWNER_EMAIL,
            "--workspace",
            WORKSPACE,
            "--members",
            str(members),
        ],
        env=env,
        what="benchmarks/seed.py",
    )
    log(seeded.strip())
    out = run(
        [*cli, "token", "create", "--email", OWNER_EMAIL, "--name", "bench"], env=env, what="token create"
    )
    token = out.strip().splitlines()[-1].strip() if out.strip() else ""
    if not token.startswith("pvk_"):
        raise BenchError(f"`peyvand token create` printed no token: {out!r}")
    log(f"database ready in {time.monotonic() - t0:.1f} s")
    return token


class Server:
    """`python -m peyvand.cli serve` (granian) in its own process group, so stopping it stops exactly
    the master and the workers it forked, nothing else."""

    def __init__(self, env: dict[str, str], workers: int, threads: int) -> None:
        self.env = env
        self.workers = workers
        self.threads = threads
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.logfile = Path(env["PEYVAND_DATA_DIR"]) / f"serve-{self.port}.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self, timeout: float = 90) -> None:
        cmd = [
            PYTHON,
            "-m",
            "peyvand.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
        ]
        with open(self.logfile, "wb") as out:
            self.proc = subprocess.Popen(
                cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise BenchError(f"`peyvand serve` exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        log(
                            f"server up on {self.base} (workers={self.workers}, threads={self.threads}) "
                            f"after {time.monotonic() - t0:.1f} s"
                        )
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.2)
        raise BenchError(f"no answer from {self.base}/healthz within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").strip().splitlines()[-20:])
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM to our process group, SIGKILL after 10 s. Never raises."""
        proc = self.proc
        if proc is None:
            return
        self.proc = None
        try:
            pgid = os.getpgid(proc.pid)
        except ProcessLookupError:
            pgid = None
        if pgid is not None and pgid == proc.pid:  # start_new_session: the group is ours alone
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGTERM)
        elif proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            if pgid is not None and pgid == proc.pid:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pgid, signal.SIGKILL)
            else:
                proc.kill()
            proc.wait(5)
        # the forked workers may outlive the master by a moment; make sure the group is gone
        if pgid is not None and pgid == proc.pid:
            for _ in range(50):
                try:
                    os.killpg(pgid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            else:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pgid, signal.SIGKILL)


def check_endpoint(base: str, path: str, token: str) -> dict[str, Any]:
    """One request first: a benchmark of 401s or 500s would measure nothing useful."""
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
    except urllib.error.HTTPError as error:
        raise BenchError(f"GET {path} answered {error.code}: {error.read()[:300]!r}") from error
    if path.startswith("/api/"):
        data = json.loads(body)
        if "items" in data:
            return {"items": len(data["items"]), "bytes": len(body)}
    return {"bytes": len(body)}


# ------------------------------------------------------------------ wrk

RESULT_LINE = re.compile(r"^BENCH_RESULT (\{.*\})\s*$", re.MULTILINE)


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if not wrk:
        print(
            "api_bench: error: the load generator `wrk` is not installed.\n"
            "  Install it with:  apt-get install wrk   (Debian/Ubuntu; needs root or sudo)",
            file=sys.stderr,
        )
        sys.exit(2)
    return wrk


def run_wrk(
    wrk: str, url: str, token: str, clients: int, duration: float, wrk_threads: int
) -> dict[str, Any]:
    threads = max(1, min(wrk_threads, clients))
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{clients}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "5s",
        "-s",
        str(LUA_SCRIPT),
        url,
    ]
    env = {**os.environ, "BENCH_TOKEN": token}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=duration + 30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    match = RESULT_LINE.search(out)
    if proc.returncode != 0 or not match:
        raise BenchError(f"wrk failed (exit {proc.returncode}): {(err or out).strip()[-500:]}")
    return dict(json.loads(match.group(1)))


# ------------------------------------------------------------------ one database


def bench_database(
    db: str, args: argparse.Namespace, wrk: str, stack: contextlib.ExitStack
) -> list[dict[str, Any]]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"peyvand-bench-{db}-"))
    stack.callback(shutil.rmtree, data_dir, ignore_errors=True)
    database_url = None
    db_version = ""
    cluster: PostgresCluster | None = None
    if db == "postgres":
        cluster = PostgresCluster()
        stack.callback(cluster.stop)
        cluster.start()
        database_url = cluster.url
        db_version = f"PostgreSQL {cluster.server_version()}"
    else:
        import sqlite3

        db_version = f"SQLite {sqlite3.sqlite_version}"
    env = base_env(data_dir, database_url)
    log(f"{db}: preparing {db_version} in {data_dir}")
    token = prepare_database(env, args.members)

    rows: list[dict[str, Any]] = []
    for workers in args.workers:
        for threads in args.threads:
            server = Server(env, workers, threads)
            try:
                server.start()
                for name in args.endpoints:
                    info = check_endpoint(server.base, ENDPOINTS[name], token)
                    if name == "members" and info.get("items") != 50:
                        log(f"warning: members page has {info.get('items')} items, expected 50")
                # warm up: imports, connections, caches, every worker (wrk spreads over connections)
                if args.warmup > 0:
                    for name in args.endpoints:
                        run_wrk(
                            wrk,
                            server.base + ENDPOINTS[name],
                            token,
                            max(args.clients),
                            args.warmup,
                            args.wrk_threads,
                        )
                for name in args.endpoints:
                    for clients in args.clients:
                        busy = wait_for_idle(args.wait_idle)
                        calib = calibrate()
                        db_pid = cluster.postmaster_pid() if cluster else None
                        with CpuMeter(server.pid, db_pid) as meter:
                            result = run_wrk(
                                wrk,
                                server.base + ENDPOINTS[name],
                                token,
                                clients,
                                args.duration,
                                args.wrk_threads,
                            )
                        shares = meter.shares()
                        if (shares.get("cpu_others") or 0) > 0.05:
                            log(
                                f"warning: other programs used {shares['cpu_others']:.0%} of the CPU "
                                "during this run; figures are low"
                            )
                        row = {
                            "db": db,
                            "endpoint": name,
                            "path": ENDPOINTS[name],
                            "clients": clients,
                            "workers": workers,
                            "threads": threads,
                            "requests": result["requests"],
                            "duration_s": round(result["duration_us"] / 1e6, 3),
                            "rps": round(result["rps"], 1),
                            "p50_ms": round(result["p50_ms"], 2),
                            "p90_ms": round(result["p90_ms"], 2),
                            "p95_ms": round(result["p95_ms"], 2),
                            "p99_ms": round(result["p99_ms"], 2),
                            "max_ms": round(result["max_ms"], 2),
                            "mean_ms": round(result["mean_ms"], 2),
                            "non_2xx": result["non_2xx"],
                            "socket_errors": result["socket_errors"],
                            "timeouts": result["timeouts"],
                            "db_version": db_version,
                            "cpu_busy_before": busy,
                            "calib_ms": calib,
                            **shares,
                        }
                        rows.append(row)
                        log(
                            f"{db} {name:8s} c={clients:<2d} w={workers} t={threads}: "
                            f"{row['rps']:8.1f} req/s  "
                            f"p50 {row['p50_ms']:.2f}  p95 {row['p95_ms']:.2f}  p99 {row['p99_ms']:.2f} ms  "
                            f"non-2xx {row['non_2xx']}  calib {calib:.1f} ms  "
                            "CPU "
                            + "  ".join(
                                f"{k[4:]} {v:.0%}"
                                for k, v in shares.items()
                                if v is not None and k != "cpu_idle"
                            )
                        )
            finally:
                with signals_deferred():
                    server.stop()
    return rows


# ------------------------------------------------------------------ output


def print_table(rows: list[dict[str, Any]], show_config: bool) -> None:
    headers = ["db", "endpoint", "clients"]
    if show_config:
        headers += ["workers", "threads"]
    headers += [
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "non-2xx",
        "app CPU",
        "db CPU",
        "others CPU",
        "calib ms",
    ]
    keys = ["db", "endpoint", "clients"] + (["workers", "threads"] if show_config else [])
    keys += ["rps", "p50_ms", "p95_ms", "p99_ms", "non_2xx", "cpu_server", "cpu_db", "cpu_others", "calib_ms"]

    def cell(key: str, value: Any) -> str:
        if key == "rps":
            return f"{value:.1f}"
        if key == "calib_ms":
            return f"{value:.1f}"
        if key.endswith("_ms"):
            return f"{value:.2f}"
        if key.startswith("cpu_"):
            return f"{value:.0%}" if value is not None and value >= 0 else "-"
        return str(value)

    table = [headers] + [[cell(k, r.get(k)) for k in keys] for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(headers))]
    numeric = [False, False] + [True] * (len(headers) - 2)
    for index, row in enumerate(table):
        cells = [
            c.rjust(w) if numeric[i] else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())
        if index == 0:
            print("  ".join("-" * w for w in widths))


def target_verdicts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    verdicts = []
    for r in rows:
        if r["endpoint"] == "me" and r["clients"] == TARGET_CLIENTS:
            ok = r["rps"] >= TARGET_RPS and r["p99_ms"] <= TARGET_P99_MS and r["non_2xx"] == 0
            verdicts.append(
                {
                    "db": r["db"],
                    "workers": r["workers"],
                    "threads": r["threads"],
                    "rps": r["rps"],
                    "p99_ms": r["p99_ms"],
                    "met": ok,
                    "cpu_others": r.get("cpu_others"),
                }
            )
    return verdicts


def tool_version(cmd: list[str]) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=False)
        return (done.stdout or done.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


def parse_list(value: str, cast: Any = int) -> list[Any]:
    items = [cast(v.strip()) for v in value.split(",") if v.strip()]
    if not items:
        raise argparse.ArgumentTypeError("give at least one value")
    return items


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Benchmark `peyvand serve` (GET /api/v1/me and /api/v1/members) with wrk on 127.0.0.1."
    )
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--duration", type=float, default=10, help="seconds per measurement (default 10)")
    parser.add_argument(
        "--clients", type=parse_list, default=[1, 8], help="concurrent connections (default 1,8)"
    )
    parser.add_argument(
        "--endpoints",
        type=lambda v: parse_list(v, str),
        default=["me", "members"],
        help=f"comma list of {', '.join(ENDPOINTS)} (default me,members; healthz is a no-auth baseline)",
    )
    parser.add_argument(
        "--workers", type=parse_list, default=[2], help="granian workers; a list runs each (default 2)"
    )
    parser.add_argument(
        "--threads", type=parse_list, default=[1], help="threads per worker; a list runs each (default 1)"
    )
    parser.add_argument(
        "--wrk-threads", type=int, default=1, help="wrk threads (default 1: leaves a core to the server)"
    )
    parser.add_argument("--warmup", type=float, default=3, help="warm-up seconds per endpoint (default 3)")
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0,
        help="before each row, wait up to this many seconds for other programs to leave the CPU idle",
    )
    parser.add_argument("--members", type=int, default=200, help="members to seed (default 200)")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "latest.json")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if `me` at 8 clients misses ≥1000 req/s or p99 ≤ 25 ms"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    unknown = [e for e in args.endpoints if e not in ENDPOINTS]
    if unknown:
        print(f"api_bench: error: unknown endpoint(s) {', '.join(unknown)}", file=sys.stderr)
        return 2
    if args.members < 50:
        print("api_bench: error: --members must be at least 50 (the list endpoint reads 50)", file=sys.stderr)
        return 2
    if args.duration < 1 or args.duration > 600 or max(args.clients) > 256 or min(args.clients) < 1:
        print("api_bench: error: --duration must be 1..600 s and --clients 1..256", file=sys.stderr)
        return 2
    wrk = require_wrk()
    install_signal_handlers()
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    rows: list[dict[str, Any]] = []
    started = datetime.datetime.now(datetime.UTC)
    try:
        for db in databases:
            with contextlib.ExitStack() as stack:
                try:
                    rows += bench_database(db, args, wrk, stack)
                finally:
                    with signals_deferred():
                        stack.close()
    except KeyboardInterrupt:
        print("\napi_bench: interrupted; everything started was stopped.", file=sys.stderr)
        return 130
    except BenchError as error:
        print(f"api_bench: error: {error}", file=sys.stderr)
        return 1

    show_config = len(args.workers) > 1 or len(args.threads) > 1
    print()
    print(
        f"Peyvand API benchmark — {os.cpu_count()} CPUs, wrk -t{args.wrk_threads}, "
        f"{args.duration:g} s per row, "
        f"workers {','.join(map(str, args.workers))}, threads {','.join(map(str, args.threads))}, "
        f"{args.members} seeded members"
    )
    print_table(rows, show_config)
    verdicts = target_verdicts(rows)
    if verdicts:
        print()
        print(
            f"Target for `me` at {TARGET_CLIENTS} clients: "
            f"≥ {TARGET_RPS:.0f} req/s and p99 ≤ {TARGET_P99_MS:.0f} ms"
        )
        for v in verdicts:
            config = f" (workers {v['workers']}, threads {v['threads']})" if show_config else ""
            others = v.get("cpu_others") or 0
            note = f" (other programs used {others:.0%} of the CPU: re-run)" if others > 0.05 else ""
            print(
                f"  {v['db']:8s}{config}: {v['rps']:.0f} req/s, p99 {v['p99_ms']:.1f} ms → "
                f"{'met' if v['met'] else 'MISSED'}{note}"
            )

    git = (
        run(["git", "-C", str(PROJECT_DIR), "rev-parse", "--short", "HEAD"], timeout=10)
        if shutil.which("git")
        else ""
    )
    report = {
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "git_commit": git.strip(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "granian": tool_version([PYTHON, "-m", "granian", "--version"]),
            "wrk": tool_version([wrk, "--version"]),
        },
        "settings": {
            "databases": databases,
            "duration_s": args.duration,
            "clients": args.clients,
            "endpoints": {name: ENDPOINTS[name] for name in args.endpoints},
            "workers": args.workers,
            "threads": args.threads,
            "wrk_threads": args.wrk_threads,
            "warmup_s": args.warmup,
            "seeded_members": args.members,
            "wait_idle_s": args.wait_idle,
        },
        "target": {
            "endpoint": "me",
            "clients": TARGET_CLIENTS,
            "min_rps": TARGET_RPS,
            "max_p99_ms": TARGET_P99_MS,
        },
        "verdicts": verdicts,
        "results": rows,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nWrote {args.output}")
    if args.check and not all(v["met"] for v in verdicts):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
