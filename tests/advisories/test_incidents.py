from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import security_events
from accounts.models import SecurityEvent
from accounts.privacy import restriction
from advisories import incidents
from advisories.models import IncidentDelivery, IncidentNotice
from outbox.models import OutboundEmail
from tests import personas
from tests.concurrency import at_once


def compose(**fields) -> IncidentNotice:
    return IncidentNotice.objects.create(
        **{
            "title": "Unauthorised access to the support mailbox",
            "what_happened": "On 1 December an attacker read the support mailbox for two hours.",
            "what_data": "Your email address and the messages you sent to support.",
            "what_to_do": "Be wary of emails asking for your license key; we never ask for it.",
            "audience": IncidentNotice.Audience.LIST,
            **fields,
        }
    )


@pytest.mark.django_db
def test_a_pasted_list_is_resolved_to_accounts(customer, other_customer):
    text = f"{customer.email.upper()}\n<{other_customer.email}>, {customer.email}"
    assert incidents.parse_recipient_list(text) == sorted([customer, other_customer], key=lambda u: u.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "code", "named"),
    [
        ("", "incidents.empty_list", ""),
        ("carla@customer.example\nnot-an-address", "incidents.malformed_address", "not-an-address"),
        (
            "carla@customer.example; nobody@nowhere.example",
            "incidents.unknown_accounts",
            "nobody@nowhere.example",
        ),
    ],
)
def test_a_bad_list_is_refused_naming_every_bad_line(customer, text, code, named):
    with pytest.raises(incidents.IncidentError) as refused:
        incidents.parse_recipient_list(text)
    assert refused.value.code == code and named in refused.value.message


@pytest.mark.django_db
def test_an_inactive_account_is_not_a_recipient(customer):
    customer.is_active = False
    customer.save(update_fields=["is_active"])
    with pytest.raises(incidents.IncidentError, match="No active account"):
        incidents.parse_recipient_list(customer.email)


@pytest.mark.django_db
def test_sending_records_who_when_and_how_many_and_forgets_the_pasted_list(
    customer, other_customer, security_user
):
    incident = compose(recipient_list=f"{customer.email}\n{other_customer.email}")
    sent = incidents.send_incident(incident=incident, by=security_user)
    assert sent.sent_by == security_user and sent.sent_at is not None and sent.recipient_count == 2
    assert sent.recipient_list == ""
    assert set(IncidentDelivery.objects.values_list("user_id", flat=True)) == {customer.pk, other_customer.pk}


@pytest.mark.django_db
def test_a_notice_is_sent_once(customer, security_user):
    incident = compose(recipient_list=customer.email)
    incidents.send_incident(incident=incident, by=security_user)
    with pytest.raises(incidents.IncidentError) as refused:
        incidents.send_incident(incident=incident, by=security_user)
    assert refused.value.code == "incidents.already_sent"
    assert IncidentDelivery.objects.count() == 1


@pytest.mark.django_db
def test_everyone_is_emailed_once_as_a_service_notice_and_sees_it_in_the_timeline(customer, security_user):
    restriction.set_choices(user=customer, restrict=True, object_to_optional_mail=True)
    others = [personas.make_customer(f"p{i}@customer.example") for i in range(3)]
    inactive = personas.make_customer("gone@customer.example")
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    incident = incidents.send_incident(
        incident=compose(audience=IncidentNotice.Audience.ALL), by=security_user
    )
    assert incident.recipient_count == 5  # four customers and the Security staff member; not the inactive one

    assert incidents.deliver_incident_notices(batch_size=2) == 5
    assert incidents.deliver_incident_notices() == 0
    emails = OutboundEmail.objects.filter(category=OutboundEmail.Category.SERVICE)
    assert sorted(e.recipients[0] for e in emails) == sorted(
        [customer.email, security_user.email, *(o.email for o in others)]
    )
    (email,) = [e for e in emails if e.recipients == [customer.email]]
    assert "Security notice: Unauthorised access" in email.subject and "never ask for it" in email.body_text
    (event,) = [e for e in security_events.timeline(customer) if e.kind == SecurityEvent.Kind.INCIDENT_NOTICE]
    assert event.detail == incident.title
    incident.refresh_from_db()
    assert incident.completed_at is not None


@pytest.mark.django_db
def test_an_incomplete_notice_is_not_sent(customer, security_user):
    with pytest.raises(incidents.IncidentError, match="Fill in every part"):
        incidents.send_incident(
            incident=compose(what_to_do=" ", recipient_list=customer.email), by=security_user
        )


@pytest.mark.django_db
def test_who_received_a_notice_is_forgotten_after_the_retention_period(customer, security_user, settings):
    incident = incidents.send_incident(incident=compose(recipient_list=customer.email), by=security_user)
    incidents.deliver_incident_notices()
    later = timezone.now() + timedelta(days=settings.INCIDENT_DELIVERY_RETENTION_DAYS + 1)
    assert incidents.purge_expired_deliveries(now=later) == 1
    incident.refresh_from_db()
    assert incident.recipient_count == 1 and not IncidentDelivery.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_jobs_running_at_once_deliver_each_notice_exactly_once(security_user):
    people = [personas.make_customer(f"q{i}@customer.example") for i in range(20)]
    incidents.send_incident(
        incident=compose(recipient_list="\n".join(p.email for p in people)), by=security_user
    )
    errors = at_once(lambda _: incidents.deliver_incident_notices(batch_size=3), 3)
    assert not errors
    recipients = Counter(e.recipients[0] for e in OutboundEmail.objects.all())
    assert len(recipients) == 20 and set(recipients.values()) == {1}
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.INCIDENT_NOTICE).count() == 20


@pytest.mark.django_db
def test_the_notice_shows_in_the_persons_security_timeline(customer_client, customer, security_user):
    from django.urls import reverse

    incidents.send_incident(incident=compose(recipient_list=customer.email), by=security_user)
    incidents.deliver_incident_notices()
    page = customer_client.get(reverse("privacy:security_timeline")).content.decode()
    assert (
        "Security incident notice sent to you" in page
        and "Unauthorised access to the support mailbox" in page
    )
