"""The platform's benchmark: bulk data at several scales, real endpoints against the stack's ceiling.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kalytera_bench \\
        .venv/bin/python -m bench run --scale 1000,1000000 --duration 20

For each scale (number of licenses, two machines each, plus customers, events and
inquiries) the database is topped up, then one gunicorn server with production settings
(2 sync workers by default) answers load from client threads of this process, one
endpoint after the other, each for ``--duration`` seconds:

- the ceiling: a bare JSON endpoint and one doing three queries (``/_benchmark/``,
  mounted only because the server gets ``BENCHMARK_ENDPOINTS=1``), and a plain template
  page (the home page);
- the real endpoints: validate, the activate/deactivate cycle, the Privacy Policy page
  (anonymous), the license list, a license's page (ten machines), the integrator overview
  and the account page of a signed-in customer, and a successful login, which
  is compared with what the Argon2id cost alone allows on the machine's cores.

It also times the staff admin's license list and searches. Results go to the console and
to ``bench/results/`` (JSON, Markdown, SVG). The API's and the login's rate limits are
lifted on this server, or they would be what is measured. The database named by
``DATABASE_URL`` is migrated and filled: use a database of its own. Only 127.0.0.1 is
used; everything stops by itself.
"""

import argparse
import json
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime

from bench import report
from bench.common import (
    PROXY,
    RELAXED_LIMITS,
    ROOT,
    Server,
    drive,
    production_env,
    request,
    set_up_here,
    timed,
)

SERVER_SETTINGS = {"BENCHMARK_ENDPOINTS": "1", **RELAXED_LIMITS}
JSON = {"Content-Type": "application/json"}
ORIGIN = {**PROXY, "Origin": "https://127.0.0.1", "Referer": "https://127.0.0.1/accounts/login/"}


def client_address() -> str:
    """A new client address for each login, so that per-address limits never apply."""
    return f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


def cookie(headers: list[tuple[str, str]], name: str) -> str:
    for key, value in headers:
        if key.lower() == "set-cookie" and value.startswith(name + "="):
            return value.split(";", 1)[0]
    raise SystemExit(f"The server set no {name} cookie.")


def login_form(port: int) -> tuple[str, str]:
    """A CSRF cookie and the matching form token, valid for any number of logins."""
    status, headers, body = request(port, "GET", "/accounts/login/", headers=PROXY)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or token is None:
        raise SystemExit(f"The login page answered {status}.")
    return cookie(headers, "__Host-csrftoken"), token.group(1).decode()


def log_in(port: int, email: str, password: str, csrf: tuple[str, str]) -> tuple[int, list]:
    form = f"csrfmiddlewaretoken={csrf[1]}&login={email.replace('@', '%40')}&password={password}"
    status, headers, _ = request(
        port,
        "POST",
        "/accounts/login/",
        body=form,
        headers={**ORIGIN, "X-Forwarded-For": client_address(), "Cookie": csrf[0],
                 "Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    return status, headers


def scenarios(port: int, data: dict) -> dict:
    """name -> step(n, stats): one unit of work, recording its own requests."""
    from bench import seed

    rng = random.Random(7)
    csrf = login_form(port)
    status, headers = log_in(port, data["customer"], data["password"], csrf)
    if status != 302:
        raise SystemExit(f"The benchmark customer could not sign in ({status}).")
    session = {**PROXY, "Cookie": cookie(headers, "__Host-sessionid")}
    steps = {
        "bare JSON": lambda n, s: timed(port, s, "GET", "/_benchmark/json", {200}),
        "three queries": lambda n, s: timed(port, s, "GET", "/_benchmark/queries", {200}),
        "plain template page": lambda n, s: timed(port, s, "GET", "/", {200}, headers=PROXY),
        "policy page": lambda n, s: timed(port, s, "GET", "/legal/privacy/", {200}, headers=PROXY),
    }
    if data["activated"]:

        def validate(n, s):
            key, fingerprint = rng.choice(data["activated"])
            body = json.dumps({"license_key": key, "fingerprint": fingerprint})
            timed(port, s, "POST", "/api/v1/validate", {200}, body=body, headers=JSON)

        def cycle(n, s):
            key = data["keys"][n % len(data["keys"])]
            body = json.dumps({"license_key": key, "fingerprint": seed.digest(f"cycle-{time.time_ns()}-{n}")})
            timed(port, s, "POST", "/api/v1/activations", {201}, body=body, headers=JSON)
            timed(port, s, "POST", "/api/v1/deactivate", {200}, body=body, headers=JSON)

        steps["validate"] = validate
        steps["activation cycle"] = cycle
        steps["license list"] = lambda n, s: timed(port, s, "GET", "/licenses/", {200}, headers=session)
        detail = f"/licenses/{data['license_id']}/"
        steps["license detail"] = lambda n, s: timed(port, s, "GET", detail, {200}, headers=session)
        steps["integrator overview"] = lambda n, s: timed(
            port, s, "GET", "/integrators/", {200}, headers=session
        )
    steps["account page"] = lambda n, s: timed(port, s, "GET", "/account/", {200}, headers=session)

    def login(n, s):
        email = f"customer-{n % seed.LOGIN_ACCOUNTS + 1}@{seed.BULK_EMAIL_DOMAIN}"
        started = time.perf_counter()
        status, _ = log_in(port, email, data["password"], csrf)
        s.add(status, time.perf_counter() - started, expected=status == 302)

    steps["login"] = login
    return steps


def argon2_capacity(cores: int, calls: int = 20) -> dict:
    """Password checks per second the cores could do if they did nothing else (CPU time)."""
    from django.contrib.auth.hashers import check_password, make_password

    encoded = make_password("a-long-and-unusual-passphrase")
    samples = []
    for _ in range(calls):
        started = time.process_time()
        check_password("a-long-and-unusual-passphrase", encoded)
        samples.append((time.process_time() - started) * 1000)
    cpu_ms = statistics.median(samples)
    return {"verify_cpu_ms": cpu_ms, "cores": cores, "capacity_per_s": cores * 1000 / cpu_ms}


def admin_timings() -> dict[str, float]:
    """Median time of the staff admin's license list and searches (in-process, like a browser)."""
    from django.conf import settings
    from django.test import Client

    from accounts.models import User
    from accounts.services import create_staff_user
    from licensing.models import License
    from tests import personas

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    staff = User.objects.filter(email="bench-staff@bench.invalid").first()
    if staff is None:
        staff = create_staff_user(email="bench-staff@bench.invalid", password=None, group="Licensing")
        personas.give_totp(staff)
    client = Client()
    client.force_login(staff)
    url = f"/{settings.ADMIN_URL}licensing/license/"
    sample = License.objects.filter(key_sealed="v1:bench").order_by("-created_at")[100]
    member = sample.organization.memberships.select_related("user").first() if sample.organization else None
    owner = member.user.email if member else "nobody@bench.invalid"
    timings = {}
    for label, params in [
        ("first page", {}),
        ("a deep page", {"p": str(max(1, min(200, License.objects.count() // 100 - 1)))}),
        ("status filter", {"status__exact": "suspended"}),
        ("search by key prefix", {"q": sample.key_prefix}),
        ("search by license id", {"q": str(sample.public_id)}),
        ("search by owner email", {"q": owner}),
    ]:
        samples = []
        for _ in range(4):
            started = time.perf_counter()
            status = client.get(url, params, secure=True).status_code
            samples.append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise SystemExit(f"The admin answered {status} for {label}.")
        timings[label] = statistics.median(samples[1:])
    return timings


def run(args: argparse.Namespace) -> None:
    scales = sorted(int(value) for value in args.scale.split(","))
    started = datetime.now(UTC).replace(microsecond=0).isoformat()
    with tempfile.TemporaryDirectory() as workdir:
        env = production_env(workdir, **SERVER_SETTINGS)
        print("Migrating, collecting static files, loading the policies ...", flush=True)
        set_up_here(env)
        from bench import seed

        cores = os.cpu_count() or 1
        argon2 = argon2_capacity(cores)
        print(f"Argon2id verify: {argon2['verify_cpu_ms']:.1f} ms CPU -> {argon2['capacity_per_s']:.0f}/s "
              f"on {cores} cores", flush=True)  # fmt: skip
        runs = []
        data = None
        for scale in scales:
            timings = seed.seed(scale)
            if data is None:
                data = seed.probe(args.probes)
            admin = admin_timings() if seed.licensing_available() else {}
            load_before = os.getloadavg()
            with Server(env, workers=args.workers) as server:
                results = {}
                for name, step in scenarios(server.port, data).items():
                    if args.only and name not in args.only.split(","):
                        continue
                    drive(step, seconds=min(2.0, args.duration), clients=args.clients)  # warm-up
                    cpu = server.cpu_seconds()
                    results[name] = drive(step, seconds=args.duration, clients=args.clients).summary()
                    r = results[name]
                    r["cpu_ms"] = (server.cpu_seconds() - cpu) * 1000 / max(1, r["requests"])
                    print(f"{scale:>9,} {name:20} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:6.1f} ms  "
                          f"p99 {r['p99_ms']:6.1f} ms  CPU {r['cpu_ms']:5.1f} ms/req  "
                          f"unexpected {r['unexpected']} {r['statuses']}", flush=True)  # fmt: skip
            run_result = {
                "licenses": scale,
                "seed": timings,
                "endpoints": results,
                "admin_ms": admin,
                "argon2": argon2,
                "load_before": load_before,
                "load_after": os.getloadavg(),
            }
            runs.append(run_result)
            cpu_shares = report.ratios(run_result, by="cpu")
            for name, share in report.ratios(run_result).items():
                print(
                    f"{scale:>9,} {name:20} share {share:.2f} (by server CPU {cpu_shares[name]:.2f})",
                    flush=True,
                )
            for label, ms in admin.items():
                print(f"{scale:>9,} admin {label:24} {ms:7.0f} ms", flush=True)
    meta = {
        "started": started,
        "command": " ".join(["python -m bench", *sys.argv[1:]]),
        "machine": f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} at the end; "
        f"{args.workers} gunicorn sync workers, {args.clients} client threads, {args.duration:.0f} s each",
    }
    print()
    print(report.table(runs))
    print()
    print(report.admin_table(runs))
    for line in report.growth(runs):
        print(line)
    for path in report.write(runs, meta):
        print(f"Wrote {path.relative_to(ROOT)}")


def seed_only(scale: int) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        set_up_here(production_env(workdir), site=False)
        from bench import seed

        timings = seed.seed(scale)
        print(", ".join(f"{key} {value:.1f}" for key, value in timings.items()))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="seed, serve and measure")
    run_parser.add_argument(
        "--scale", default="1000", help="comma-separated license counts, e.g. 1000,1000000"
    )
    run_parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint")
    run_parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    run_parser.add_argument("--clients", type=int, default=8, help="client threads")
    run_parser.add_argument("--probes", type=int, default=50, help="licenses issued through the services")
    run_parser.add_argument("--only", default="", help="comma-separated endpoint names to measure")
    seed_parser = commands.add_parser("seed", help="only top the database up to a scale")
    seed_parser.add_argument("--scale", type=int, default=1000, help="number of licenses")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own (it is migrated and filled).")
    if args.command == "seed":
        seed_only(args.scale)
    else:
        run(args)


if __name__ == "__main__":
    main()
