"""bin/test finds the local PostgreSQL and Redis servers by itself, as a developer runs it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parents[2]


def found_services(**env: str) -> list[str]:
    base = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    script = 'source bin/_services.sh; echo "${DATABASE_URL:-}"; echo "${REDIS_URL:-}"'
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env={**base, "VENV_PY": sys.executable, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.splitlines()


def local_redis_answers() -> bool:
    try:
        return bool(redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def test_bin_test_uses_the_local_redis_in_a_database_ci_does_not_use():
    if not local_redis_answers():
        pytest.skip("no Redis on 127.0.0.1:6379")
    assert found_services()[1] == "redis://127.0.0.1:6379/13"
    assert "6379/13" not in (ROOT / ".ci" / "run").read_text()


def test_bin_test_keeps_the_urls_it_is_given():
    given = {"DATABASE_URL": "sqlite:///given.db", "REDIS_URL": "redis://redis.example:6379/2"}
    assert found_services(**given) == list(given.values())
