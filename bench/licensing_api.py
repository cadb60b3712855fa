"""Throughput of the Machine API against the stack's ceiling: the API part of the harness.

A short form of ``python -m bench run`` (see ``bench/__main__.py``), which does the work:
it seeds ``--licenses`` bulk licenses, starts gunicorn with production settings on
127.0.0.1 and measures the bare JSON and three-query reference endpoints, validate and
the activate/deactivate cycle, then times the staff admin's license list and searches.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kalytera_bench \\
        .venv/bin/python bench/licensing_api.py --seconds 10 --workers 2 --clients 8

``--admin-licenses 1000000`` seeds that many licenses first (the harness's bulk load).
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.__main__ import run

ENDPOINTS = "bare JSON,three queries,validate,activation cycle"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="Duration of each measurement.")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers.")
    parser.add_argument("--clients", type=int, default=8, help="Concurrent client threads.")
    parser.add_argument(
        "--licenses", type=int, default=20, help="Licenses issued through the services for the load."
    )
    parser.add_argument(
        "--admin-licenses", type=int, default=1000, help="Licenses in the table (bulk-seeded)."
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own (it is migrated and filled).")
    run(
        argparse.Namespace(
            scale=str(args.admin_licenses),
            duration=args.seconds,
            workers=args.workers,
            clients=args.clients,
            probes=args.licenses,
            only=ENDPOINTS,
        )
    )


if __name__ == "__main__":
    main()
