"""Races around deletion, with real concurrent requests on PostgreSQL."""

import threading
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import DeletionRecord, DeletionRequest, User
from accounts.privacy import deletion
from kalytera.sessions import SessionStore
from tests import personas

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(*actions) -> list:
    """Start every action at the same moment, each in its own thread and database connection."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def worker(index, action) -> None:
        try:
            barrier.wait()
            results[index] = action()
        except Exception as exc:  # surfaced by the assertions of the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def sessions_of(user_id: int) -> list[Session]:
    return [
        s
        for s in Session.objects.all()
        if str(SessionStore().decode(s.session_data).get("_auth_user_id")) == str(user_id)
    ]


def test_a_login_racing_the_deletion_cannot_resurrect_the_account():
    customer = personas.make_customer()
    owner = Client()
    owner.force_login(customer)
    assert owner.post(reverse("account_reauthenticate"), {"password": personas.PASSWORD}).status_code == 302
    logins = [Client() for _ in range(6)]

    def sign_in(client):
        return lambda: client.post(
            reverse("account_login"), {"login": customer.email, "password": personas.PASSWORD}
        )

    def delete():
        return owner.post(reverse("privacy:delete_account"), {"confirm_email": customer.email})

    results = run_together(delete, *(sign_in(client) for client in logins))
    assert not any(isinstance(result, Exception) for result in results), results
    assert results[0]["Location"] == reverse("privacy:deletion_scheduled")

    customer.refresh_from_db()
    assert not customer.is_active
    assert DeletionRequest.objects.filter(user=customer).exists()
    # Whoever won the race, no browser is signed in afterwards.
    for client in logins:
        assert client.get(reverse("accounts:dashboard")).status_code == 302

    deletion.purge_due(now=timezone.now() + timedelta(days=15))
    assert not User.objects.filter(pk=customer.pk).exists()
    assert sessions_of(customer.pk) == []
    for client in logins:
        response = client.post(
            reverse("account_login"), {"login": customer.email, "password": personas.PASSWORD}
        )
        assert response.status_code == 200  # wrong credentials: the account is gone


def test_cancel_and_purge_at_the_same_moment_leave_one_consistent_outcome():
    for _ in range(3):
        customer = personas.make_customer()
        DeletionRequest.objects.create(user=customer, purge_after=timezone.now())
        User.objects.filter(pk=customer.pk).update(is_active=False)

        purge_result, cancelled = run_together(
            deletion.purge_due, lambda pk=customer.pk: deletion.cancel_deletion(user_id=pk)
        )
        assert not isinstance(purge_result, Exception), purge_result
        assert not isinstance(cancelled, Exception), cancelled
        if cancelled is None:  # the purge won
            assert not User.objects.filter(pk=customer.pk).exists()
            assert DeletionRecord.objects.count() == 1
        else:  # the cancellation won
            assert User.objects.get(pk=customer.pk).is_active
            assert not DeletionRequest.objects.exists()
            assert DeletionRecord.objects.count() == 0
            User.objects.filter(pk=customer.pk).delete()
        DeletionRecord.objects.all().delete()
