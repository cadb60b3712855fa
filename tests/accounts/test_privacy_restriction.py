"""Restriction of processing and objection to optional email."""

import pytest
from django.urls import reverse

from accounts.models import PrivacyChoices, SecurityEvent
from accounts.privacy import restriction
from outbox.models import OutboundEmail
from outbox.services import queue_email

pytestmark = pytest.mark.django_db


def send(category: str, to: list[str], **kwargs):
    return queue_email(to=to, template="test_message", context={"name": "Carla"}, category=category, **kwargs)


def test_the_person_restricts_processing_from_the_privacy_center(customer_client, customer):
    response = customer_client.post(reverse("privacy:choices"), {"restrict": "on"})
    assert response["Location"] == reverse("privacy:center")
    choices = PrivacyChoices.objects.get(user=customer)
    assert choices.restricted_at is not None
    assert choices.objected_at is None
    assert restriction.is_restricted(customer)
    assert SecurityEvent.objects.filter(
        user=customer, kind=SecurityEvent.Kind.PRIVACY_CHOICES_CHANGED
    ).exists()
    assert b"restricted since" in customer_client.get(reverse("privacy:center")).content


def test_lifting_the_restriction_and_objection(customer_client, customer):
    restriction.set_choices(user=customer, restrict=True, object_to_optional_mail=True)
    customer_client.post(reverse("privacy:choices"), {})
    choices = PrivacyChoices.objects.get(user=customer)
    assert choices.restricted_at is None and choices.objected_at is None
    assert send("informational", [customer.email]) is not None


def test_saving_the_same_choices_keeps_the_first_date(customer):
    first = restriction.set_choices(user=customer, restrict=True, object_to_optional_mail=False).restricted_at
    assert (
        restriction.set_choices(user=customer, restrict=True, object_to_optional_mail=False).restricted_at
        == first
    )


@pytest.mark.parametrize("choice", [{"restrict": True}, {"object_to_optional_mail": True}])
def test_optional_email_is_not_sent_after_restriction_or_objection(customer, choice):
    restriction.set_choices(user=customer, **{"restrict": False, "object_to_optional_mail": False, **choice})
    assert send("informational", [customer.email]) is None
    assert send("informational", [customer.email.upper()]) is None
    assert send("informational", ["someone@else.example"], user=customer) is None
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize("category", ["service", "security", "account", "support"])
def test_needed_notices_still_reach_a_restricted_person(customer, category):
    restriction.set_choices(user=customer, restrict=True, object_to_optional_mail=True)
    email = send(category, [customer.email], user=customer)
    assert email is not None and email.recipients == [customer.email]


def test_only_the_objecting_recipient_is_left_out(customer, other_customer):
    restriction.set_choices(user=customer, restrict=False, object_to_optional_mail=True)
    email = send("informational", [customer.email, other_customer.email])
    assert email.recipients == [other_customer.email]


def test_choices_need_a_signed_in_person(client):
    response = client.post(reverse("privacy:choices"), {"restrict": "on"})
    assert response["Location"].startswith(reverse("account_login"))
    assert not PrivacyChoices.objects.exists()


def test_choices_by_get_are_refused(customer_client):
    assert customer_client.get(reverse("privacy:choices")).status_code == 405


def test_staff_see_the_restriction_and_cannot_change_the_account(staff_client_for, superuser, customer):
    restriction.set_choices(user=customer, restrict=True, object_to_optional_mail=False)
    client = staff_client_for(superuser)
    listing = client.get(reverse("admin:accounts_user_changelist") + "?q=carla").content.decode()
    assert "Restricted" in listing
    change_url = reverse("admin:accounts_user_change", args=[customer.pk])
    page = client.get(change_url).content.decode()
    assert "Restricted" in page or "restricted" in page
    assert 'name="company"' not in page  # every field is read-only
    client.post(change_url, {"email": customer.email, "company": "Changed by staff"})
    customer.refresh_from_db()
    assert customer.company == ""
    delete_url = reverse("admin:accounts_user_delete", args=[customer.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert type(customer).objects.filter(pk=customer.pk).exists()


def test_staff_can_still_edit_an_unrestricted_account(staff_client_for, superuser, customer):
    client = staff_client_for(superuser)
    page = client.get(reverse("admin:accounts_user_change", args=[customer.pk])).content.decode()
    assert 'name="company"' in page
