"""The benchmark harness never leaves its gunicorn behind, however it is stopped."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

# A harness in miniature: starts the benchmark server, says its pid, then works until stopped.
HARNESS = """
import sys, time
from bench.common import Server
with Server(dict(__import__("os").environ), workers=1) as server:
    print(server.process.pid, flush=True)
    time.sleep(120)
"""


def _default_hangup() -> None:
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"  # exited, waiting to be reaped


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL])
def test_the_server_stops_when_the_harness_is_stopped(sig, tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KALYTERA_")},
        "DJANGO_SETTINGS_MODULE": "kalytera.settings",
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "LOG_LEVEL": "WARNING",
    }
    harness = subprocess.Popen(
        [sys.executable, "-c", HARNESS],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        # As started from a terminal: under nohup the suite ignores SIGHUP, and so would the
        # harness (rightly: a harness started with nohup should outlive its terminal).
        preexec_fn=_default_hangup,
    )
    server_pid = None
    try:
        server_pid = int(harness.stdout.readline())
        assert not _gone(server_pid)
        harness.send_signal(sig)
        harness.wait(timeout=30)
        deadline = time.monotonic() + 20
        while not _gone(server_pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _gone(server_pid), f"gunicorn {server_pid} still runs after {sig.name} to the harness"
    finally:
        harness.kill()
        if server_pid and not _gone(server_pid):
            os.killpg(server_pid, signal.SIGKILL)  # leave nothing behind when the test fails
