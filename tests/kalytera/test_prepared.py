"""A lookup compiled once gives what the ORM gives, with fresh values on every call."""

import uuid
from datetime import datetime, timedelta

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.db.models import CharField, Exists, F, OuterRef, UUIDField, Value
from django.db.models.functions import Cast
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kalytera.prepared import PreparedLookup, PreparedRows

# Only PostgreSQL runs the compiled SQL; on SQLite every call goes through the ORM, so there
# these tests would compare the ORM with itself.
pytestmark = pytest.mark.postgres

ADDRESS = PreparedLookup(
    EmailAddress,
    lambda email: (
        EmailAddress.objects.select_related("user").filter(email=email, verified=True).order_by()[:1]
    ),
    email=str,
)


def _fields(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def test_it_returns_the_same_objects_as_the_orm(customer, other_customer):
    for person in (customer, other_customer):
        expected = EmailAddress.objects.select_related("user").get(email=person.email)
        found = ADDRESS.first(email=person.email)
        assert _fields(found) == _fields(expected)
        assert _fields(found.user) == _fields(expected.user)
        assert found._state.adding is False and found.user._state.adding is False


def test_the_related_object_comes_with_the_one_query(customer):
    with CaptureQueriesContext(connection) as queries:
        found = ADDRESS.first(email=customer.email)
        assert found.user.email == customer.email
    assert len(queries) == 1


@pytest.mark.parametrize("value", ["nobody@example.com", "' OR '1'='1", "%", ""])
def test_values_are_parameters_never_sql(customer, value):
    assert ADDRESS.first(email=value) is None


@pytest.mark.django_db(transaction=True)
def test_it_survives_a_new_database_connection(customer):
    ADDRESS.first(email=customer.email)
    connection.close()
    assert ADDRESS.first(email=customer.email).user == customer


def test_a_value_that_is_not_a_query_parameter_is_refused(db):
    lookup = PreparedLookup(
        EmailAddress, lambda email, other: EmailAddress.objects.filter(email=email), email=str, other=str
    )
    with pytest.raises(ValueError, match="query parameter"):
        lookup.first(email="a@example.com", other="b")


def test_all_returns_every_row_in_the_querysets_order(customer, other_customer):
    everyone = PreparedLookup(
        EmailAddress,
        lambda user_id: (
            EmailAddress.objects.select_related("user").filter(user_id__gte=user_id).order_by("email")
        ),
        user_id=int,
    )
    expected = list(EmailAddress.objects.order_by("email"))
    found = everyone.all(user_id=0)
    assert [a.pk for a in found] == [a.pk for a in expected] and len(found) == 2
    assert [a.user.email for a in found] == [a.email for a in expected]
    assert everyone.all(user_id=10**9) == []


def test_annotations_and_values_used_twice_come_back_as_from_the_orm(customer, other_customer):
    def build(user_id):
        # the annotation repeated in the filter puts ``user_id`` in the SQL twice
        mine = Exists(EmailAddress.objects.filter(pk=OuterRef("pk"), user_id=user_id))
        return EmailAddress.objects.annotate(mine=mine, doubled=F("user_id") * 2).filter(mine=True)

    lookup = PreparedLookup(EmailAddress, build, user_id=int)
    for person in (customer, other_customer):
        (expected,) = build(person.pk)
        (found,) = lookup.all(user_id=person.pk)
        assert _fields(found) == _fields(expected)
        assert (found.mine, found.doubled) == (expected.mine, expected.doubled) == (True, person.pk * 2)


def test_a_uuid_value_is_a_parameter(customer):
    lookup = PreparedLookup(
        EmailAddress,
        lambda token: EmailAddress.objects.filter(email=Cast(Value(token, UUIDField()), CharField())),
        token=uuid.UUID,
    )
    assert lookup.first(token=uuid.uuid4()) is None
    EmailAddress.objects.filter(user=customer).update(email="0e4c1c1a-7d4c-4e7f-8a59-2f0d5b3c9a10")
    assert lookup.first(token=uuid.UUID("0e4c1c1a-7d4c-4e7f-8a59-2f0d5b3c9a10")).user == customer


def test_a_value_may_be_a_moment_and_appear_more_than_once(customer, other_customer):
    joined = PreparedLookup(
        EmailAddress,
        lambda at: (
            EmailAddress.objects.filter(user__date_joined__lte=at)
            .exclude(user__last_login__gt=at)
            .order_by("email")
        ),
        at=datetime,
    )
    assert [a.email for a in joined.all(at=timezone.now())] == sorted([customer.email, other_customer.email])
    assert joined.all(at=customer.date_joined - timedelta(days=1)) == []


def test_other_kinds_of_value_are_refused():
    with pytest.raises(TypeError, match="str, int, datetime, UUID or list"):
        PreparedLookup(EmailAddress, lambda ok: EmailAddress.objects.filter(verified=ok), ok=bool)


def _addresses(email):
    addresses = EmailAddress.objects.filter(email=email).values_list("email", "verified")
    return addresses.union(addresses.filter(verified=True), all=True)


ADDRESS_ROWS = PreparedRows(EmailAddress, _addresses, email=str)


@pytest.mark.parametrize("value", ["nobody@example.com", "' OR '1'='1", "%", ""])
def test_prepared_rows_give_the_orms_rows_with_a_value_used_twice(customer, value):
    assert ADDRESS_ROWS.all(email=customer.email) == list(_addresses(customer.email))
    assert len(ADDRESS_ROWS.all(email=customer.email)) == 2  # the union's both parts
    assert ADDRESS_ROWS.all(email=value) == []
