"""Whether batching allauth's failed-login limit pays for itself.

Times one counted attempt and its rollback (what a correct login costs in rate-limit
work) through ``accounts/login_limits.py``, if present, and through allauth's own
``ratelimit.consume``, against the Redis of ``REDIS_URL``, and next to it the cost of one
Argon2id check with the production hasher. Run:

    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/login_limits.py [--rounds 500]
"""

import argparse
import importlib
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalytera.settings")
os.environ.setdefault("DEBUG", "true")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=500)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        sys.exit("Set REDIS_URL.")
    import django

    django.setup()
    from allauth.core.internal import ratelimit
    from django.contrib.auth.hashers import Argon2PasswordHasher
    from django.core.cache import cache
    from django.test import RequestFactory

    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="198.51.100.7")

    def allauth_login() -> None:
        usage = ratelimit.consume(request, app="allauth.account", action="login_failed", key="someone")
        usage.rollback()

    candidates = {"allauth's ratelimit.consume": allauth_login}
    try:
        login_limits = importlib.import_module("accounts.login_limits")  # present in older checkouts

        def batched_login() -> None:
            login_limits.consume(request, key="someone").rollback()

        candidates["accounts/login_limits.py"] = batched_login
    except ImportError:
        pass
    for name, run in candidates.items():
        cache.clear()
        for _ in range(20):
            run()
        times = []
        for _ in range(args.rounds):
            cache.clear()
            start = time.perf_counter()
            run()
            times.append((time.perf_counter() - start) * 1000)
        p90 = statistics.quantiles(times, n=10)[-1]
        print(f"{name:32} p50 {statistics.median(times):.3f} ms  p90 {p90:.3f} ms")
    hasher = Argon2PasswordHasher()
    encoded = hasher.encode("correct horse", hasher.salt())
    times = []
    for _ in range(20):
        start = time.perf_counter()
        hasher.verify("correct horse", encoded)
        times.append((time.perf_counter() - start) * 1000)
    print(f"{'one Argon2id check':32} p50 {statistics.median(times):.3f} ms")
    cache.clear()


if __name__ == "__main__":
    main()
