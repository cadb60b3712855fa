from decimal import Decimal

import pytest

from advisories.scoring import score
from kalytera.errors import DomainError


def test_the_score_and_severity_come_from_the_vector():
    assert score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")[:2] == (Decimal("9.8"), "critical")
    assert score(" CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:U/C:L/I:L/A:N ")[:2] == (Decimal("4.6"), "medium")


@pytest.mark.parametrize(
    ("vector", "code"),
    [
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "advisories.cvss_version"),
        ("AV:N/AC:L", "advisories.cvss_version"),
        ("CVSS:3.1/AV:N/AC:L/PR:N", "advisories.cvss_invalid"),
        ("CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "advisories.cvss_invalid"),
    ],
)
def test_an_invalid_vector_is_refused_with_a_reason(vector, code):
    with pytest.raises(DomainError) as refused:
        score(vector)
    assert refused.value.code == code
