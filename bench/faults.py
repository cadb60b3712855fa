"""Faults, each one command: the database restarted under load, the mail server down.

``postgres-restart`` starts a throwaway PostgreSQL cluster of its own (``initdb`` as the
``postgres`` system user, on ``--pg-port``; the machine's own PostgreSQL is never
touched), a production server on it, and load on a database-backed page and, with the
licensing API, on the activate/deactivate cycle. Midway the cluster is stopped for
``--outage`` seconds and started again. It reports what clients got during the outage
(a 503 with ``Retry-After``, JSON under ``/api/``; never a 500), how long the platform took
to answer normally again without being restarted, and whether any activation lacks its
event (a partial write).

``mail-down`` queues email while the mail server is unreachable, lets the workers fail
and back off, then starts the mail server and checks that every message arrives once.

    .venv/bin/python -m bench.faults postgres-restart [--pg-port 8254] [--outage 5]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kalytera_bench .venv/bin/python -m bench.faults mail-down

Loopback only; everything it starts is stopped, and the throwaway cluster deleted.
"""

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from bench.common import (
    PROXY,
    PYTHON,
    RELAXED_LIMITS,
    ROOT,
    Server,
    drive,
    production_env,
    request,
    set_up_here,
)

PG_BIN = Path("/usr/lib/postgresql/15/bin")


class Cluster:
    """A PostgreSQL cluster in a temporary directory, run by the ``postgres`` system user."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="kalytera-fault-pg-"))
        self.data = self.root / "data"

    def _pg(self, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True)

    def init(self) -> "Cluster":
        if os.geteuid() != 0 or shutil.which("runuser") is None or not (PG_BIN / "initdb").exists():
            raise SystemExit(
                "Needs root (to run PostgreSQL 15 as the postgres user) and /usr/lib/postgresql/15."
            )
        self.root.chmod(0o755)
        shutil.chown(self.root, "postgres", "postgres")
        self._pg(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                 "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        return self.start()

    def start(self) -> "Cluster":
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off"
        self._pg(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log.txt"), "-w",
                 "-o", options, "start")  # fmt: skip
        return self

    def stop(self) -> None:
        self._pg(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"


def classify(status: int, headers: list[tuple[str, str]], body: bytes) -> str:
    header = {key.lower(): value for key, value in headers}
    if status == 503:
        clean = "retry-after" in header and (b"UNAVAILABLE" in body or b"Briefly unavailable" in body)
        return "503 clean" if clean else "503 other"
    return str(status)


def postgres_restart(args: argparse.Namespace) -> None:
    cluster = Cluster(args.pg_port).init()
    workdir = tempfile.mkdtemp(prefix="kalytera-fault-")
    try:
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(args.pg_port), "-U", "postgres", "-q", "-c",
                        "CREATE DATABASE kalytera_fault"], check=True, capture_output=True)  # fmt: skip
        env = production_env(
            workdir,
            DATABASE_URL=cluster.url("kalytera_fault"),
            **RELAXED_LIMITS,
        )
        set_up_here(env)
        from bench import seed

        data = seed.probe(10)
        server_log = Path(workdir) / "server.log"
        with Server(env, workers=2, log=server_log) as server:
            phase = {"name": "before"}
            outcomes: dict[str, Counter] = {"before": Counter(), "outage": Counter(), "after": Counter()}
            lock = threading.Lock()

            def record(result: str) -> None:
                with lock:
                    outcomes[phase["name"]][result] += 1

            def page(n, stats):
                record("page " + classify(*request(server.port, "GET", "/legal/privacy/", headers=PROXY)))

            def cycle(n, stats):
                key = data["keys"][n % len(data["keys"])]
                body = json.dumps(
                    {"license_key": key, "fingerprint": seed.digest(f"fault-{time.time_ns()}-{n}")}
                )
                for path in ("/api/v1/activations", "/api/v1/deactivate"):
                    headers = {"Content-Type": "application/json"}
                    record(
                        f"{path} " + classify(*request(server.port, "POST", path, body=body, headers=headers))
                    )

            def load(n, stats):
                (cycle if data["keys"] and n % 2 else page)(n, stats)

            finished = threading.Event()
            loader = threading.Thread(
                target=drive, args=(load,), kwargs={"seconds": 300, "clients": 4, "stop": finished}
            )
            loader.start()
            time.sleep(args.before)
            phase["name"] = "outage"
            cluster.stop()
            down_at = time.monotonic()
            time.sleep(args.outage)
            cluster.start()
            up_at = time.monotonic()
            recovered = None
            while time.monotonic() - up_at < 60:
                status, _, _ = request(server.port, "GET", "/legal/privacy/", headers=PROXY)
                if status == 200:
                    recovered = time.monotonic() - up_at
                    break
                time.sleep(0.1)
            phase["name"] = "after"
            time.sleep(args.after)
            finished.set()
            loader.join(timeout=30)
        partial = 0
        if seed.licensing_available():
            from django.db import connection

            connection.close()
            with connection.cursor() as cursor:
                cursor.execute(
                    """SELECT count(*) FROM licensing_activation a WHERE NOT EXISTS (
                       SELECT 1 FROM licensing_licenseevent e WHERE e.activation_id = a.id
                       AND e.kind = 'activated')"""
                )
                partial = cursor.fetchone()[0]
        print(f"PostgreSQL stopped for {up_at - down_at:.1f} s under load (4 clients, 2 gunicorn workers).")
        for name, counts in outcomes.items():
            print(f"  {name:7} " + ", ".join(f"{key}: {n}" for key, n in sorted(counts.items())))
        print(f"  answered normally again {recovered:.1f} s after PostgreSQL was back, without a restart"
              if recovered is not None else "  did NOT recover within 60 s")  # fmt: skip
        if seed.licensing_available():
            print(f"  activations without their event (partial writes): {partial}")
        bad = sum(
            n for counts in outcomes.values() for key, n in counts.items() if "500" in key or "other" in key
        )
        print(f"  500s or 503s without Retry-After: {bad}")
        logged = server_log.read_text(errors="replace").count("Service Unavailable: /")
        print(f"  the server logged {logged} refused requests, each with the database error")
        print(f"  load average {os.getloadavg()[0]:.2f}")
        if bad or partial or recovered is None:
            sys.exit(1)
    finally:
        cluster.remove()
        shutil.rmtree(workdir, ignore_errors=True)


def mail_down(args: argparse.Namespace) -> None:
    from bench import mail_workers

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own (it is migrated).")
    env = {**os.environ, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "kalytera.settings", "LOG_LEVEL": "ERROR"}
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    outcome = mail_workers.run_with_outage(emails=args.emails, workers=2, outage=args.outage, env=env)
    print(f"Mail server down for the first {args.outage:.0f} s; {args.emails} emails queued:")
    for line in outcome.lines():
        print("  " + line)
    for note in outcome.notes:
        print("  " + note)
    if outcome.missing:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    pg = commands.add_parser("postgres-restart", help="stop and start a throwaway PostgreSQL under load")
    pg.add_argument("--pg-port", type=int, default=8254)
    pg.add_argument("--before", type=float, default=4.0)
    pg.add_argument("--outage", type=float, default=5.0)
    pg.add_argument("--after", type=float, default=4.0)
    down = commands.add_parser("mail-down", help="queue email while the mail server is down")
    down.add_argument("--emails", type=int, default=200)
    down.add_argument("--outage", type=float, default=8.0)
    args = parser.parse_args()
    {"postgres-restart": postgres_restart, "mail-down": mail_down}[args.command](args)


if __name__ == "__main__":
    main()
