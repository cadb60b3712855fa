"""Settings for the app server processes that tests start (see ``tests/servers.py``).

The test settings, with what makes separate processes act as one site: the shared
cache (Redis when ``REDIS_URL`` is set, else the database cache) under a key prefix of
the test's own (``CACHE_KEY_PREFIX``), allauth's real rate limits, and email left in
the outbox for the test to read. ``DEBUG`` is off, as pytest-django sets it for the
test process.
"""

from kalytera import settings as platform
from kalytera.config import cache_settings
from tests.settings import *  # noqa: F403

DEBUG = False
CACHES = cache_settings(platform.REDIS_URL, platform.CACHE_KEY_PREFIX)
SILENCED_SYSTEM_CHECKS = []
ACCOUNT_RATE_LIMITS = platform.ACCOUNT_RATE_LIMITS
# Queued email stays pending in the outbox, where tests read it (tests/outbox.py).
TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
# No collected static files here: WhiteNoise serves them from the source folders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
