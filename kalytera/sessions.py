"""Sessions stored in the database, encrypted: a dump of ``django_session`` shows no pending code.

Between steps, allauth keeps pending sign-ins, email verification and password-reset codes in
the session. Django only signs what it stores, so anyone reading the table (a backup, a replica)
could read a code and finish someone else's sign-in or reset. This store seals the encoded
session with AES-GCM under a key derived from ``SECRET_KEY``; values sealed under a key in
``SECRET_KEY_FALLBACKS`` still open, so rotating the key signs nobody out. Rows written before
this store was in use are read as they are and sealed on their next save.

Code that reads ``django_session`` rows itself decodes them with ``SessionStore().decode()``:
``Session.get_decoded()`` uses Django's plain store, which cannot open them.
"""

from django.contrib.sessions.backends import db

from kalytera.sealing import Sealer, SealError, is_sealed

_SEALER = Sealer(setting="SECRET_KEY", fallbacks="SECRET_KEY_FALLBACKS", label="kalytera session v1")
_PURPOSE = "session"


class SessionStore(db.SessionStore):
    def encode(self, session_dict: dict) -> str:
        return _SEALER.seal(_PURPOSE, super().encode(session_dict))

    def decode(self, session_data: str | bytes) -> dict:
        if isinstance(session_data, bytes) or not is_sealed(session_data):
            return super().decode(session_data)
        try:
            return super().decode(_SEALER.unseal(_PURPOSE, session_data))
        except SealError:
            return {}  # as Django answers a session it cannot verify: a new, empty one
