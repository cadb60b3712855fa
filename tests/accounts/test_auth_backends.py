"""The signed-in user is loaded by a compiled lookup: the same user, the same refusals."""

from django.contrib.auth import BACKEND_SESSION_KEY
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.auth_backends import AuthenticationBackend
from accounts.models import User


def _fields(user: User) -> dict:
    return {field.attname: getattr(user, field.attname) for field in user._meta.concrete_fields}


def test_it_loads_the_user_the_orm_loads_in_one_query(customer, other_customer):
    backend = AuthenticationBackend()
    for person in (customer, other_customer):
        with CaptureQueriesContext(connection) as queries:
            found = backend.get_user(str(person.pk))
        assert len(queries) == 1
        assert _fields(found) == _fields(User.objects.get(pk=person.pk))
        assert found._state.adding is False


def test_an_inactive_or_unknown_user_is_nobody(customer):
    backend = AuthenticationBackend()
    assert backend.get_user(customer.pk + 1000) is None
    assert backend.get_user("not a number") is None
    User.objects.filter(pk=customer.pk).update(is_active=False)
    assert backend.get_user(customer.pk) is None


def test_a_session_signed_in_with_the_old_password_is_signed_out(customer_client, customer):
    url = reverse("accounts:profile")
    assert customer_client.get(url, secure=True).status_code == 200
    assert customer_client.session[BACKEND_SESSION_KEY] == "accounts.auth_backends.AuthenticationBackend"
    customer.set_password("a brand new long password 42")
    customer.save(update_fields=["password"])
    response = customer_client.get(url, secure=True)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
