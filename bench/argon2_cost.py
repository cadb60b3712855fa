"""Measure what one password hash costs with the platform's Argon2id parameters.

Prints wall and CPU milliseconds per hash and per verify (median over N calls on one
core), and the implied number of logins per second the given number of cores can
check. Run: ``.venv/bin/python bench/argon2_cost.py [--calls 30] [--cores 2]``
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalytera.settings")
os.environ.setdefault("DEBUG", "true")

import django

django.setup()

from django.contrib.auth.hashers import (  # noqa: E402
    Argon2PasswordHasher,
    check_password,
    get_hasher,
    make_password,
)


def timed(function) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()

    hasher = get_hasher()
    assert isinstance(hasher, Argon2PasswordHasher), "this measures the Argon2 settings"
    print(
        f"Hasher: {hasher.algorithm} ({type(hasher).__name__}) memory_cost={hasher.memory_cost} KiB "
        f"time_cost={hasher.time_cost} parallelism={hasher.parallelism}"
    )
    password = "a-long-and-unusual-passphrase"
    encoded = make_password(password)  # warm-up
    hashes = [timed(lambda: make_password(password)) for _ in range(args.calls)]
    verifies = [timed(lambda: check_password(password, encoded)) for _ in range(args.calls)]
    for name, samples in (("hash", hashes), ("verify", verifies)):
        wall = statistics.median(s[0] for s in samples)
        cpu = statistics.median(s[1] for s in samples)
        print(f"{name:>6}: median {wall:.1f} ms wall, {cpu:.1f} ms CPU ({args.calls} calls, one core)")
    cpu_verify = statistics.median(s[1] for s in verifies)
    capacity = args.cores * 1000 / cpu_verify
    print(f"Implied capacity: {capacity:.0f} password checks per second on {args.cores} cores")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Load average while measuring: {load} (other work on the machine skews the numbers)")


if __name__ == "__main__":
    main()
