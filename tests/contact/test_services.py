from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import IntegrityError

from contact import services
from contact.models import Inquiry, ThreadEntry, add_one_month
from outbox.models import OutboundEmail
from tests.outbox import emails_to

pytestmark = pytest.mark.django_db

MESSAGE = "Our NVR in Lagos shows error E-4411 after the update. Secret detail: rack 7."


def submit(**overrides) -> Inquiry:
    fields: dict[str, Any] = {
        "name": "Ada Lovelace",
        "email": "ada@analytical.example",
        "topic": Inquiry.Topic.SUPPORT,
        "message": MESSAGE,
    }
    fields.update(overrides)
    return services.submit_inquiry(**fields)


# --- Emails at submission -------------------------------------------------------------------------


def test_support_is_notified_with_the_whole_inquiry(settings):
    settings.SUPPORT_EMAILS = ["desk@kalytera.example", "lead@kalytera.example"]
    inquiry = submit(company="Analytical Engines", license_reference="KLY-1", phone="+442079460958")
    [notification] = emails_to("desk@kalytera.example")
    assert "+44 20 7946 0958" in notification.body_text
    assert notification.recipients == ["desk@kalytera.example", "lead@kalytera.example"]
    assert notification.category == OutboundEmail.Category.SUPPORT
    assert inquiry.reference in notification.subject
    assert MESSAGE in notification.body_text
    assert "KLY-1" in notification.body_text
    assert f"/contact/inquiry/{inquiry.pk}/change/" in notification.body_text
    assert notification.headers == {"Reply-To": "ada@analytical.example"}


def test_acknowledgement_names_the_reference_but_repeats_nothing_the_sender_wrote():
    inquiry = submit(name="Visit cheap-pills.example", company="Pills Inc", license_reference="KLY-99")
    [ack] = emails_to("ada@analytical.example")
    assert inquiry.reference in ack.subject and inquiry.reference in ack.body_text
    for text in (ack.subject, ack.body_text, ack.body_html):
        assert "Lagos" not in text and "E-4411" not in text
        assert "cheap-pills" not in text and "Pills Inc" not in text and "KLY-99" not in text
    assert "Technical support" in ack.body_text


def test_text_emails_are_not_html_escaped():
    submit(name="O'Brien & Søn", message="a < b & c > d")
    [notification] = emails_to("support@kalytera.example")
    assert "O'Brien & Søn" in notification.subject
    assert "a < b & c > d" in notification.body_text
    assert "a &lt; b &amp; c &gt; d" in notification.body_html


def test_privacy_requests_tell_support_the_deadline():
    inquiry = submit(topic=Inquiry.Topic.PRIVACY)
    [notification] = emails_to("support@kalytera.example")
    assert f"{inquiry.response_due:%-d %B %Y}" in notification.body_text


def test_mail_server_down_at_submission_keeps_the_inquiry_and_sends_later(
    settings, smtp_sink, send, django_capture_on_commit_callbacks
):
    working = settings.MAILERS
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 1},  # nothing listens there
        }
    }
    # The delivery task runs at commit, as in production, and finds the server down.
    with django_capture_on_commit_callbacks(execute=True):
        response = send()
    assert response.status_code == 302
    inquiry = Inquiry.objects.get()
    assert set(OutboundEmail.objects.values_list("status", "attempts")) == {(OutboundEmail.Status.PENDING, 1)}
    assert smtp_sink.messages == []

    settings.MAILERS = working
    later = datetime.now(UTC) + timedelta(hours=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        call_command("deliver_emails", stdout=StringIO())
    assert len(smtp_sink.to("ada@analytical.example")) == 1
    assert len(smtp_sink.to("support@kalytera.example")) == 1
    assert inquiry.reference in smtp_sink.to("ada@analytical.example")[0]["Subject"]


def test_a_reference_collision_draws_a_new_one():
    existing = submit()
    with mock.patch("contact.services.new_reference", side_effect=[existing.reference, "ZZZZ-ZZZZ"]):
        second = submit()
    assert second.reference == "ZZZZ-ZZZZ"


def test_endless_collisions_give_up_without_a_half_written_inquiry():
    existing = submit()
    with (
        mock.patch("contact.services.new_reference", return_value=existing.reference),
        pytest.raises(IntegrityError),
    ):
        submit(name="second")
    assert Inquiry.objects.count() == 1
    assert OutboundEmail.objects.count() == 2  # the first inquiry's


# --- The thread -----------------------------------------------------------------------------------


def test_a_reply_is_emailed_recorded_and_assigns_the_author(support_user, deliver_outbox, settings):
    settings.CONTACT_EMAIL = "help@kalytera.example"
    inquiry = submit()
    entry = services.send_reply(inquiry=inquiry, author=support_user, body="  Please update to 7.2.  ")
    assert entry.kind == ThreadEntry.Kind.REPLY
    assert entry.body == "Please update to 7.2."
    inquiry.refresh_from_db()
    assert inquiry.assignee == support_user
    assert inquiry.status == Inquiry.Status.WAITING

    reply = [m for m in deliver_outbox() if m.to == ["ada@analytical.example"] and "Re:" in m.subject]
    assert len(reply) == 1
    assert "Please update to 7.2." in reply[0].body
    assert inquiry.reference in reply[0].subject
    assert reply[0].extra_headers["Reply-To"] == "help@kalytera.example"
    entry.refresh_from_db()
    assert entry.email.status == OutboundEmail.Status.SENT


def test_a_reply_keeps_an_existing_assignee_and_a_closed_status(support_user, superuser):
    inquiry = submit()
    Inquiry.objects.filter(pk=inquiry.pk).update(assignee=superuser, status=Inquiry.Status.CLOSED)
    services.send_reply(inquiry=inquiry, author=support_user, body="Final answer.")
    inquiry.refresh_from_db()
    assert inquiry.assignee == superuser
    assert inquiry.status == Inquiry.Status.CLOSED


def test_spam_is_never_answered(support_user):
    inquiry = submit(trapped=True)
    with pytest.raises(services.ContactError) as refused:
        services.send_reply(inquiry=inquiry, author=support_user, body="Hello")
    assert refused.value.code == "inquiry_is_spam"
    assert not OutboundEmail.objects.exists()
    assert not ThreadEntry.objects.exists()


def test_an_empty_reply_or_note_is_refused(support_user):
    inquiry = submit()
    with pytest.raises(services.ContactError, match="Write the reply"):
        services.send_reply(inquiry=inquiry, author=support_user, body=" \n ")
    with pytest.raises(services.ContactError, match="Write the note"):
        services.add_note(inquiry=inquiry, author=support_user, body="")


def test_internal_notes_are_recorded_and_never_sent(support_user):
    inquiry = submit()
    before = OutboundEmail.objects.count()
    services.add_note(inquiry=inquiry, author=support_user, body="Customer is on the old firmware.")
    assert OutboundEmail.objects.count() == before
    assert not OutboundEmail.objects.filter(body_text__contains="old firmware").exists()
    [note] = inquiry.thread.all()
    assert note.kind == ThreadEntry.Kind.NOTE
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.NEW  # a note changes nothing else


def test_the_thread_reads_in_order_of_writing(support_user):
    inquiry = submit()
    services.add_note(inquiry=inquiry, author=support_user, body="one")
    services.send_reply(inquiry=inquiry, author=support_user, body="two")
    services.add_note(inquiry=inquiry, author=support_user, body="three")
    assert [e.body for e in inquiry.thread.all()] == ["one", "two", "three"]


# --- Status changes -------------------------------------------------------------------------------


def test_assign_opens_new_inquiries_only(support_user):
    submit(name="new")
    waiting = submit(name="waiting")
    Inquiry.objects.filter(pk=waiting.pk).update(status=Inquiry.Status.WAITING)
    assert services.assign(inquiries=Inquiry.objects.all(), to=support_user) == 2
    assert dict(Inquiry.objects.values_list("name", "status")) == {"new": "open", "waiting": "waiting"}
    assert services.assign(inquiries=Inquiry.objects.all(), to=support_user) == 0


def test_close_and_spam_start_the_retention_clock():
    a, b = submit(name="a"), submit(name="b")
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    assert services.close(inquiries=Inquiry.objects.filter(pk=a.pk), now=moment) == 1
    assert services.mark_spam(inquiries=Inquiry.objects.filter(pk=b.pk), now=moment) == 1
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, a.closed_at) == (Inquiry.Status.CLOSED, moment)
    assert (b.status, b.closed_at, b.spam_reason) == (Inquiry.Status.SPAM, moment, "staff")
    # Closing again does not restart the clock.
    assert services.close(inquiries=Inquiry.objects.filter(pk=a.pk)) == 0


def test_reopening_stops_the_retention_clock():
    inquiry = submit(trapped=True)
    fields = inquiry.set_status(Inquiry.Status.OPEN, now=datetime.now(UTC))
    assert set(fields) == {"status", "closed_at", "spam_reason"}
    assert inquiry.closed_at is None and inquiry.spam_reason == ""
    assert inquiry.set_status(Inquiry.Status.OPEN, now=datetime.now(UTC)) == []


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (datetime(2026, 3, 15, 9, 30, tzinfo=UTC), datetime(2026, 4, 15, 9, 30, tzinfo=UTC)),
        (datetime(2026, 1, 31, tzinfo=UTC), datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2028, 1, 31, tzinfo=UTC), datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2026, 12, 20, tzinfo=UTC), datetime(2027, 1, 20, tzinfo=UTC)),
    ],
)
def test_privacy_requests_are_due_one_month_after_receipt(received, due):
    assert add_one_month(received) == due
    inquiry = submit(topic=Inquiry.Topic.PRIVACY)
    inquiry.created_at = received
    assert inquiry.response_due == due


def test_other_topics_have_no_legal_deadline():
    assert submit(topic=Inquiry.Topic.SALES).response_due is None


# --- Retention ------------------------------------------------------------------------------------


def test_retention_deletes_closed_and_spam_inquiries_after_their_periods(settings, support_user):
    settings.CONTACT_RETENTION_CLOSED_DAYS = 730
    settings.CONTACT_RETENTION_SPAM_DAYS = 30
    start = datetime(2026, 1, 1, tzinfo=UTC)
    closed, spam, waiting = submit(name="closed"), submit(name="spam"), submit(name="waiting")
    services.add_note(inquiry=closed, author=support_user, body="goes with it")
    services.close(inquiries=Inquiry.objects.filter(pk=closed.pk), now=start)
    services.mark_spam(inquiries=Inquiry.objects.filter(pk=spam.pk), now=start)
    Inquiry.objects.filter(pk=waiting.pk).update(status=Inquiry.Status.WAITING, created_at=start)

    assert services.purge_expired(now=start + timedelta(days=30)) == {"closed": 0, "spam": 0}
    assert services.purge_expired(now=start + timedelta(days=30, seconds=1)) == {"closed": 0, "spam": 1}
    assert services.purge_expired(now=start + timedelta(days=730)) == {"closed": 0, "spam": 0}
    assert services.purge_expired(now=start + timedelta(days=731)) == {"closed": 1, "spam": 0}
    assert services.purge_expired(now=start + timedelta(days=3000)) == {"closed": 0, "spam": 0}
    assert list(Inquiry.objects.values_list("name", flat=True)) == ["waiting"]
    assert not ThreadEntry.objects.exists()


def test_the_retention_period_is_configurable(settings):
    settings.CONTACT_RETENTION_CLOSED_DAYS = 10
    inquiry = submit()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    services.close(inquiries=Inquiry.objects.filter(pk=inquiry.pk), now=start)
    assert services.purge_expired(now=start + timedelta(days=11)) == {"closed": 1, "spam": 0}


def test_the_purge_command_says_what_it_did_and_can_run_twice(settings):
    settings.CONTACT_RETENTION_CLOSED_DAYS = 730
    inquiry = submit()
    services.close(inquiries=Inquiry.objects.filter(pk=inquiry.pk), now=datetime(2026, 1, 1, tzinfo=UTC))
    out = StringIO()
    with mock.patch("django.utils.timezone.now", return_value=datetime(2028, 6, 1, tzinfo=UTC)):
        call_command("purge_inquiries", stdout=out)
        call_command("purge_inquiries", stdout=out)
    first, second = out.getvalue().splitlines()
    assert first == "Inquiries: 1 closed (over 730 days) and 0 spam (over 30 days) deleted."
    assert second == "Inquiries: 0 closed (over 730 days) and 0 spam (over 30 days) deleted."


def test_the_purge_runs_as_a_periodic_job(settings):
    assert "purge_inquiries" in [command for command, _ in settings.PERIODIC_JOBS]
