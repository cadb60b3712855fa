"""Throughput of the Machine API against a bare JSON endpoint of the same stack.

Starts gunicorn on 127.0.0.1 with the platform plus one extra endpoint, ``POST /bench/bare``,
that parses a JSON body and answers JSON without touching the database (it is mounted only
here). Then it drives each endpoint for a fixed time from a pool of client threads and prints
requests per second, latency percentiles and the ratio to the bare endpoint, all measured in
the same run against the same server.

    createdb -h 127.0.0.1 -U postgres kalytera_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kalytera_bench \\
        .venv/bin/python bench/licensing_api.py --seconds 10 --workers 2 --clients 8

Needs PostgreSQL (the database is migrated and filled with a product, a plan and licenses);
talks to loopback only and stops by itself.

``--admin-licenses 1000000`` instead times the staff admin's license list (first page, a deep
page, a status filter and the indexed searches) once the table holds that many licenses; the
missing rows are inserted with one SQL statement.
"""

import argparse
import hashlib
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The server process reads these; they satisfy the production gate with throwaway values and
# lift the API rate limits, which would otherwise be what the benchmark measures.
SERVER_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-secret-key-bench-only-secret-key-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SITE_URL": "https://bench.invalid",
    "MAIL_URL": "smtp://127.0.0.1:25",
    "SECURE_SSL_REDIRECT": "false",
    "LICENSING_PEPPER": "bench-pepper-Qx7vN2pLk9sT4wZ8mR1cY6bH3jD5fG0a",
    "LICENSING_ENCRYPTION_SECRET": "bench-seal-Wm4tP9kR2xN7vL1sQ8zC5bY3hJ6dF0gA",
    "LICENSING_API_RATE_PER_ADDRESS": "100000000/m",
    "LICENSING_API_RATE_PER_LICENSE": "100000000/m",
    "LICENSE_SIGNING_KEY_DIR": str(ROOT / "docs" / "test-vectors" / "keys"),
    "DJANGO_SETTINGS_MODULE": "kalytera.settings",
    "PYTHONWARNINGS": "ignore:No directory at",  # static files are not collected for the benchmark
}


# --- The server side (imported by gunicorn) ------------------------------------------------------


@csrf_exempt
def bare(request: HttpRequest) -> JsonResponse:
    """The floor: the same middleware, a JSON body parsed and a JSON answer, no database."""
    body = json.loads(request.body)
    return JsonResponse({"ok": True, "nonce": body.get("nonce"), "server_time": time.time()})


urlpatterns: list = []  # filled by server_application(): include() imports the platform's URLs


def server_application():
    """The WSGI application gunicorn serves: the platform's, with this module as the URLconf."""
    import django
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    django.setup()
    urlpatterns[:] = [path("bench/bare", bare), path("", include("kalytera.urls"))]
    settings.ROOT_URLCONF = __name__
    return get_wsgi_application()


# --- The client side --------------------------------------------------------------------------------


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def prepare_database(licenses: int) -> dict:
    """Migrate and create the licenses the benchmark uses; returns keys and activated fingerprints."""
    os.environ.update(SERVER_ENV)
    import django

    django.setup()
    from django.core.management import call_command

    from licensing import services
    from licensing.models import Plan, Product

    call_command("migrate", verbosity=0)
    product, _ = Product.objects.get_or_create(slug="bench-vms", defaults={"name": "Bench VMS"})
    plan, _ = Plan.objects.get_or_create(
        code="bench-plan",
        defaults={"product": product, "name": "Bench", "kind": "subscription", "duration_days": 365,
                  "channels": 64, "max_machines": 10_000, "features": ["analytics"]},
    )  # fmt: skip
    keys, validated = [], []
    for n in range(licenses):
        key = services.issue_license(plan=plan, owner=None, actor=services.Actor.system()).key
        fingerprint = digest(f"bench-{time.time_ns()}-{n}")
        services.activate_machine(key=key, fingerprint=fingerprint, label=f"bench {n}")
        keys.append(key)
        validated.append((key, fingerprint))
    return {"keys": keys, "activated": validated}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, workers: int) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "bench.licensing_api:server_application()",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--worker-class", "sync",
        "--log-level", "warning",
        "--chdir", str(ROOT),
    ]  # fmt: skip
    server = subprocess.Popen(command, env={**os.environ, **SERVER_ENV}, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, _ = call(port, "/bench/bare", {"nonce": "up"})
            if status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start within 30 s")


def call(port: int, url: str, body: dict) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", url, json.dumps(body), {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def drive(port: int, url: str, bodies, *, seconds: float, clients: int, expect: set[int]) -> dict:
    """Send requests from ``clients`` threads for ``seconds``; count answers and latencies."""
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        mine, bad = [], []
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            status, _ = call(port, url, next(bodies))
            mine.append(time.perf_counter() - started)
            if status not in expect:
                bad.append(status)
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    begun = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - begun
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000 if ordered else 0.0,
        "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000 if ordered else 0.0,
        "unexpected": len(errors),
    }


class Bodies:
    """A thread-safe endless supply of request bodies."""

    def __init__(self, make) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._n = 0

    def __next__(self) -> dict:
        with self._lock:
            self._n += 1
            n = self._n
        return self._make(n)


def _scenarios(data: dict) -> list[tuple]:
    rng = random.Random(7)

    def known(n: int) -> dict:
        key, fingerprint = rng.choice(data["activated"])
        return {"license_key": key, "fingerprint": fingerprint}

    def new(n: int) -> dict:
        return {"license_key": rng.choice(data["keys"]), "fingerprint": digest(f"new-{n}-{time.time_ns()}")}

    return [
        ("bare JSON endpoint", "/bench/bare", Bodies(lambda n: {"nonce": str(n)}), {200}),
        ("validate (check-in)", "/api/v1/validate", Bodies(known), {200}),
        ("activate (known machine)", "/api/v1/activations", Bodies(known), {200}),
        ("activate (new machine)", "/api/v1/activations", Bodies(new), {201}),
    ]


def admin_timings(total: int) -> None:
    """Time the license list of the staff admin over a table of ``total`` licenses."""
    prepare_database(1)
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from accounts import services as accounts
    from accounts.models import User
    from licensing.models import License
    from tests import personas

    # Static files are not collected for the benchmark; plain storage renders the same pages.
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # fmt: skip
    settings.ALLOWED_HOSTS = ["testserver"]
    missing = total - License.objects.count()
    if missing > 0:
        print(f"Inserting {missing} licenses ...")
        with connection.cursor() as cursor:
            cursor.execute(FILL_SQL, [missing])
            cursor.execute("ANALYZE licensing_license")
    staff = User.objects.filter(email="bench-staff@kalytera.example").first()
    if staff is None:
        staff = accounts.create_staff_user(
            email="bench-staff@kalytera.example", password=None, group="Licensing"
        )
        personas.give_totp(staff)
    client = Client()
    client.force_login(staff)
    url = f"/{settings.ADMIN_URL}licensing/license/"
    sample = License.objects.order_by("-created_at")[100]
    print(f"Staff admin license list over {License.objects.count()} licenses (median of 5):")
    for label, params in [
        ("first page", {}),
        ("page 200", {"p": "200"}),
        ("status filter", {"status__exact": "suspended"}),
        ("search by key prefix", {"q": sample.key_prefix}),
        ("search by license id", {"q": str(sample.public_id)}),
        ("search by owner email", {"q": "someone@customer.example"}),
    ]:
        timings = []
        for _ in range(6):
            started = time.perf_counter()
            assert client.get(url, params, secure=True).status_code == 200
            timings.append((time.perf_counter() - started) * 1000)
        print(f"  {label:24} {statistics.median(timings[1:]):7.1f} ms")


FILL_SQL = """
INSERT INTO licensing_license (public_id, plan_id, status, starts_at, expires_at, upgrade_plan_until,
                               key_hash, key_prefix, key_sealed, created_at)
SELECT md5(g::text || clock_timestamp()::text)::uuid,
       (SELECT id FROM licensing_plan WHERE code = 'bench-plan'),
       CASE WHEN g %% 50 = 0 THEN 'suspended' ELSE 'active' END, now() - g * interval '1 second',
       now() + interval '200 days', (now() + interval '200 days')::date,
       md5(g::text || clock_timestamp()::text) || md5(g::text), 'KLY-' || upper(substr(md5(g::text), 1, 4)),
       'v1:bench', now() - g * interval '1 second'
FROM generate_series(1, %s) AS g
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="Duration of each measurement.")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers.")
    parser.add_argument("--clients", type=int, default=8, help="Concurrent client threads.")
    parser.add_argument("--licenses", type=int, default=20, help="Licenses to spread the load over.")
    parser.add_argument(
        "--admin-licenses", type=int, help="Time the staff admin list over this many licenses."
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (it is migrated and filled).")
    if args.admin_licenses:
        admin_timings(args.admin_licenses)
        return

    data = prepare_database(args.licenses)
    port = free_port()
    server = start_server(port, args.workers)
    try:
        scenarios = _scenarios(data)
        print(f"gunicorn: {args.workers} sync workers on 127.0.0.1:{port}; {args.clients} client threads; "
              f"{args.seconds:.0f} s per scenario; PostgreSQL")  # fmt: skip
        results = {}
        for name, url, bodies, expect in scenarios:
            drive(
                port, url, bodies, seconds=min(2.0, args.seconds), clients=args.clients, expect=expect
            )  # warm-up
            results[name] = drive(
                port, url, bodies, seconds=args.seconds, clients=args.clients, expect=expect
            )
        floor = results["bare JSON endpoint"]["rps"]
        print(f"{'scenario':28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'of bare':>8} {'unexpected':>10}")
        for name, result in results.items():
            print(
                f"{name:28} {result['rps']:9.1f} {result['p50_ms']:8.1f} {result['p99_ms']:8.1f} "
                f"{result['rps'] / floor:8.2f} {result['unexpected']:10d}"
            )
    finally:
        server.terminate()
        server.wait(timeout=15)


if __name__ == "__main__":
    main()
