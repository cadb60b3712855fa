"""The policy page is served from the shared cache, and never shows a stale version."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from legal import services
from tests.legal.versions import release

pytestmark = pytest.mark.django_db


@pytest.fixture
def terms_in_force(terms):
    return release(terms, number=1, effective_at=timezone.now() - timedelta(days=1), body="One server.")


def test_an_anonymous_visit_costs_no_query_once_the_page_is_cached(
    client, terms_in_force, django_assert_num_queries
):
    first = client.get("/legal/terms/")
    with django_assert_num_queries(0):
        again = client.get("/legal/terms/")
    assert again.status_code == 200
    assert again.content == first.content
    assert "One server." in again.content.decode()


def test_a_signed_in_visitor_gets_a_page_of_their_own(client, terms_in_force, customer):
    client.get("/legal/terms/")
    client.force_login(customer)
    html = client.get("/legal/terms/").content.decode()
    assert customer.email in html
    assert "One server." in html


def test_publishing_a_version_shows_it_at_once(
    client, terms, terms_in_force, legal_user, django_capture_on_commit_callbacks
):
    client.get("/legal/terms/")
    draft = services.start_draft(policy=terms, based_on=terms_in_force)
    draft.body = "Two servers."
    draft.summary = "Two servers per license."
    draft.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_version(version=draft, by=legal_user)
    html = client.get("/legal/terms/").content.decode()
    assert "Two servers." in html
    assert "One server." not in html


def test_a_scheduled_version_takes_effect_on_time_despite_the_cache(client, terms, terms_in_force):
    takes_effect = timezone.now() + timedelta(seconds=30)
    release(terms, number=2, effective_at=takes_effect, body="Three servers.")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert "One server." in client.get("/legal/terms/").content.decode()
        traveller.move_to(takes_effect + timedelta(seconds=1))
        html = client.get("/legal/terms/").content.decode()
    assert "Three servers." in html
    assert "One server." not in html
