"""What clients get while Redis is stopped or hanging: status codes and median latency.

Starts a production server (gunicorn, 2 sync workers) whose cache is a ``redis-server`` of
its own on a free port, then measures, one request after another, a login with the right
password, a license validation, a policy page and a contact form submission (the login and
the contact form are timed with the GET of their form, which gives the CSRF token):

1. ``running``: Redis answers (through a relay on loopback);
2. ``hanging``: the relay accepts connections and passes nothing on (a hung Redis);
3. ``stopped``: the relay is closed (connections are refused, as by a stopped Redis).

The machine's own Redis is never touched. Needs PostgreSQL (the production gate refuses
SQLite): the database named by ``DATABASE_URL`` is migrated. Run:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kalytera_bench \\
        .venv/bin/python bench/redis_outage.py [--requests 10]

Measured on a 2-core machine shared with other work (status x count, p50 / max in ms):

    before (Django's Redis backend, no fallbacks; 3 requests each):
                 hanging                  stopped
      login      500 x3  5022 / 5039      500 x3  184 / 5116
      validate   500 x3  5008 / 5016      500 x3   13 /   15
      policy     500 x3  5018 / 5164      500 x3   10 /   10
      contact    500 x3  5036 / 5065      500 x3   32 /   53
    after (10 requests each):
      login      503 x10   13 /  267      503 x10   8 /   12
      validate   200 x10   11 /   18      200 x10   5 /   10
      policy     200 x10   12 /   21      200 x10   6 /   10
      contact    302 x10   42 /   57      302 x10  17 /   25

With Redis hanging, the first request of each worker waits the 0.25 s read timeout
(``REDIS_SOCKET_TIMEOUT``); the others skip Redis for ``REDIS_DOWN_SECONDS``.
"""

import argparse
import json
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import HOST, PROXY, RELAXED_LIMITS, Server, free_port, production_env, request, set_up_here


class RedisServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection((HOST, self.port), timeout=0.1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("redis-server did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class RedisLink:
    """A loopback relay in front of Redis that can hang (accept, never answer) or refuse."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.socket()
        self.listener.bind((HOST, 0))
        self.listener.listen(256)
        self.port = self.listener.getsockname()[1]
        self.mode = "forward"  # then "hang", then "refuse"
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.mode != "refuse":
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            if self.mode == "forward":
                upstream = socket.create_connection((HOST, self.upstream_port))
                self.sockets.append(upstream)
                threading.Thread(target=self._relay, args=(client, upstream), daemon=True).start()
                threading.Thread(target=self._relay, args=(upstream, client), daemon=True).start()

    def _relay(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                if self.mode == "forward":
                    target.sendall(chunk)  # otherwise swallowed: a Redis that hangs
        except OSError:
            pass

    def hang(self) -> None:
        self.mode = "hang"

    def refuse(self) -> None:
        self.mode = "refuse"
        self.listener.close()
        for connection in self.sockets:
            connection.close()


def form_post(port: int, page: str, fields: dict) -> int:
    """GET ``page`` for its CSRF token, then POST ``fields`` to it; returns the POST's status."""
    _, headers, body = request(port, "GET", page, headers=PROXY)
    cookie = next(v.split(";", 1)[0] for k, v in headers if k.lower() == "set-cookie" and "csrftoken" in v)
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if found is None:
        raise SystemExit(f"{page} shows no form (status {request(port, 'GET', page, headers=PROXY)[0]})")
    token = found.group(1).decode()
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields})
    post_headers = {
        **PROXY,
        "Cookie": cookie,
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": f"https://{HOST}",
        "Referer": f"https://{HOST}{page}",
    }
    return request(port, "POST", page, body=form, headers=post_headers)[0]


def measure(port: int, data: dict, count: int) -> dict[str, tuple[Counter, list[float]]]:
    from contact import spam

    key, fingerprint = data["activated"][0]
    validate = json.dumps({"license_key": key, "fingerprint": fingerprint})
    contact = {
        "name": "Ada Lovelace",
        "email": "ada@analytical.example",
        "topic": "support",
        "message": "Camera 3 drops its stream every night at 02:00. What can we check?",
        "website": "",
    }
    actions = {
        "login": lambda: form_post(
            port, "/accounts/login/", {"login": data["customer"], "password": data["password"]}
        ),
        "validate": lambda: request(
            port, "POST", "/api/v1/validate", body=validate, headers={"Content-Type": "application/json"}
        )[0],
        "policy": lambda: request(port, "GET", "/legal/privacy/", headers=PROXY)[0],
        "contact": lambda: form_post(
            port, "/contact/", {**contact, "form_token": spam.issue_token(now=time.time() - 30)}
        ),
    }
    results = {}
    for name, action in actions.items():
        statuses: Counter[int | str] = Counter()
        times: list[float] = []
        for _ in range(count):
            started = time.perf_counter()
            try:
                statuses[action()] += 1
            except OSError:
                statuses["timeout"] += 1
            times.append((time.perf_counter() - started) * 1000)
        results[name] = (statuses, times)
    return results


def report(phase: str, results: dict[str, tuple[Counter, list[float]]]) -> None:
    print(f"{phase}:")
    for name, (statuses, times) in results.items():
        shown = ", ".join(f"{status} x{n}" for status, n in sorted(statuses.items(), key=str))
        print(f"  {name:9} {shown:24} p50 {statistics.median(times):8.1f} ms  max {max(times):8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10, help="requests of each kind per phase")
    args = parser.parse_args()
    if not shutil.which("redis-server"):
        raise SystemExit("needs redis-server")
    workdir = tempfile.mkdtemp(prefix="kalytera-redis-outage-")
    redis_server = RedisServer()
    link = RedisLink(redis_server.port)
    limits = {**RELAXED_LIMITS, "CONTACT_RATE_LIMITS": "100000/m", "CONTACT_ACK_RATE_LIMIT": "100000/m"}
    try:
        env = production_env(workdir, REDIS_URL=f"redis://{HOST}:{link.port}/0", **limits)
        set_up_here(env)
        from bench import seed

        data = seed.probe(1)
        with Server(env, workers=2, log=Path(workdir) / "server.log") as server:
            measure(server.port, data, 2)  # warm the workers
            report("running", measure(server.port, data, args.requests))
            link.hang()
            report("hanging", measure(server.port, data, args.requests))
            link.refuse()
            report("stopped", measure(server.port, data, args.requests))
    finally:
        link.refuse()
        redis_server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
