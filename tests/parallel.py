"""What keeps the workers of a parallel run apart (``pytest -n 2``, pytest-xdist).

pytest-django gives each worker test databases of its own (``test_<name>_gw0``, ...) and
servers that tests start bind to free ports. Redis is the one thing all workers share,
through the one ``REDIS_URL``: a worker keeps its Redis caches under a key prefix of its
own, and ``cache.clear()`` deletes only the keys under that prefix (``kalytera/cache.py``).
"""

import os


def key_prefix(name: str) -> str:
    """A cache key prefix for this worker ("gw0", "gw1", ...; "main" outside xdist)."""
    return f"{name}-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
