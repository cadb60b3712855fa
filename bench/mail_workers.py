"""Several task workers on one queue deliver every queued email, though they are killed midway.

Queues ``--emails`` messages in the outbox, starts ``--workers`` ``manage.py db_worker``
processes against a local SMTP sink, kills them all with SIGKILL each time another share
of the mail is out and starts new ones, then runs the periodic ``deliver_emails`` sweep,
as the scheduler does every minute. It reports how many messages the sink received, how
many distinct Message-IDs, and how long it took.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kalytera_bench \\
        .venv/bin/python -m bench.mail_workers --emails 10000 --workers 3 --kills 2

A SIGKILL between the mail server's "250 OK" and the commit of "sent" would hand that one
message over twice (no mail protocol can avoid it); the sink counts such duplicates by
Message-ID. Loopback only; stops by itself (``--timeout``).
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from bench.common import PYTHON, ROOT, free_port


class CountingSink:
    """An SMTP handler that counts every Message-ID it receives."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: Counter[str] = Counter()

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes

        message_id = message_from_bytes(envelope.content)["Message-ID"] or ""
        with self.lock:
            self.received[message_id.strip()] += 1
        return "250 OK"


@dataclass
class Outcome:
    queued: int
    sent: int
    received: int
    distinct: int
    duplicates: int
    missing: int
    kills: int
    seconds: float
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"queued {self.queued}, marked sent {self.sent}, received by the sink {self.received} "
            f"({self.distinct} distinct Message-IDs)",
            f"missing {self.missing}, delivered twice {self.duplicates}, workers killed {self.kills} times",
            f"all delivered in {self.seconds:.1f} s",
        ]


def queue(count: int) -> list[int]:
    """Queue ``count`` messages through the outbox; returns their ids."""
    from django.core.mail import EmailMessage
    from django.db import transaction

    from outbox import services
    from outbox.models import OutboundEmail

    ids = []
    for start in range(0, count, 500):
        with transaction.atomic():
            for n in range(start, min(count, start + 500)):
                message = EmailMessage(subject=f"Message {n}", body="Hello.", to=[f"to-{n}@sink.invalid"])
                ids.append(services.queue_message(message, category=OutboundEmail.Category.SERVICE).pk)
    return ids


def sweep(env: dict[str, str]) -> None:
    """What the scheduler runs every minute: delivers what is due, retries included."""
    result = subprocess.run(
        [PYTHON, "manage.py", "deliver_emails"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        raise SystemExit(f"deliver_emails failed:\n{result.stdout}{result.stderr}")


def start_workers(count: int, env: dict[str, str], logs: str) -> list[subprocess.Popen]:
    workers = []
    for n in range(count):
        with open(os.path.join(logs, f"worker-{n}-{time.time_ns()}.log"), "wb") as log:
            workers.append(
                subprocess.Popen(
                    [
                        PYTHON,
                        "manage.py",
                        "db_worker",
                        "--no-reload",
                        "--no-startup-delay",
                        "--interval",
                        "0.2",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    return workers


def kill(workers: list[subprocess.Popen], sig: int = signal.SIGKILL) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, sig)
    for worker in workers:
        worker.wait(timeout=30)


def run(*, emails: int, workers: int, kills: int, env: dict[str, str], timeout: float = 600) -> Outcome:
    """The scenario, in the current (already set-up) Django process; workers get ``env``."""
    from aiosmtpd.controller import Controller

    from outbox.models import OutboundEmail

    sink = CountingSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    # Short claims: a killed worker's message is free again after seconds, not minutes.
    worker_env = {
        **env,
        "MAIL_URL": f"smtp://127.0.0.1:{port}",
        "MAIL_RETRY_BASE_SECONDS": "1",
        "MAIL_CLAIM_SECONDS": "5",
    }
    pks = queue(emails)
    ids = {OutboundEmail(pk=pk).message_id for pk in pks}
    pending = OutboundEmail.objects.filter(pk__in=pks, status=OutboundEmail.Status.PENDING)
    started = time.monotonic()
    deadline = started + timeout
    killed = 0
    try:
        with tempfile.TemporaryDirectory() as logs:
            running = start_workers(workers, worker_env, logs)
            try:
                for share in range(1, kills + 1):
                    while (
                        len(ids) - pending.count() < emails * share / (kills + 1)
                        and time.monotonic() < deadline
                    ):
                        time.sleep(0.05)
                    kill(running)
                    killed += 1
                    running = start_workers(workers, worker_env, logs)
                # The workers' queue drains; a task a killed worker had claimed is left behind,
                # and its message is picked up by the periodic sweep.
                while time.monotonic() < deadline:
                    before = pending.count()
                    time.sleep(2)
                    if pending.count() in (0, before):
                        break
            finally:
                kill(running, signal.SIGTERM)
        while pending.exists() and time.monotonic() < deadline:
            # Picks up what the killed workers left.
            sweep(worker_env)
        seconds = time.monotonic() - started
        time.sleep(0.2)  # the sink's thread finishes the last message
    finally:
        controller.stop()
    received = {key: n for key, n in sink.received.items() if key in ids}
    return Outcome(
        queued=emails,
        sent=OutboundEmail.objects.filter(pk__in=pks, status=OutboundEmail.Status.SENT).count(),
        received=sum(received.values()),
        distinct=len(received),
        duplicates=sum(n - 1 for n in received.values()),
        missing=len(ids - received.keys()),
        kills=killed,
        seconds=seconds,
    )


def run_with_outage(
    *, emails: int, workers: int, outage: float, env: dict[str, str], timeout: float = 300
) -> Outcome:
    """Queue mail while the mail server is down; start it after ``outage`` seconds."""
    from aiosmtpd.controller import Controller

    from outbox.models import OutboundEmail

    port = free_port()
    worker_env = {**env, "MAIL_URL": f"smtp://127.0.0.1:{port}?timeout=2", "MAIL_RETRY_BASE_SECONDS": "1"}
    pks = queue(emails)
    ids = {OutboundEmail(pk=pk).message_id for pk in pks}
    ours = OutboundEmail.objects.filter(pk__in=pks)
    started = time.monotonic()
    sink = CountingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    notes = []
    with tempfile.TemporaryDirectory() as logs:
        running = start_workers(workers, worker_env, logs)
        try:
            time.sleep(outage)
            notes.append(
                f"while it was down: {ours.filter(status=OutboundEmail.Status.SENT).count()} sent, "
                f"{ours.filter(status=OutboundEmail.Status.PENDING, attempts__gte=1).count()} pending with "
                f"a failed attempt and a later retry time, "
                f"{ours.filter(status=OutboundEmail.Status.FAILED).count()} given up"
            )
            controller.start()
            deadline = time.monotonic() + timeout
            # Retries are due after 1, 2, 4 ... seconds; the sweep hands them over.
            while ours.filter(status=OutboundEmail.Status.PENDING).exists() and time.monotonic() < deadline:
                sweep(worker_env)
                time.sleep(0.5)
        finally:
            kill(running, signal.SIGTERM)
    seconds = time.monotonic() - started
    time.sleep(0.2)
    controller.stop()
    attempts = Counter(ours.values_list("attempts", flat=True))
    notes.append(
        "attempts per message: " + ", ".join(f"{n}: {count}" for n, count in sorted(attempts.items()))
    )
    received = {key: n for key, n in sink.received.items() if key in ids}
    return Outcome(
        queued=emails,
        sent=ours.filter(status=OutboundEmail.Status.SENT).count(),
        received=sum(received.values()),
        distinct=len(received),
        duplicates=sum(n - 1 for n in received.values()),
        missing=len(ids - received.keys()),
        kills=0,
        seconds=seconds,
        notes=notes,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--kills", type=int, default=2, help="times all workers are killed and restarted")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own (it is migrated).")
    env = {
        **os.environ,
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "kalytera.settings",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    outcome = run(emails=args.emails, workers=args.workers, kills=args.kills, env=env, timeout=args.timeout)
    print(f"{args.workers} workers on one queue, load average {os.getloadavg()[0]:.2f}:")
    for line in outcome.lines():
        print("  " + line)


if __name__ == "__main__":
    main()
