"""Environment values turned into settings (kalytera/config.py) and the shared-cache check."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from kalytera.checks import check_mail_configured, check_shared_cache
from kalytera.config import cache_settings, enforce_production_settings, mailer_settings

SMTP = "django.core.mail.backends.smtp.EmailBackend"


def test_smtp_url_with_starttls_and_credentials():
    mailer = mailer_settings("smtp://user%40example.com:p%40ss@mail.example.com:587?tls=1&timeout=5")[
        "default"
    ]
    assert mailer["BACKEND"] == SMTP
    assert mailer["OPTIONS"] == {
        "host": "mail.example.com",
        "port": 587,
        "timeout": 5,
        "username": "user@example.com",
        "password": "p@ss",
        "use_tls": True,
    }


def test_smtps_url_uses_implicit_tls_on_465_by_default():
    options = mailer_settings("smtps://mail.example.com")["default"]["OPTIONS"]
    assert options["port"] == 465
    assert options["use_ssl"] is True
    assert "use_tls" not in options


def test_console_and_empty_mail_urls():
    assert mailer_settings("console://")["default"]["BACKEND"].endswith("console.EmailBackend")
    assert mailer_settings("") == {}


def test_unknown_mail_scheme_is_refused_with_the_choices():
    with pytest.raises(ImproperlyConfigured, match="smtp"):
        mailer_settings("sendmail://localhost")


def test_cache_is_redis_when_configured_else_the_database():
    redis = cache_settings("redis://redis:6379/0", "site-a")["default"]
    assert redis["BACKEND"].endswith("RedisCache")
    assert redis["KEY_PREFIX"] == "site-a"
    database = cache_settings("")["default"]
    assert database["BACKEND"].endswith("DatabaseCache")
    assert database["OPTIONS"]["MAX_ENTRIES"] >= 100_000


def test_production_gate_lists_every_problem_at_once():
    with pytest.raises(ImproperlyConfigured) as caught:
        enforce_production_settings(
            secret_key="",
            allowed_hosts=[],
            site_url="http://x",
            database_engine="django.db.backends.sqlite3",
            mailers={},
        )
    message = str(caught.value)
    assert message.count("\n  - ") == 5
    assert "README.md" in message
    assert "In a development checkout, set DEBUG=true" in message  # what a developer running manage.py needs


def test_production_gate_accepts_a_valid_configuration():
    enforce_production_settings(
        secret_key="k" * 25 + "Q9-x_" * 6,
        allowed_hosts=["platform.example"],
        site_url="https://platform.example",
        database_engine="django.db.backends.postgresql",
        mailers=mailer_settings("smtp://mail.example:587?tls=1"),
    )


def test_per_process_cache_is_reported(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [error.id for error in check_shared_cache(None)] == ["kalytera.E001"]
    settings.CACHES = cache_settings("")
    assert check_shared_cache(None) == []


def test_missing_smtp_server_is_reported_by_the_deploy_check(settings):
    settings.MAILERS = mailer_settings("console://")
    assert [error.id for error in check_mail_configured(None)] == ["kalytera.E002"]
    settings.MAILERS = mailer_settings("smtp://mail.example")
    assert check_mail_configured(None) == []


def test_malformed_password_check_rate_is_reported(settings):
    from kalytera.checks import check_password_check_rate

    settings.PASSWORD_CHECK_RATE_LIMIT = "40 per second"
    assert [error.id for error in check_password_check_rate(None)] == ["kalytera.E003"]
    settings.PASSWORD_CHECK_RATE_LIMIT = "40/s"
    assert check_password_check_rate(None) == []


def test_installers_go_to_a_directory_unless_a_bucket_is_named():
    from kalytera.config import release_storage

    local = release_storage(directory="/srv/files", bucket="", endpoint_url="", region="", prefix="releases")
    assert local == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": "/srv/files"},
    }
    bucket = release_storage(
        directory="/srv/files",
        bucket="kalytera-installers",
        endpoint_url="https://minio.internal:9000",
        region="eu-central-1",
        prefix="/releases/",
    )
    assert bucket["BACKEND"] == "storages.backends.s3.S3Storage"
    assert bucket["OPTIONS"] == {
        "bucket_name": "kalytera-installers",
        "location": "releases",
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
        "max_memory_size": 8 * 1024 * 1024,
        "endpoint_url": "https://minio.internal:9000",
        "region_name": "eu-central-1",
    }


def test_the_bucket_storage_loads():
    from django.core.files.storage.handler import StorageHandler

    from kalytera.config import release_storage

    options = release_storage(directory="", bucket="b", endpoint_url="", region="eu-central-1", prefix="p")
    storage = StorageHandler({"releases": options})["releases"]
    assert storage.bucket_name == "b" and storage.location == "p"
