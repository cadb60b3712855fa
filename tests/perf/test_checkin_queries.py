"""A VMS check-in (validate) writes to the machine's row only when something changed, and the
activate/deactivate cycle costs the same few queries however long the license's history is."""

import hashlib
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
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
    key = services.issue_license(plan=plan, organization=None, actor=services.Actor.system()).key
    services.activate_machine(key=key, fingerprint=digest("server"), product_version="6.2.0")
    return key


def activation_writes(**check_in) -> int:
    with CaptureQueriesContext(connection) as queries:
        services.validate(fingerprint=digest("server"), **check_in)
    return sum(q["sql"].startswith('UPDATE "licensing_activation"') for q in queries.captured_queries)


def test_a_fresh_check_in_sends_no_update_of_the_machine(key):
    assert activation_writes(key=key, product_version="6.2.0") == 0
    assert activation_writes(key=key) == 0


def test_a_stale_check_in_or_a_new_version_is_written(key):
    later = timezone.now() + timedelta(minutes=20)
    assert activation_writes(key=key, now=later) == 1
    assert Activation.objects.get().last_seen_at == later
    assert activation_writes(key=key, product_version="6.3.0", now=later) == 1
    assert Activation.objects.get().product_version == "6.3.0"


def test_with_redis_a_fresh_check_in_is_one_query_and_writes_nothing(key, redis_as_default_cache):
    with CaptureQueriesContext(connection) as queries:
        result = services.validate(key=key, fingerprint=digest("server"), product_version="6.2.0")
    assert result.code == "VALID"
    assert len(queries) == 1 and queries[0]["sql"].startswith("SELECT")


@pytest.mark.postgres  # only PostgreSQL runs the compiled SQL (kalytera.prepared)
def test_the_compiled_check_in_lookup_gives_what_the_orm_gives(key):
    from licensing import keys
    from licensing.services.machines import _ACTIVE_MACHINE

    Plan.objects.update(features=["analytics", "lpr"])
    Activation.objects.update(component_hashes=["a" * 64, "b" * 64])
    key_hash, fingerprint = keys.lookup_hash(keys.normalize(key)), services.fingerprint_hash(digest("server"))
    found = _ACTIVE_MACHINE.first(key_hash=key_hash, fingerprint_hash=fingerprint)
    expected = Activation.objects.select_related("license__plan__product").get(fingerprint_hash=fingerprint)
    for mine, theirs in [
        (found, expected),
        (found.license, expected.license),
        (found.license.plan, expected.license.plan),
        (found.license.plan.product, expected.license.plan.product),
    ]:
        fields = [f.attname for f in type(theirs)._meta.concrete_fields]
        assert {f: getattr(mine, f) for f in fields} == {f: getattr(theirs, f) for f in fields}
    assert found.license.plan.features == ["analytics", "lpr"]
    assert _ACTIVE_MACHINE.first(key_hash=key_hash, fingerprint_hash=digest("another")) is None


def cycle_queries(key: str, n: int) -> int:
    fingerprint = digest(f"cycle-{n}")
    with CaptureQueriesContext(connection) as queries:
        services.activate_machine(key=key, fingerprint=fingerprint)
        services.deactivate_machine(key=key, fingerprint=fingerprint)
    return len(queries)


def test_the_activation_cycle_does_not_grow_with_the_license_history(key):
    Plan.objects.update(moves_per_year=1000, max_machines=2)
    first = cycle_queries(key, 0)
    for n in range(1, 30):
        cycle_queries(key, n)
    assert cycle_queries(key, 99) == first
    # lock, list the machines, insert, event; lock, find the machine, count moves, update, event;
    # plus a savepoint and its release around each (the test itself runs in a transaction)
    assert first == 9 + 4


def test_the_move_allowance_counts_no_further_than_it_needs(key):
    Plan.objects.update(moves_per_year=3, max_machines=2)
    for n in range(3):
        cycle_queries(key, n)
    fingerprint = digest("one-too-many")
    services.activate_machine(key=key, fingerprint=fingerprint)
    with pytest.raises(services.LicensingError) as refused:
        services.deactivate_machine(key=key, fingerprint=fingerprint)
    assert refused.value.code == "MOVE_LIMIT"
    from licensing.models import License, LicenseEvent

    license = License.objects.get()
    assert services.moves_left(license) == 0
    counted = services.events_in_last_year(license, LicenseEvent.Kind.DEACTIVATED, timezone.now(), up_to=2)
    assert counted == 2
