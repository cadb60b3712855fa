"""The one base for every app's refusals: a stable code a program can branch on, and a sentence.

Services raise a subclass of ``DomainError`` (``LicensingError``, ``ContactError`` ...) so
that a caller can tell an app's refusals apart; the API and the CLI show ``code``, pages
show ``message``.
"""


class DomainError(Exception):
    """A refused action: ``code`` is stable; ``message`` is for people (``str()`` gives it too)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
