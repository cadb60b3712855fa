"""Timings of the privacy center's heavy paths on the configured database.

    DATABASE_URL=postgres://... .venv/bin/python bench/exports.py [--sessions 20000] [--events 5000]

Creates its data in a transaction that is rolled back; prints one line per measurement.
"""

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.contrib.sessions.models import Session  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import DeletionRequest, SecurityEvent  # noqa: E402
from accounts.privacy import deletion, exports  # noqa: E402
from kalytera.sessions import SessionStore  # noqa: E402
from tests import personas  # noqa: E402


class Rollback(Exception):
    pass


def timed(label: str, func):
    start = time.perf_counter()
    result = func()
    print(f"{label}: {(time.perf_counter() - start) * 1000:.0f} ms")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=20000, help="other people's stored sessions")
    parser.add_argument("--events", type=int, default=5000, help="security events of the person")
    args = parser.parse_args()
    try:
        with transaction.atomic():
            person = personas.make_customer("bench.person@customer.example")
            expiry = timezone.now() + timedelta(days=14)
            Session.objects.bulk_create(
                Session(
                    session_key=f"bench{n:035d}",
                    session_data=SessionStore().encode({"_auth_user_id": str(n + 10_000_000)}),
                    expire_date=expiry,
                )
                for n in range(args.sessions)
            )
            SecurityEvent.objects.bulk_create(
                SecurityEvent(
                    user=person, kind=SecurityEvent.Kind.LOGIN, ip="203.0.113.9", user_agent="bench"
                )
                for _ in range(args.events)
            )
            print(f"database: {django.db.connection.vendor}; {args.sessions} sessions; {args.events} events")
            report = timed("export (collect + JSON)", lambda: exports.report_as_json(person))
            print(f"export size: {len(report.encode()) / 1024:.0f} KiB")
            timed("estimate rows (decides task vs inline)", lambda: exports.estimated_rows(person))
            timed("search the session store for one person", lambda: deletion._stored_session_keys_of(person))
            DeletionRequest.objects.create(user=person, purge_after=timezone.now())
            timed("purge one account (incl. session search)", deletion.purge_due)
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
