"""Signup's answer time for an address that has an account and for a new one.

    DATABASE_URL=postgres://... .venv/bin/python bench/signup_timing.py [-n 15]

The two answers look alike (no account enumeration); this checks that they also take alike.
Runs in-process with the production password hasher (Argon2id) against the configured,
migrated database, inside a transaction that is rolled back; prints the median of each.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.db import transaction  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402

from kalytera import settings as production  # noqa: E402
from tests import personas  # noqa: E402

PASSWORD = "a-long-and-unusual-passphrase"


def signup_ms(email: str) -> float:
    """One signup by a new visitor (a signup in progress would redirect the next one)."""
    client = Client()
    form = {"email": email, "password1": PASSWORD, "password2": PASSWORD, "age_confirmed": "on"}
    started = time.perf_counter()
    response = client.post(reverse("account_signup"), {**form, "policies_accepted": "on"})
    elapsed = (time.perf_counter() - started) * 1000
    assert response["Location"] == reverse("account_email_verification_sent"), response
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=15, help="signups of each kind")
    args = parser.parse_args()
    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS), transaction.atomic():
        existing = personas.make_customer("bench.signup@customer.example").email
        signup_ms(existing)  # warm-up: templates, connections, hasher
        taken, new = [], []
        for n in range(args.n):
            taken.append(signup_ms(existing))
            new.append(signup_ms(f"bench.signup.{n}@new.example"))
        transaction.set_rollback(True)
    print(f"signup, existing address: median {statistics.median(taken):.1f} ms (n={args.n})")
    print(f"signup, new address:      median {statistics.median(new):.1f} ms (n={args.n})")


if __name__ == "__main__":
    main()
