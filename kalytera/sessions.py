"""Sessions stored in the database, encrypted: a dump of ``django_session`` shows no pending code.

Between steps, allauth keeps pending sign-ins, email verification and password-reset codes in
the session. Django only signs what it stores, so anyone reading the table (a backup, a replica)
could read a code and finish someone else's sign-in or reset. This store seals the encoded
session with AES-GCM under a key derived from ``SECRET_KEY``; values sealed under a key in
``SECRET_KEY_FALLBACKS`` still open, so rotating the key signs nobody out. Rows written before
this store was in use are read as they are and sealed on their next save.

Code that reads ``django_session`` rows itself decodes them with ``SessionStore().decode()``:
``Session.get_decoded()`` uses Django's plain store, which cannot open them.

The database is the source of truth; the shared cache keeps a copy of each row (the sealed
text and its expiry, never the open data), so a signed-in page reads its session without a
query. Every save writes the database first, then the copy. Without Redis (or with a copy
missing, after a Redis restart) the row is read from the database, so sessions survive
Redis. A new session's key is drawn without asking the database first: the INSERT
refuses a key in use, and another is drawn. Deleting a session (signing out, "sign out
other sessions", a new key at sign-in) drops the copy first and refuses, with
``CacheUnavailable`` (a 503 page), while Redis cannot be told: a copy left behind would
sign the session in again once Redis answers.
"""

from datetime import datetime

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import get_random_string

from kalytera.cache import keep, kept
from kalytera.sealing import Sealer, SealError, is_sealed

_SEALER = Sealer(setting="SECRET_KEY", fallbacks="SECRET_KEY_FALLBACKS", label="kalytera session v1")
_PURPOSE = "session"


CACHE_PREFIX = "kalytera:session:"


class SessionStore(db.SessionStore):
    _written: tuple[str, datetime] | None = None

    def load(self) -> dict:
        if self.session_key is not None and self._validate_session_key(self.session_key):  # type: ignore[attr-defined]
            copy = kept(CACHE_PREFIX + self.session_key)
            if isinstance(copy, tuple) and len(copy) == 2 and copy[1] > timezone.now():
                return self.decode(copy[0])
        row = self._get_session_from_db()  # type: ignore[attr-defined]
        if row is None:
            return {}
        self._keep(row.session_key, row.session_data, row.expire_date)
        return self.decode(row.session_data)

    def _get_new_session_key(self) -> str:
        # Django asks the database whether a random key is taken before create() inserts it;
        # the insert itself refuses a taken key (create() then draws another), so the
        # question is a query spent on every new session (every sign-in) for nothing.
        return get_random_string(32, VALID_KEY_CHARS)

    def create_model_instance(self, data):
        row = super().create_model_instance(data)
        self._written = (row.session_data, row.expire_date)
        return row

    def save(self, must_create: bool = False) -> None:
        self._written = None
        super().save(must_create)
        if self._written is not None and self.session_key is not None:
            self._keep(self.session_key, *self._written)

    def delete(self, session_key: str | None = None) -> None:
        key = session_key if session_key is not None else self.session_key
        if key is not None:
            cache.delete(CACHE_PREFIX + key)  # raises CacheUnavailable: the row stays, nothing is half done
        super().delete(session_key)

    def require_cache(self) -> None:
        """Raise ``CacheUnavailable`` unless this session's copy could be dropped now (before signing out)."""
        if self.session_key is not None:
            cache.has_key(CACHE_PREFIX + self.session_key)

    @staticmethod
    def _keep(key: str, sealed: str, expires: datetime) -> None:
        seconds = (expires - timezone.now()).total_seconds()
        if seconds > 0:
            keep(CACHE_PREFIX + key, (sealed, expires), seconds)

    def encode(self, session_dict: dict) -> str:
        return _SEALER.seal(_PURPOSE, super().encode(session_dict))

    def decode(self, session_data: str | bytes) -> dict:
        if isinstance(session_data, bytes) or not is_sealed(session_data):
            return super().decode(session_data)
        try:
            return super().decode(_SEALER.unseal(_PURPOSE, session_data))
        except SealError:
            return {}  # as Django answers a session it cannot verify: a new, empty one
