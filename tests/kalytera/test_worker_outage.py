"""The worker outlives a database outage: it waits, reconnects and runs what was queued meanwhile.

Runs against a PostgreSQL cluster of its own (``initdb`` in a temporary directory), which
it stops and starts again; the shared server is never touched.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from bench.faults import PG_BIN, Cluster
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )


def _email_status(url: str) -> str | None:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT status FROM kalytera_outboundemail ORDER BY id DESC LIMIT 1").fetchone()
    return row[0] if row else None


@pytest.fixture
def cluster():
    if os.geteuid() != 0 or not (PG_BIN / "initdb").exists():
        if os.environ.get("KALYTERA_REQUIRE_ALL") == "1":
            pytest.fail("This test needs root and PostgreSQL 15's initdb (its own cluster).")
        pytest.skip("needs root and PostgreSQL 15's initdb to run a cluster of its own")
    cluster = Cluster(free_port()).init()
    try:
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE kalytera_worker")
        yield cluster
    finally:
        cluster.remove()


def test_the_worker_waits_out_a_database_restart_and_carries_on(cluster, tmp_path):
    url = cluster.url("kalytera_worker")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KALYTERA_")},
        "DJANGO_SETTINGS_MODULE": "kalytera.settings",
        "DEBUG": "true",
        "DATABASE_URL": url,
        "REDIS_URL": "",
        "MAIL_URL": "console://",
        "WORKER_RETRY_MAX_SECONDS": "2",
    }
    _manage(env, "migrate", "-v", "0")
    log = (tmp_path / "worker.log").open("w+")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for(lambda: "Starting worker" in Path(log.name).read_text(), 30, "the worker to start")
        cluster.stop()
        _wait_for(lambda: "Database unavailable" in Path(log.name).read_text(), 30, "the worker to notice")
        time.sleep(3)  # several retries while the database is down
        assert worker.poll() is None, Path(log.name).read_text()

        cluster.start()
        _manage(
            env,
            "shell",
            "-c",
            "from django.core.mail import EmailMessage; from outbox.services import queue_message; "
            "queue_message(EmailMessage('After the outage', 'Body', 'a@kalytera.example', "
            "['ada@example.com']), category='account')",
        )
        _wait_for(lambda: _email_status(url) == "sent", 30, "the worker to deliver the queued email")
        assert worker.poll() is None
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
        log.close()
