"""The one base for every app's refusals: a stable code a program can branch on, and a sentence.

Services raise a subclass of ``DomainError`` (``LicensingError``, ``ContactError`` ...) so
that a caller can tell an app's refusals apart; the API and the CLI show ``code``, pages
show ``message``.
"""

from django.core.exceptions import PermissionDenied


class DomainError(Exception):
    """A refused action: ``code`` is stable; ``message`` is for people (``str()`` gives it too)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ExplainedRefusal(PermissionDenied):
    """A 403 whose message is written for the person refused: the 403 page shows it.

    Plain ``PermissionDenied`` keeps the generic page (its message may be for developers).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
