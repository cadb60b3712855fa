"""How many pages a second the site still serves while logins are hammered.

Starts gunicorn with production settings (DEBUG off, the Argon2id hasher, the shared
cache, WhiteNoise with collected static files) on 127.0.0.1, then measures:

1. the home page alone, for ``--seconds``;
2. the home page again while ``--attackers`` threads post logins as fast as the server
   answers them. Each attempt names a new address and comes "through the proxy" from a
   new client address, as a botnet would, so allauth's per-address and per-account
   limits never trigger and every attempt costs one Argon2id check (up to the site-wide
   ``PASSWORD_CHECK_RATE_LIMIT``).

It also prints the CPU time the server processes used, read from /proc: unlike the
throughput, that number hardly moves when other work shares the machine.

Everything is bounded: each phase runs ``--seconds``, requests time out after 10 s, and
the server is stopped at the end. Only loopback is used. It needs PostgreSQL (the
production gate refuses SQLite); the database named by ``DATABASE_URL`` is migrated.
Set ``REDIS_URL`` to measure with Redis as the cache. Run:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kalytera_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/login_flood.py [--workers 3] [--seconds 10]
"""

import argparse
import os
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import HOST, PROXY, Server, manage, production_env, request


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.errors = 0

    def add(self, status: int, seconds: float) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def summary(self, duration: float) -> str:
        if not self.latencies:
            return f"no answers ({self.errors} errors)"
        ordered = sorted(self.latencies)
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        return (
            f"{len(ordered) / duration:7.1f} req/s, p50 {statistics.median(ordered) * 1000:6.1f} ms, "
            f"p95 {p95 * 1000:6.1f} ms, statuses {dict(sorted(self.statuses.items()))}, errors {self.errors}"
        )


def hammer_page(port: int, stop: threading.Event, stats: Stats) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        try:
            status, _, _ = request(port, "GET", "/", headers={**PROXY, "X-Forwarded-For": "192.0.2.1"})
            stats.add(status, time.perf_counter() - started)
        except OSError:
            stats.errors += 1


def hammer_login(port: int, stop: threading.Event, stats: Stats) -> None:
    """Log in with wrong passwords, each attempt from a new address for a new account."""
    status, headers, body = request(port, "GET", "/accounts/login/", headers=PROXY)
    cookie = next(v.split(";", 1)[0] for k, v in headers if k.lower() == "set-cookie" and "csrftoken" in v)
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert match is not None, "the sign-in page has no CSRF token"
    token = match.group(1).decode()
    while not stop.is_set():
        client = f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"
        form = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token,
                "login": f"visitor-{secrets.token_hex(6)}@example.com",
                "password": "not-the-password",
            }
        )
        started = time.perf_counter()
        try:
            status, _, _ = request(
                port,
                "POST",
                "/accounts/login/",
                body=form,
                headers={
                    **PROXY,
                    "X-Forwarded-For": client,
                    "Cookie": cookie,
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": f"https://{HOST}",
                    "Referer": f"https://{HOST}/accounts/login/",
                },
            )
            stats.add(status, time.perf_counter() - started)
        except OSError:
            stats.errors += 1


def drive(kind: str, port: int, seconds: float, clients: int) -> Stats:
    """Run ``clients`` threads of one kind for ``seconds`` (in a process of its own)."""
    stop = threading.Event()
    stats = Stats()
    target = hammer_page if kind == "page" else hammer_login
    threads = [threading.Thread(target=target, args=(port, stop, stats)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    del stats.lock  # not picklable, and no longer needed
    return stats


def run_phase(port: int, seconds: float, readers: int, attackers: int) -> tuple[Stats, Stats]:
    # Readers and attackers each get a process, so neither waits on the other's interpreter lock.
    with ProcessPoolExecutor(max_workers=2) as pool:
        pages = pool.submit(drive, "page", port, seconds, readers)
        logins = pool.submit(drive, "login", port, seconds, attackers) if attackers else None
        return pages.result(), (logins.result() if logins else Stats())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (the image's default)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--readers", type=int, default=4, help="threads fetching the home page")
    parser.add_argument("--attackers", type=int, default=8, help="threads posting logins")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database for the benchmark (it is migrated).")

    with tempfile.TemporaryDirectory() as workdir:
        env = production_env(workdir)  # failed logins send no mail
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        with Server(env, workers=args.workers) as server:
            port = server.port
            print(f"gunicorn, {args.workers} sync workers, production settings, 127.0.0.1:{port}")
            print(f"CPU cores: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.2f}")
            run_phase(port, 2, args.readers, 0)  # warm-up
            cpu = server.cpu_seconds()
            alone, _ = run_phase(port, args.seconds, args.readers, 0)
            cpu_alone, cpu = server.cpu_seconds() - cpu, server.cpu_seconds()
            print(f"home page alone            : {alone.summary(args.seconds)}")
            during, logins = run_phase(port, args.seconds, args.readers, args.attackers)
            cpu_flood = server.cpu_seconds() - cpu
            print(f"home page during the flood : {during.summary(args.seconds)}")
            print(f"login attempts in the flood: {logins.summary(args.seconds)}")
            home_ms = cpu_alone * 1000 / max(1, len(alone.latencies))
            print(f"server CPU per home page   : {home_ms:.2f} ms")
            available = args.seconds * (os.cpu_count() or 1)
            print(
                f"server CPU in the flood    : {cpu_flood:.1f} s of {available:.0f} s the cores had "
                f"({cpu_flood / args.seconds:.2f} cores busy)"
            )
            print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
