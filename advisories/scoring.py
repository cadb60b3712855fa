"""CVSS v3.1: the base score and severity of a vector, computed by the maintained ``cvss`` library."""

from decimal import Decimal

from cvss import CVSS3
from cvss.exceptions import CVSS3Error

from kalytera.errors import DomainError


def score(vector: str) -> tuple[Decimal, str, str]:
    """``(base score, severity, normalised vector)`` of a CVSS v3.1 vector; ``DomainError`` if invalid."""
    text = vector.strip()
    if not text.startswith("CVSS:3.1/"):
        raise DomainError(
            "advisories.cvss_version",
            "Write a CVSS v3.1 vector starting with CVSS:3.1/, e.g. "
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H.",
        )
    try:
        cvss = CVSS3(text)
    except CVSS3Error as error:
        raise DomainError("advisories.cvss_invalid", f"The CVSS vector is not valid: {error}") from None
    return Decimal(str(cvss.scores()[0])), cvss.severities()[0].lower(), cvss.clean_vector()
