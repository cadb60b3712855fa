"""What every benchmark script shares: a production server on loopback and a load driver.

``production_env`` is the environment of a real deployment with throwaway secrets (DEBUG
off, HTTPS site URL, the Argon2id hasher, a signing key, SMTP mail), adjusted only for
loopback: no HTTPS redirect, and one trusted proxy so that a request can say which client
it comes from. ``Server`` runs gunicorn with it; ``drive`` sends requests from client
threads for a bounded time and ``Stats`` summarises them. Only 127.0.0.1 is used.
"""

import ctypes
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"
PROXY = {"X-Forwarded-Proto": "https"}
STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def production_env(workdir: str, **extra: str) -> dict[str, str]:
    """Production settings with throwaway secrets, for a server on 127.0.0.1.

    ``workdir`` (a temporary directory) receives the collected static files and a new
    license signing key.
    """
    keys = Path(workdir) / "signing-keys"
    if not keys.exists():
        subprocess.run(
            [PYTHON, "manage.py", "generate_signing_key", "--activate", "--dir", str(keys)],
            cwd=ROOT,
            env={**os.environ, "DEBUG": "true"},
            check=True,
            capture_output=True,
        )
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kalytera.settings",
        "DEBUG": "false",
        # Fixed, so that sessions stored by an earlier run still decode; never used elsewhere.
        "SECRET_KEY": "bench-only-secret-key-bench-only-secret-key-0123456789",
        "ALLOWED_HOSTS": HOST,
        "SITE_URL": f"https://{HOST}",
        "SECURE_SSL_REDIRECT": "false",
        "MAIL_URL": "smtp://127.0.0.1:9",  # the discard port: queued mail stays in the outbox
        "TRUSTED_PROXY_COUNT": "1",
        "STATIC_ROOT": str(Path(workdir) / "static"),
        "LOG_LEVEL": "WARNING",
        "PRIVACY_PEPPER": "bench-privacy-pepper-" + "p" * 32,
        "LICENSING_PEPPER": "bench-pepper-Qx7vN2pLk9sT4wZ8mR1cY6bH3jD5fG0a",
        "LICENSING_ENCRYPTION_SECRET": "bench-seal-Wm4tP9kR2xN7vL1sQ8zC5bY3hJ6dF0gA",
        "TWO_FACTOR_ENCRYPTION_SECRET": "bench-two-factor-Tq8vN2pLk9sT4wZ8mR1cY6bH3jD5f",
        "LICENSE_SIGNING_KEY_DIR": str(keys),
        "PYTHONWARNINGS": "ignore",
        **extra,
    }


# Lifted on the servers the benchmarks start, or the limits would be what is measured.
RELAXED_LIMITS = {
    "LICENSING_API_RATE_PER_ADDRESS": "100000000/m",
    "LICENSING_API_RATE_PER_LICENSE": "100000000/m",
    "PASSWORD_CHECK_RATE_LIMIT": "100000/s",
}


def set_up_here(env: dict[str, str], *, site: bool = True) -> None:
    """Migrate the database of ``env`` and run Django in this process with its settings.

    ``site``: also collect the static files and load the policy texts, which a server
    started with ``env`` needs for its pages.
    """
    manage(env, "migrate", "--noinput")
    if site:
        manage(env, "collectstatic", "--noinput")
        manage(env, "load_policies")
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def manage(env: dict[str, str], *command: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def _stop_servers_on_termination() -> None:
    """Turn SIGTERM and SIGHUP into SystemExit, so that ``with Server(...)`` blocks stop their server.

    Python's default for these signals ends the process at once, leaving gunicorn running.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is signal.SIG_DFL:
            signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))


def _terminate_with_parent() -> None:
    """In the server's process, before gunicorn starts: SIGTERM it when the harness dies,
    even by SIGKILL, which leaves the harness no chance to stop it (Linux)."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Server:
    """gunicorn with ``workers`` sync workers; stopped with its whole process group on every
    exit of the harness (normal, exception, SIGTERM, SIGHUP, even SIGKILL)."""

    def __init__(
        self, env: dict[str, str], *, workers: int = 2, port: int | None = None, log: Path | None = None
    ) -> None:
        self.env = env
        self.log = log  # where the server's output goes (default: this terminal)
        self.workers = workers
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> "Server":
        _stop_servers_on_termination()
        output = self.log.open("wb") if self.log else None
        self.process = subprocess.Popen(
            [
                *(PYTHON, "-m", "gunicorn", "kalytera.wsgi", "--bind", f"{HOST}:{self.port}"),
                *("--workers", str(self.workers), "--worker-class", "sync", "--timeout", "60"),
                *("--log-level", "warning", "--no-control-socket"),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=output,
            stderr=subprocess.STDOUT if output else None,
            start_new_session=True,
            preexec_fn=_terminate_with_parent,
        )
        if output:
            output.close()  # the server keeps its own copy
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            try:
                if request(self.port, "GET", "/healthz")[0] == 200:
                    return self
            except OSError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise SystemExit("The server did not start.")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the workers have used so far, from /proc.

        Unlike throughput, this hardly changes when other work shares the machine.
        """
        assert self.process is not None
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        pid = self.process.pid
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            try:
                fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        return total

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def request(
    port: int, method: str, path: str, body: bytes | str = b"", headers: dict | None = None
) -> tuple[int, list[tuple[str, str]], bytes]:
    """One request on a new connection (gunicorn's sync workers close it after each answer)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request(method, path, body=body or None, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


class Stats:
    """Latencies and statuses of one measurement, from many threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.unexpected = 0
        self.errors = 0
        self.seconds = 0.0

    def add(self, status: int, seconds: float, *, expected: bool = True) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            self.unexpected += not expected

    def error(self) -> None:
        with self.lock:
            self.errors += 1

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))]

    def summary(self) -> dict:
        return {
            "requests": len(self.latencies),
            "rps": len(self.latencies) / self.seconds if self.seconds else 0.0,
            "p50_ms": statistics.median(self.latencies) * 1000 if self.latencies else 0.0,
            "p99_ms": self.percentile(0.99) * 1000,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "unexpected": self.unexpected,
            "errors": self.errors,
        }


def drive(
    step: Callable[[int, Stats], None], *, seconds: float, clients: int, stop: threading.Event | None = None
) -> Stats:
    """Run ``step(n, stats)`` from ``clients`` threads for ``seconds`` (or until ``stop`` is set)."""
    stats = Stats()
    stop_at = time.monotonic() + seconds
    stop = stop or threading.Event()
    counter = iter(range(1 << 62))
    counter_lock = threading.Lock()

    def worker() -> None:
        while time.monotonic() < stop_at and not stop.is_set():
            with counter_lock:
                n = next(counter)
            try:
                step(n, stats)
            except OSError:
                stats.error()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    begun = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    stats.seconds = time.monotonic() - begun
    return stats


def timed(port: int, stats: Stats, method: str, path: str, expect: set[int], **kwargs) -> tuple:
    """Send one request, record its latency and whether its status was expected."""
    started = time.perf_counter()
    status, headers, body = request(port, method, path, **kwargs)
    stats.add(status, time.perf_counter() - started, expected=status in expect)
    return status, headers, body
