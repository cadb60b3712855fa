"""A VMS check-in (validate) costs one query unless something must be written."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from licensing import services
from licensing.models import Activation, Plan, Product

pytestmark = pytest.mark.django_db


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def key(db, settings) -> str:
    settings.LICENSING_CHECKIN_WRITE_SECONDS = 900
    product = Product.objects.create(slug="kalytera-vms", name="Kalytera VMS")
    plan = Plan.objects.create(
        product=product,
        code="pro-1y",
        name="Pro",
        kind=Plan.Kind.SUBSCRIPTION,
        duration_days=365,
        channels=32,
    )
    key = services.issue_license(plan=plan, owner=None, actor=services.Actor.system()).key
    services.activate_machine(key=key, fingerprint=digest("server"), product_version="6.2.0")
    return key


def test_a_fresh_check_in_is_one_query(key, django_assert_num_queries):
    with django_assert_num_queries(1):
        result = services.validate(key=key, fingerprint=digest("server"), product_version="6.2.0")
    assert result.valid


def test_a_stale_check_in_or_a_new_version_is_written(key, django_assert_num_queries):
    later = timezone.now() + timedelta(minutes=20)
    with django_assert_num_queries(2):
        services.validate(key=key, fingerprint=digest("server"), now=later)
    assert Activation.objects.get().last_seen_at == later
    with django_assert_num_queries(2):
        services.validate(key=key, fingerprint=digest("server"), product_version="6.3.0", now=later)
    assert Activation.objects.get().product_version == "6.3.0"
