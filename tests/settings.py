"""Settings for the test suite: the platform's own settings with test doubles.

Only what lies outside a test's control is replaced: password hashing is cheap,
the cache is per process (each test starts empty), and tasks run at once. Tests of
the real parts (shared cache, task worker, SMTP) switch them back explicitly.
"""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DEBUG", "true")  # development defaults; pytest then turns DEBUG off
os.environ.setdefault("MAIL_URL", "locmem://")

from kalytera.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SILENCED_SYSTEM_CHECKS = ["kalytera.E001"]  # the per-process cache above is deliberate
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
ACCOUNT_RATE_LIMITS = False
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Installer files of the tests' releases: a directory of their own, shared by the test processes.
STORAGES["releases"] = {  # noqa: F405
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(Path(tempfile.gettempdir()) / "kalytera-test-release-files")},
}
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "tests" / "templates"]  # noqa: F405
# A fixed signing key, published as the TEST key of docs/test-vectors/.
LICENSE_SIGNING_KEY_DIR = str(BASE_DIR / "docs" / "test-vectors" / "keys")  # noqa: F405
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "licensing.E103"]  # the published test key is deliberate
# Every /api/ error the suite provokes is checked against the OpenAPI document (tests.api_contract).
MIDDLEWARE = ["tests.api_contract.RecordApiErrors", *MIDDLEWARE]  # noqa: F405
