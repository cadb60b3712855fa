"""Where an endpoint's time goes: one endpoint profiled in this process with production settings.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kalytera_bench REDIS_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python -m bench.profile validate --calls 500

The endpoints are those of ``python -m bench run``: ``bare-json``, ``three-queries``, ``validate``,
``cycle`` (activate, then deactivate), ``login``, and signed in ``license-list``,
``license-detail``, ``integrator-overview`` and ``account``, and ``floor``: the profile page,
a signed-in page with the full layout and little of its own, what every signed-in page pays. The
database is migrated and topped up to ``--scale`` licenses like the harness does, the
requests go through the whole middleware stack (Django's test client, HTTPS, CSRF checks
on), and the script prints the CPU time per call and the functions that took most of it,
under cProfile. ``--plain`` prints only the CPU time per call without the profiler (median
of five rounds), the number to compare before and after a change and with ``three-queries``.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import tempfile
import time

from bench.common import RELAXED_LIMITS, production_env, set_up_here

SIGNED_IN = ["license-list", "license-detail", "integrator-overview", "account", "floor"]


def steps(data: dict):
    """name -> (client, n) -> None: one unit of work, failing loudly on a wrong answer."""
    from bench import seed

    def expect(response, status: int) -> None:
        if response.status_code != status:
            raise SystemExit(f"Expected {status}, got {response.status_code}: {response.content[:300]!r}")

    def bare_json(client, n):
        expect(client.get("/_benchmark/json"), 200)

    def three_queries(client, n):
        expect(client.get("/_benchmark/queries"), 200)

    def validate(client, n):
        key, fingerprint = data["activated"][n % len(data["activated"])]
        body = json.dumps({"license_key": key, "fingerprint": fingerprint})
        expect(client.post("/api/v1/validate", body, content_type="application/json"), 200)

    def cycle(client, n):
        key = data["keys"][n % len(data["keys"])]
        body = json.dumps({"license_key": key, "fingerprint": seed.digest(f"profile-{time.time_ns()}-{n}")})
        expect(client.post("/api/v1/activations", body, content_type="application/json"), 201)
        expect(client.post("/api/v1/deactivate", body, content_type="application/json"), 200)

    def login(client, n):
        client.cookies.pop("__Host-sessionid", None)
        email = f"customer-{n % seed.LOGIN_ACCOUNTS + 1}@{seed.BULK_EMAIL_DOMAIN}"
        csrf = client.cookies["__Host-csrftoken"].value  # rotated by every login
        form = {"login": email, "password": data["password"], "csrfmiddlewaretoken": csrf}
        expect(client.post("/accounts/login/", form, REMOTE_ADDR=f"10.1.{n // 250 % 250}.{n % 250 + 1}"), 302)

    def license_list(client, n):
        expect(client.get("/licenses/"), 200)

    def license_detail(client, n):
        expect(client.get(f"/licenses/{data['license_id']}/"), 200)

    def integrator_overview(client, n):
        expect(client.get("/integrators/"), 200)

    def account(client, n):
        expect(client.get("/account/"), 200)

    def floor(client, n):  # the profile form: the full layout around almost nothing of its own
        expect(client.get("/account/profile/"), 200)

    return {
        "bare-json": bare_json,
        "three-queries": three_queries,
        "validate": validate,
        "cycle": cycle,
        "login": login,
        "license-list": license_list,
        "license-detail": license_detail,
        "integrator-overview": integrator_overview,
        "account": account,
        "floor": floor,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument(
        "endpoint", choices=[*SIGNED_IN, "bare-json", "three-queries", "validate", "cycle", "login"]
    )
    parser.add_argument("--calls", type=int, default=300, help="profiled calls (after 50 unprofiled)")
    parser.add_argument("--scale", type=int, default=1000, help="licenses in the database")
    parser.add_argument("--top", type=int, default=30, help="functions to list")
    parser.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"])
    parser.add_argument("--queries", action="store_true", help="print one call's SQL instead of profiling")
    parser.add_argument("--paths", action="store_true", help="keep the files' paths (tell apps apart)")
    parser.add_argument(
        "--plain", action="store_true", help="only the CPU time per call, without the profiler's overhead"
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own (it is migrated and filled).")
    with tempfile.TemporaryDirectory() as workdir:
        set_up_here(production_env(workdir, BENCHMARK_ENDPOINTS="1", **RELAXED_LIMITS))
        from django.conf import settings
        from django.test import Client

        from bench import seed

        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        seed.seed(args.scale, log=lambda *a, **k: None)
        data = seed.probe(20)
        client = Client(enforce_csrf_checks=True, secure=True, headers={"Referer": "https://testserver/"})
        client.get("/accounts/login/")
        if args.endpoint in SIGNED_IN:  # the customer who owns the benchmark's licenses
            from accounts.models import User

            client.force_login(User.objects.get(email=data["customer"]))
        step = steps(data)[args.endpoint]
        for n in range(50):  # warm caches, connections and imports
            step(client, n)
        if args.queries:  # the statements of one call, as the database sees them
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as captured:
                step(client, 50)
            for query in captured.captured_queries:
                print(query["sql"][:300])
            print(f"{args.endpoint}: {len(captured)} statements in one call")
            return
        if args.plain:  # median of five rounds: the machine is shared
            rounds = []
            for round_ in range(5):
                started = time.process_time()
                for n in range(50, 50 + args.calls):
                    step(client, n + round_ * args.calls)
                rounds.append((time.process_time() - started) * 1000 / args.calls)
            spread = ", ".join(f"{value:.2f}" for value in rounds)
            print(f"{args.endpoint}: {statistics.median(rounds):.2f} ms CPU per call (rounds: {spread})")
            return
        profiler = cProfile.Profile(time.process_time)  # CPU time: waiting for PostgreSQL is not counted
        started = time.process_time()
        profiler.enable()
        for n in range(50, 50 + args.calls):
            step(client, n)
        profiler.disable()
        cpu_ms = (time.process_time() - started) * 1000 / args.calls
        output = io.StringIO()
        stats = pstats.Stats(profiler, stream=output)
        if not args.paths:
            stats.strip_dirs()
        stats.sort_stats(args.sort).print_stats(args.top)
        print(output.getvalue())
        print(f"{args.endpoint}: {args.calls} calls, {cpu_ms:.2f} ms CPU per call under the profiler")


if __name__ == "__main__":
    main()
