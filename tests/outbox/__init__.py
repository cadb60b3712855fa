"""Reading the queued emails (the outbox) in tests."""

import re

from outbox.models import OutboundEmail

CODE = re.compile(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", re.M)


def emails_to(address: str) -> list[OutboundEmail]:
    return [e for e in OutboundEmail.objects.order_by("pk") if address in e.recipients]


def latest_to(address: str) -> OutboundEmail:
    return emails_to(address)[-1]


def code_in(text: str) -> str:
    """The sign-in or verification code in an email body (allauth's XXXX-XXXX form)."""
    match = CODE.search(text)
    assert match is not None, f"no code in {text!r}"
    return match.group(1)
