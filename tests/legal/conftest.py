from datetime import timedelta

import pytest
from django.utils import timezone

from legal.models import Policy, PolicyVersion
from tests.legal.versions import release


@pytest.fixture
def terms(db) -> Policy:
    return Policy.objects.get(slug=Policy.Slug.TERMS)


@pytest.fixture
def privacy(db) -> Policy:
    return Policy.objects.get(slug=Policy.Slug.PRIVACY)


@pytest.fixture
def terms_v1(terms) -> PolicyVersion:
    return release(
        terms,
        number=1,
        effective_at=timezone.now() - timedelta(days=60),
        body="## Licenses\n\nYou may run the software on one server.",
    )


@pytest.fixture
def privacy_v1(privacy) -> PolicyVersion:
    return release(
        privacy,
        number=1,
        effective_at=timezone.now() - timedelta(days=60),
        body="## Cookies\n\nWe set a session cookie.",
    )
