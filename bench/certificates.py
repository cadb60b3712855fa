"""Throughput of signing and verifying license certificates (a measurement, not a test).

    .venv/bin/python -m bench.certificates [--rounds 3000]

Signs with the published TEST key of docs/test-vectors; prints documents per second for
the platform's issue and verify and for the reference verifier, and the armoured size.
"""

import argparse
import os
import timeit
from datetime import UTC, date, datetime
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3000)
    rounds = parser.parse_args().rounds

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # as in production: no look for a missing development key
    from kalytera_client import verify as reference
    from licensing import certificates

    claims: dict[str, Any] = {
        "license_id": "0a19543d-4543-4e45-b001-2dd0a588d4ab",
        "plan": "pro-1y",
        "kind": "subscription",
        "channels": 32,
        "features": ["analytics", "lpr", "video_wall"],
        "fingerprint": "c8bf20ea4cdd8c6bb3ba50a2cc761b5f43439f8bc8b2a0387c199e46d1535a48",
        "expires_at": datetime(2027, 11, 23, tzinfo=UTC),
        "upgrade_plan_until": date(2027, 11, 23),
        "grace_days": 30,
        "offline_validity_days": 30,
    }
    document = certificates.issue_certificate(**claims)
    keys = reference.load_keys(certificates.published_signing_keys())
    for name, call in (
        ("platform issue_certificate", lambda: certificates.issue_certificate(**claims)),
        ("platform verify", lambda: certificates.verify(document.armored)),
        ("reference read_document", lambda: reference.read_document(document.armored, keys)),
    ):
        seconds = min(timeit.repeat(call, number=rounds, repeat=3))
        print(f"{name:28} {rounds / seconds:8,.0f}/s  {seconds / rounds * 1e6:6.0f} µs each")
    print(f"{'armoured certificate':28} {len(document.armored):8} bytes")


if __name__ == "__main__":
    main()
