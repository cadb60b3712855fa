"""The benchmark's reference endpoints exist only where the benchmark turns them on."""

import importlib

import pytest
from django.core.checks import run_checks
from django.urls import clear_url_caches

import kalytera.urls

pytestmark = pytest.mark.django_db


@pytest.fixture
def reload_urls(settings):
    def reload(enabled: bool) -> None:
        settings.BENCHMARK_ENDPOINTS = enabled
        importlib.reload(kalytera.urls)
        clear_url_caches()

    yield reload
    settings.BENCHMARK_ENDPOINTS = False
    importlib.reload(kalytera.urls)
    clear_url_caches()


def test_the_endpoints_are_absent_by_default(client, settings):
    assert settings.BENCHMARK_ENDPOINTS is False
    assert client.get("/_benchmark/json").status_code == 404
    assert client.get("/_benchmark/queries").status_code == 404


def test_the_benchmark_flag_mounts_them(client, reload_urls, django_assert_num_queries):
    reload_urls(True)
    assert client.get("/_benchmark/json").json() == {"ok": True}
    with django_assert_num_queries(3):
        assert client.get("/_benchmark/queries").status_code == 200
    assert client.post("/_benchmark/json").status_code == 405


def test_deploy_checks_warn_while_they_are_mounted(settings):
    settings.BENCHMARK_ENDPOINTS = True
    assert "kalytera.W003" in [message.id for message in run_checks(include_deployment_checks=True)]
    settings.BENCHMARK_ENDPOINTS = False
    assert "kalytera.W003" not in [message.id for message in run_checks(include_deployment_checks=True)]
