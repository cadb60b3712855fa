from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from legal.models import ImmutableVersionError, PolicyVersion
from tests.legal.versions import release

pytestmark = pytest.mark.django_db


def test_saving_a_changed_published_version_is_refused(terms_v1):
    terms_v1.body = "Quietly rewritten."
    with pytest.raises(ImmutableVersionError):
        terms_v1.save()
    terms_v1.refresh_from_db()
    assert terms_v1.body.startswith("## Licenses")


def test_saving_a_changed_field_through_update_fields_is_refused(terms_v1):
    terms_v1.effective_at = timezone.now() - timedelta(days=365)
    with pytest.raises(ImmutableVersionError):
        terms_v1.save(update_fields=["effective_at"])


def test_saving_a_published_version_as_a_draft_is_refused(terms_v1):
    terms_v1.status = PolicyVersion.Status.DRAFT
    terms_v1.body = "Sneaked in."
    with pytest.raises(ImmutableVersionError):
        terms_v1.save()


def test_queryset_update_of_published_text_is_refused(terms_v1):
    with pytest.raises(ImmutableVersionError):
        PolicyVersion.objects.filter(pk=terms_v1.pk).update(title="New title")
    with pytest.raises(ImmutableVersionError):
        PolicyVersion.objects.all().update(material=False)


def test_published_versions_cannot_be_deleted(terms_v1):
    with pytest.raises(ImmutableVersionError):
        terms_v1.delete()
    with pytest.raises(ImmutableVersionError):
        PolicyVersion.objects.filter(pk=terms_v1.pk).delete()
    assert PolicyVersion.objects.filter(pk=terms_v1.pk).exists()


def test_raw_sql_cannot_change_a_published_version_either(terms_v1):
    # The database trigger: the last guard, for code that bypasses the ORM.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE legal_policyversion SET body = 'Rewritten' WHERE id = %s", [terms_v1.pk])
    terms_v1.refresh_from_db()
    assert terms_v1.body.startswith("## Licenses")


def test_raw_sql_cannot_turn_a_published_version_back_into_a_draft(terms_v1):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE legal_policyversion SET status = 'draft' WHERE id = %s", [terms_v1.pk])


@pytest.mark.postgres
def test_raw_sql_cannot_delete_a_published_version_on_postgres(terms_v1):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM legal_policyversion WHERE id = %s", [terms_v1.pk])


def test_a_scheduled_version_may_become_published_and_nothing_else(terms):
    scheduled = release(terms, number=1, effective_at=timezone.now() + timedelta(days=1))
    assert scheduled.status == PolicyVersion.Status.SCHEDULED
    PolicyVersion.objects.filter(pk=scheduled.pk).update(status=PolicyVersion.Status.PUBLISHED)
    scheduled.refresh_from_db()
    assert scheduled.status == PolicyVersion.Status.PUBLISHED
    with pytest.raises(DatabaseError), transaction.atomic():
        PolicyVersion.objects.filter(pk=scheduled.pk).update(status=PolicyVersion.Status.SCHEDULED)


def test_deleting_the_publisher_keeps_the_version_without_the_name(terms_v1):
    staff = get_user_model().objects.create_user(email="former@kalytera.example")
    PolicyVersion.objects.filter(pk=terms_v1.pk).update(published_by=staff)
    staff.delete()
    terms_v1.refresh_from_db()
    assert terms_v1.published_by is None
    assert terms_v1.status == PolicyVersion.Status.PUBLISHED


def test_drafts_can_be_edited_and_deleted(terms):
    draft = PolicyVersion.objects.create(policy=terms, title="Terms", body="Draft.", summary="")
    draft.body = "Better draft."
    draft.save()
    PolicyVersion.objects.filter(pk=draft.pk).update(title="Terms of Service")
    draft.refresh_from_db()
    assert (draft.title, draft.body) == ("Terms of Service", "Better draft.")
    draft.delete()
    assert not PolicyVersion.objects.filter(pk=draft.pk).exists()


def test_a_released_version_needs_number_and_dates(terms):
    with pytest.raises(DatabaseError), transaction.atomic():
        PolicyVersion.objects.create(
            policy=terms, title="T", body="B", summary="S", status=PolicyVersion.Status.PUBLISHED
        )


def test_version_in_force_is_the_newest_whose_date_has_passed(terms, terms_v1):
    now = timezone.now()
    v2 = release(terms, number=2, effective_at=now - timedelta(days=1))
    release(terms, number=3, effective_at=now + timedelta(days=10))
    assert terms.version_in_force() == v2
    assert terms.version_in_force(at=now - timedelta(days=30)) == terms_v1
    assert terms.version_in_force(at=now + timedelta(days=11)).number == 3
    assert [v.number for v in terms.upcoming_versions()] == [3]


def test_a_scheduled_version_can_be_withdrawn_before_its_date_only(terms, terms_v1):
    scheduled = release(terms, number=2, effective_at=timezone.now() + timedelta(days=1), body="Kept.")
    everything = PolicyVersion.objects.filter(pk__in=[scheduled.pk, terms_v1.pk])
    assert everything.withdraw(at=timezone.now() + timedelta(days=2)) == 0  # by then it is in effect
    assert everything.withdraw() == 1
    scheduled.refresh_from_db()
    assert scheduled.is_draft and scheduled.number is None and scheduled.effective_at is None
    assert scheduled.body == "Kept."
    terms_v1.refresh_from_db()
    assert terms_v1.status == PolicyVersion.Status.PUBLISHED and terms_v1.number == 1


def test_the_database_refuses_withdrawing_a_version_in_effect(terms, terms_v1):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE legal_policyversion SET status = 'draft', number = NULL, effective_at = NULL, "
            "published_at = NULL WHERE id = %s",
            [terms_v1.pk],
        )


def test_the_database_refuses_changing_the_text_while_withdrawing(terms):
    scheduled = release(terms, number=1, effective_at=timezone.now() + timedelta(days=1))
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE legal_policyversion SET status = 'draft', number = NULL, effective_at = NULL, "
            "published_at = NULL, body = 'Sneaked in' WHERE id = %s",
            [scheduled.pk],
        )


def test_policy_text_refuses_bidi_overrides_but_keeps_line_breaks():
    from django.core.exceptions import ValidationError

    from legal.models import PolicyVersion

    title, body, summary = (
        field.run_validators
        for field in (PolicyVersion._meta.get_field(name) for name in ("title", "body", "summary"))
    )
    body("## Terms\n\nLine one\r\nline two")
    for check, value in ((title, "Terms\u202e"), (body, "text\u200b"), (summary, "a\x1bb")):
        with pytest.raises(ValidationError):
            check(value)
