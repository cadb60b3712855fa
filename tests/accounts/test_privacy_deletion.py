"""Account deletion: confirmation, grace period, purge within 30 days, and re-applying after a restore."""

import os
from datetime import datetime, timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import DeletionRecord, DeletionRequest, SecurityEvent, User
from accounts.privacy import deletion
from outbox.models import OutboundEmail
from tests import personas
from tests.accounts.privacy_seed import COMPANY, NAME, PHONE, seed
from tests.outbox import emails_to

pytestmark = pytest.mark.django_db


def login(client, email: str, password: str = personas.PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def delete_account(client, email: str):
    return client.post(reverse("privacy:delete_account"), {"confirm_email": email})


def rows_mentioning(*needles: str) -> dict[str, int]:
    """Every table of the database, every column: rows that contain any of ``needles``."""
    found: dict[str, int] = {}
    needles = tuple(needle.lower() for needle in needles)
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            hits = sum(1 for row in cursor.fetchall() if any(n in str(row).lower() for n in needles))
            if hits:
                found[table] = hits
    return found


def after_grace() -> datetime:
    from django.conf import settings

    return timezone.now() + timedelta(days=settings.PRIVACY_DELETION_GRACE_DAYS, minutes=1)


def test_the_page_explains_what_is_deleted_and_what_is_kept(sudo_client):
    html = sudo_client.get(reverse("privacy:delete_account")).content.decode()
    assert html.count("<h1") == 1
    assert "What we keep" in html
    assert "keyed fingerprint" in html  # the deletion record's kept_after_deletion text
    assert 'name="confirm_email"' in html


def test_the_page_lists_each_section_once_and_no_staff_records_to_a_customer(sudo_client):
    html = sudo_client.get(reverse("privacy:delete_account")).content.decode()
    deleted, kept = html.split("What we keep", 1)
    assert "<strong>Licenses and machines</strong>" in kept
    assert "<strong>Licenses and machines</strong>" not in deleted
    assert "Changes made in the staff admin" not in html and "Policy versions you published" not in html
    assert 'class="button button-danger">Delete my account' in html


def test_deleting_needs_reauthentication(customer_client, customer):
    response = delete_account(customer_client, customer.email)
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not DeletionRequest.objects.exists()


def test_a_wrong_confirmation_address_changes_nothing(sudo_client, customer):
    response = delete_account(sudo_client, "someone@else.example")
    assert response.status_code == 200
    assert b"not the email address of your account" in response.content
    customer.refresh_from_db()
    assert customer.is_active
    assert not DeletionRequest.objects.exists()


def test_an_empty_confirmation_is_refused(sudo_client, customer):
    response = delete_account(sudo_client, "")
    assert response.status_code == 200
    assert not DeletionRequest.objects.exists()


def test_anonymous_deletion_goes_to_login(client):
    response = client.post(reverse("privacy:delete_account"), {"confirm_email": "x@y.example"})
    assert response["Location"].startswith(reverse("account_login"))


def test_deletion_disables_the_account_and_ends_every_session_at_once(sudo_client, customer):
    elsewhere = Client()
    login(elsewhere, customer.email)
    assert elsewhere.get(reverse("accounts:dashboard")).status_code == 200

    response = delete_account(sudo_client, customer.email.upper())
    assert response["Location"] == reverse("privacy:deletion_scheduled")
    assert b"scheduled for deletion" in sudo_client.get(response["Location"]).content

    customer.refresh_from_db()
    assert not customer.is_active
    pending = DeletionRequest.objects.get(user=customer)
    assert pending.purge_after - pending.requested_at == timedelta(days=14)
    assert not UserSession.objects.filter(user=customer).exists()
    assert elsewhere.get(reverse("accounts:dashboard")).status_code == 302
    assert sudo_client.get(reverse("accounts:dashboard")).status_code == 302
    assert SecurityEvent.objects.filter(user=customer, kind=SecurityEvent.Kind.DELETION_REQUESTED).exists()
    assert "will be deleted" in emails_to(customer.email)[-1].subject


def test_signing_in_during_the_grace_period_offers_to_cancel(sudo_client, customer):
    delete_account(sudo_client, customer.email)
    client = Client()
    response = login(client, customer.email)
    assert response["Location"] == reverse("privacy:cancel_deletion")
    page = client.get(response["Location"])
    assert b"Cancel the deletion" in page.content

    response = client.post(reverse("privacy:cancel_deletion"))
    assert response["Location"] == reverse("account_login")
    customer.refresh_from_db()
    assert customer.is_active
    assert not DeletionRequest.objects.exists()
    assert "will not be deleted" in emails_to(customer.email)[-1].subject
    assert login(client, customer.email)["Location"] == reverse("accounts:dashboard")


def test_a_wrong_password_during_the_grace_period_offers_nothing(sudo_client, customer):
    delete_account(sudo_client, customer.email)
    client = Client()
    response = login(client, customer.email, "not-the-password")
    assert response.status_code == 200
    assert client.get(reverse("privacy:cancel_deletion")).status_code == 404


def test_cancelling_needs_the_second_factor_when_the_account_has_one(client, customer):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.utils import decrypt

    personas.give_totp(customer)
    recovery_code = RecoveryCodes.activate(customer).get_unused_codes()[0]
    DeletionRequest.objects.create(user=customer, purge_after=after_grace())
    assert login(client, customer.email)["Location"] == reverse("privacy:cancel_deletion")
    assert b"authenticator app" in client.get(reverse("privacy:cancel_deletion")).content

    for code in ("", "000000"):
        assert client.post(reverse("privacy:cancel_deletion"), {"code": code}).status_code == 200
        assert DeletionRequest.objects.exists()
    secret = decrypt(Authenticator.objects.get(user=customer, type=Authenticator.Type.TOTP).data["secret"])
    response = client.post(reverse("privacy:cancel_deletion"), {"code": personas.totp_code(secret)})
    assert response["Location"] == reverse("account_login")
    assert not DeletionRequest.objects.exists()

    # A recovery code does too, once.
    for expected in (302, 200):
        DeletionRequest.objects.get_or_create(user=customer, defaults={"purge_after": after_grace()})
        login(client, customer.email)
        response = client.post(reverse("privacy:cancel_deletion"), {"code": recovery_code})
        assert response.status_code == expected
    assert DeletionRequest.objects.exists()


def test_the_cancel_page_is_not_found_without_a_fresh_sign_in(client, customer):
    DeletionRequest.objects.create(user=customer, purge_after=after_grace())
    assert client.get(reverse("privacy:cancel_deletion")).status_code == 404
    assert client.post(reverse("privacy:cancel_deletion")).status_code == 404
    assert DeletionRequest.objects.exists()


def test_a_pending_deletion_keeps_the_account_shut_even_if_it_was_reactivated(sudo_client, customer):
    delete_account(sudo_client, customer.email)
    User.objects.filter(pk=customer.pk).update(is_active=True)  # e.g. a stale write
    response = login(Client(), customer.email)
    assert response["Location"] == reverse("privacy:cancel_deletion")


def test_the_purge_leaves_no_trace_of_the_person_within_30_days(
    sudo_client, person_with_data, deliver_outbox
):
    customer = person_with_data
    DeletionRequest.objects.all().delete()  # the seed's own pending request
    login(Client(), customer.email, "wrong-password")  # a failed sign-in on the timeline
    email = customer.email
    # The scan sees the person before the purge (so its empty answer afterwards means something).
    before = rows_mentioning(email, NAME, PHONE, COMPANY)
    assert {"accounts_user", "account_emailaddress", "kalytera_outboundemail"} <= set(before)

    def purge_job() -> None:
        call_command("purge_deleted_accounts", stdout=open(os.devnull, "w"))  # noqa: SIM115

    with time_machine.travel(timezone.now(), tick=False) as clock:
        start = timezone.now()
        delete_account(sudo_client, email)
        clock.shift(timedelta(days=13, hours=23))
        purge_job()
        assert User.objects.filter(pk=customer.pk).exists()  # still in the grace period

        clock.shift(timedelta(hours=1, minutes=1))  # the next hourly run after the grace period
        purge_job()
        assert not User.objects.filter(pk=customer.pk).exists()
        receipt = [m for m in deliver_outbox() if email in m.to][-1]
        assert "has been deleted" in receipt.subject

        clock.shift(timedelta(hours=1))  # the next run removes the delivered receipt
        purge_job()
        assert timezone.now() - start <= timedelta(days=30)

    assert rows_mentioning(email, "carla.new@customer.example", NAME, PHONE, COMPANY) == {}
    record = DeletionRecord.objects.get()
    assert record.requested_on == start.date()
    assert record.receipt is None


def test_settings_that_would_break_the_30_day_promise_fail_the_system_check(settings):
    from accounts.checks import check_deletion_deadline

    assert check_deletion_deadline(None) == []
    settings.PRIVACY_DELETION_GRACE_DAYS = 28
    assert [error.id for error in check_deletion_deadline(None)] == ["accounts.E002"]


def test_the_purge_runs_twice_without_harm(customer):
    DeletionRequest.objects.create(user=customer, purge_after=timezone.now())
    call_command("purge_deleted_accounts", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("purge_deleted_accounts", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert DeletionRecord.objects.count() == 1
    assert not User.objects.exists()


def test_an_undelivered_receipt_is_removed_after_its_maximum_life(customer, settings):
    DeletionRequest.objects.create(user=customer, purge_after=timezone.now())
    deletion.purge_due()
    assert OutboundEmail.objects.filter(status="pending").count() == 1
    later = timezone.now() + timedelta(days=settings.PRIVACY_RECEIPT_MAX_DAYS)
    assert deletion.purge_due(now=later).receipts_removed == 1
    assert not OutboundEmail.objects.exists()


def test_too_late_to_cancel_once_purged(customer):
    DeletionRequest.objects.create(user=customer, purge_after=timezone.now())
    deletion.purge_due()
    assert deletion.cancel_deletion(user_id=customer.pk) is None


def test_the_deletion_record_holds_no_personal_data(customer):
    DeletionRequest.objects.create(user=customer, purge_after=timezone.now())
    deletion.purge_due()
    record = DeletionRecord.objects.values().get()
    text = str(record).lower()
    assert customer.email not in text
    assert f"'{customer.pk}'" not in text
    assert len(record["subject_digest"]) == 64


def test_reapplying_after_a_restore_purges_the_account_again(
    customer, other_customer, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.PRIVACY_DELETION_LEDGER = str(tmp_path / "deletions.jsonl")
    pk, email = customer.pk, customer.email
    DeletionRequest.objects.create(user=customer, purge_after=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        deletion.purge_due()
    ledger = (tmp_path / "deletions.jsonl").read_text()
    assert email not in ledger and len(ledger.splitlines()) == 1

    # A restored backup: the account is back, the deletion record is not.
    DeletionRecord.objects.all().delete()
    restored = User.objects.create_user(email, personas.PASSWORD, id=pk)
    EmailAddress.objects.create(user=restored, email=email, verified=True, primary=True)
    call_command("reapply_deletions", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert not User.objects.filter(email=email).exists()
    assert User.objects.filter(pk=other_customer.pk).exists()
    assert DeletionRecord.objects.count() == 1


def test_the_account_number_alone_does_not_match(customer):
    pk = customer.pk
    DeletionRequest.objects.create(user=customer, purge_after=timezone.now())
    deletion.purge_due()
    # After a restore, the number may belong to someone else: their address differs.
    User.objects.create_user("someone.else@customer.example", personas.PASSWORD, id=pk)
    assert deletion.reapply_deletions() == 0
    assert User.objects.filter(pk=pk).exists()


def test_a_new_account_with_a_deleted_address_is_left_alone(customer):
    email = customer.email
    DeletionRequest.objects.create(user=customer, purge_after=timezone.now())
    deletion.purge_due()
    newcomer = personas.make_customer(email)
    assert deletion.reapply_deletions() == 0
    assert User.objects.filter(pk=newcomer.pk).exists()


def test_a_broken_ledger_is_reported_with_a_code(tmp_path):
    from django.core.management.base import CommandError

    ledger = tmp_path / "broken.jsonl"
    ledger.write_text("not json\n")
    with pytest.raises(CommandError, match="ledger_invalid"):
        call_command("reapply_deletions", ledger=str(ledger))
    with pytest.raises(CommandError, match="ledger_missing"):
        call_command("reapply_deletions", ledger=str(tmp_path / "missing.jsonl"))


def test_staff_see_pending_deletions_but_cannot_undo_or_remove_them(staff_client_for, superuser, customer):
    pending = DeletionRequest.objects.create(user=customer, purge_after=after_grace())
    client = staff_client_for(superuser)
    listing = client.get(reverse("admin:accounts_deletionrequest_changelist"))
    assert customer.email in listing.content.decode()
    delete_url = reverse("admin:accounts_deletionrequest_delete", args=[pending.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert DeletionRequest.objects.exists()


def test_support_sees_completed_deletions_read_only(staff_client_for, support_user, customer):
    DeletionRequest.objects.create(user=customer, purge_after=timezone.now())
    deletion.purge_due()
    client = staff_client_for(support_user)
    assert client.get(reverse("admin:accounts_deletionrecord_changelist")).status_code == 200
    record = DeletionRecord.objects.get()
    delete_url = reverse("admin:accounts_deletionrecord_delete", args=[record.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403


def test_sessions_of_a_deleted_account_are_gone_from_the_store(sudo_client, customer):
    other = Client()
    login(other, customer.email)
    key = other.session.session_key
    delete_account(sudo_client, customer.email)
    assert not Session.objects.filter(session_key=key).exists()


def test_the_scheduled_page_is_not_found_without_a_deletion(client):
    assert client.get(reverse("privacy:deletion_scheduled")).status_code == 404


def test_delete_page_needs_a_signed_in_person(client):
    assert client.get(reverse("privacy:delete_account"))["Location"].startswith(reverse("account_login"))


def test_delete_page_refuses_other_methods(sudo_client):
    assert sudo_client.put(reverse("privacy:delete_account")).status_code == 405


def test_production_needs_a_long_pepper(settings):
    from accounts.checks import check_privacy_pepper

    settings.DEBUG = False
    settings.PRIVACY_PEPPER = "short"
    assert [error.id for error in check_privacy_pepper(None)] == ["accounts.E001"]
    settings.PRIVACY_PEPPER = "x" * 48
    assert check_privacy_pepper(None) == []


def test_staff_entries_about_the_person_keep_the_fact_but_not_the_name(customer):
    from django.contrib.admin.models import LogEntry

    seed(customer)
    DeletionRequest.objects.filter(user=customer).update(purge_after=timezone.now())
    deletion.purge_due()
    entry = LogEntry.objects.get()
    assert entry.user.email == "auditor@kalytera.example"
    assert (entry.object_repr, entry.change_message) == ("deleted account", "")
