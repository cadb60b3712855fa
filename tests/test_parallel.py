"""The suite runs in parallel (``pytest -n``): every worker collects the same tests and keeps
to its own Redis keys (``tests/parallel.py``)."""

import subprocess
import sys

import pytest

from tests import parallel
from tests.servers import ROOT


def collected_ids() -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return [line for line in result.stdout.splitlines() if "::" in line]


@pytest.mark.slow
def test_two_collections_name_the_same_tests():
    """xdist refuses to run when its workers collect different ids (e.g. ids made from the time)."""
    first = collected_ids()
    assert first
    assert collected_ids() == first


def test_each_worker_has_a_key_prefix_of_its_own(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    first = parallel.key_prefix("cache")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    assert parallel.key_prefix("cache") != first
