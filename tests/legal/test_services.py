from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from legal import services
from legal.models import Acceptance, ChangeNotice, PolicyVersion
from outbox.models import OutboundEmail
from tests import personas
from tests.legal.versions import release

pytestmark = pytest.mark.django_db


def draft(policy, **fields) -> PolicyVersion:
    defaults = {"title": policy.name, "body": "New text.", "summary": "What changed.", "material": True}
    return PolicyVersion.objects.create(policy=policy, **{**defaults, **fields})


# --- Publishing and scheduling ------------------------------------------------------------------


def test_publishing_now_numbers_the_version_and_puts_it_in_force(terms, terms_v1, legal_user):
    version = services.publish_version(version=draft(terms), by=legal_user)
    assert version.number == 2
    assert version.status == PolicyVersion.Status.PUBLISHED
    assert version.published_by == legal_user
    assert terms.version_in_force() == version


def test_a_scheduled_version_takes_effect_by_itself_at_its_date(terms, terms_v1, legal_user):
    start = timezone.now()
    effective = start + timedelta(days=30)
    version = services.publish_version(version=draft(terms), by=legal_user, effective_at=effective)
    assert version.status == PolicyVersion.Status.SCHEDULED
    assert terms.version_in_force() == terms_v1

    with time_machine.travel(effective - timedelta(seconds=1), tick=False):
        assert terms.version_in_force() == terms_v1
    with time_machine.travel(effective, tick=False):
        # No job has run: the page shows it because its date has come.
        assert terms.version_in_force() == version
        assert services.mark_due_versions_published() == 1
    version.refresh_from_db()
    assert version.status == PolicyVersion.Status.PUBLISHED


def test_a_new_version_must_take_effect_after_the_newest_released_one(terms, terms_v1, legal_user):
    later = timezone.now() + timedelta(days=30)
    services.publish_version(version=draft(terms), by=legal_user, effective_at=later)
    with pytest.raises(services.LegalError) as error:
        services.publish_version(version=draft(terms), by=legal_user, effective_at=later - timedelta(days=1))
    assert error.value.code == "legal.effective_before_latest"
    with pytest.raises(services.LegalError):
        services.publish_version(version=draft(terms), by=legal_user)  # "now" is before the scheduled one


def test_a_date_in_the_past_is_refused(terms, legal_user):
    with pytest.raises(services.LegalError) as error:
        services.publish_version(
            version=draft(terms), by=legal_user, effective_at=timezone.now() - timedelta(hours=1)
        )
    assert error.value.code == "legal.effective_in_past"


def test_a_version_without_a_summary_of_changes_is_refused(terms, legal_user):
    with pytest.raises(services.LegalError) as error:
        services.publish_version(version=draft(terms, summary="  "), by=legal_user)
    assert error.value.code == "legal.summary_missing"


def test_publishing_twice_is_refused(terms, legal_user):
    version = services.publish_version(version=draft(terms), by=legal_user)
    with pytest.raises(services.LegalError) as error:
        services.publish_version(version=version, by=legal_user)
    assert error.value.code == "legal.already_published"


def test_a_new_draft_starts_from_the_newest_text(terms, terms_v1):
    new = services.start_draft(policy=terms)
    assert new.is_draft and new.number is None
    assert new.body == terms_v1.body and new.summary == ""


def test_starting_a_draft_twice_opens_the_same_untouched_draft(terms, terms_v1):
    first = services.start_draft(policy=terms)
    assert services.start_draft(policy=terms) == first
    first.summary = "Longer retention."
    first.save(update_fields=["summary"])
    assert services.start_draft(policy=terms) != first


# --- Notices of material changes ----------------------------------------------------------------


@pytest.fixture
def people(db):
    """Five active customers and one deactivated one, all with accounts older than any change."""
    active = [personas.make_customer(f"person{i}@customer.example") for i in range(5)]
    inactive = personas.make_customer("gone@customer.example")
    get_user_model().objects.update(date_joined=timezone.now() - timedelta(days=365))
    get_user_model().objects.filter(pk=inactive.pk).update(is_active=False)
    return active, inactive


def material_change(policy, *, days_ago: int = 1, material: bool = True) -> PolicyVersion:
    return release(
        policy, number=2, effective_at=timezone.now() - timedelta(days=days_ago), material=material
    )


def test_every_active_person_gets_exactly_one_notice_however_often_the_job_runs(privacy_v1, people):
    active, _inactive = people
    version = material_change(privacy_v1.policy)
    assert services.send_change_notices(batch_size=2) == 5
    for _ in range(3):
        assert services.send_change_notices(batch_size=2) == 0
        call_command("process_policy_changes")
    assert ChangeNotice.objects.filter(version=version).count() == 5
    notified = set(ChangeNotice.objects.values_list("user_id", flat=True))
    assert notified == {p.pk for p in active}
    emails = OutboundEmail.objects.filter(category=OutboundEmail.Category.SERVICE)
    assert sorted(e.recipients[0] for e in emails) == sorted(p.email for p in active)
    version.refresh_from_db()
    assert version.notices_completed_at is not None


def test_the_notice_email_says_what_changed_and_links_the_comparison(privacy_v1, people, deliver_outbox):
    version = material_change(privacy_v1.policy)
    services.send_change_notices()
    message = next(m for m in deliver_outbox() if m.to == ["person0@customer.example"])
    assert "Privacy Policy" in message.subject
    assert version.summary in message.body
    assert "/legal/privacy/compare/?old=1&new=2" in message.body


def test_editorial_changes_and_first_versions_send_no_notice(privacy, people):
    release(privacy, number=1, effective_at=timezone.now() - timedelta(days=9))
    release(privacy, number=2, effective_at=timezone.now() - timedelta(days=1), material=False)
    assert services.send_change_notices() == 0
    assert not ChangeNotice.objects.exists()


def test_no_notice_before_a_scheduled_change_takes_effect(privacy_v1, people):
    future = timezone.now() + timedelta(days=30)
    release(privacy_v1.policy, number=2, effective_at=future)
    assert services.send_change_notices() == 0
    with time_machine.travel(future + timedelta(minutes=5), tick=False):
        assert services.send_change_notices() == 5


def test_unverified_sign_ups_get_no_notice(privacy_v1, people):
    from allauth.account.models import EmailAddress

    unverified = people[0][0]
    EmailAddress.objects.filter(user=unverified).update(verified=False)
    material_change(privacy_v1.policy)
    assert services.send_change_notices() == 4
    assert not ChangeNotice.objects.filter(user=unverified).exists()


def test_people_who_joined_after_the_change_get_no_notice(privacy_v1, people):
    material_change(privacy_v1.policy, days_ago=3)
    newcomer = personas.make_customer("new@customer.example")
    services.send_change_notices()
    assert not ChangeNotice.objects.filter(user=newcomer).exists()


def test_a_notice_stays_until_dismissed_and_only_the_newest_is_shown(privacy_v1, people):
    person = people[0][0]
    release(privacy_v1.policy, number=2, effective_at=timezone.now() - timedelta(days=3))
    services.send_change_notices()
    release(privacy_v1.policy, number=3, effective_at=timezone.now() - timedelta(days=1))
    services.send_change_notices()
    shown = services.notices_to_show(user=person)
    assert [n.version.number for n in shown] == [3]
    assert services.dismiss_notice(user=person, notice_id=shown[0].pk) == 2
    assert services.notices_to_show(user=person) == []


@pytest.mark.postgres  # only PostgreSQL runs the compiled SQL (kalytera.prepared)
def test_the_header_notices_are_the_orms_own_rows(privacy_v1, people):
    """The header's lookup is compiled once per process: it must load what the ORM loads."""
    person, other = people[0][0], people[0][1]
    release(privacy_v1.policy, number=2, effective_at=timezone.now() - timedelta(days=3))
    services.send_change_notices()
    ChangeNotice.objects.filter(user=other).update(dismissed_at=timezone.now())
    expected = ChangeNotice.objects.select_related("version__policy").get(user=person)
    [shown] = services.notices_to_show(user=person)

    def fields(obj) -> dict:
        return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}

    assert fields(shown) == fields(expected)
    assert fields(shown.version) == fields(expected.version)
    assert fields(shown.version.policy) == fields(expected.version.policy)
    assert services.notices_to_show(user=other) == []


def test_nobody_dismisses_someone_elses_notice(privacy_v1, people):
    owner, intruder = people[0][0], people[0][1]
    material_change(privacy_v1.policy)
    services.send_change_notices()
    notice = ChangeNotice.objects.get(user=owner)
    with pytest.raises(LookupError):
        services.dismiss_notice(user=intruder, notice_id=notice.pk)
    notice.refresh_from_db()
    assert notice.dismissed_at is None


# --- Acceptance ---------------------------------------------------------------------------------


def test_a_material_terms_change_must_be_accepted(terms, terms_v1, customer):
    Acceptance.objects.create(user=customer, version=terms_v1, source=Acceptance.Source.SIGNUP)
    assert services.pending_acceptance(user=customer, policy=terms) is None
    v2 = release(terms, number=2, effective_at=timezone.now() - timedelta(minutes=1))
    assert services.pending_acceptance(user=customer, policy=terms) == v2
    services.accept_version(user=customer, version=v2)
    assert services.pending_acceptance(user=customer, policy=terms) is None


def test_the_terms_gate_follows_versions_and_acceptances_as_they_happen(
    terms, terms_v1, customer, other_customer
):
    """The gate's query is compiled once per process; each call still sees the moment and the rows."""
    assert services.first_policy_to_accept(user=customer) == terms
    services.accept_version(user=customer, version=terms_v1)
    assert services.first_policy_to_accept(user=customer) is None
    assert services.first_policy_to_accept(user=other_customer) == terms
    soon = timezone.now() + timedelta(hours=1)
    v2 = release(terms, number=2, effective_at=soon)
    assert services.first_policy_to_accept(user=customer) is None
    assert services.first_policy_to_accept(user=customer, at=soon) == terms
    assert services.first_policy_to_accept(user=customer, at=soon - timedelta(seconds=1)) is None
    release(terms, number=3, effective_at=soon + timedelta(hours=1), material=False)
    assert services.first_policy_to_accept(user=customer, at=soon + timedelta(hours=2)) == terms
    Acceptance.objects.create(user=customer, version=v2, source=Acceptance.Source.SIGNUP)
    assert services.first_policy_to_accept(user=customer, at=soon + timedelta(hours=2)) is None
    assert services.first_policy_to_accept(user=other_customer, at=soon) == terms


def test_an_editorial_terms_change_needs_no_new_acceptance(terms, terms_v1, customer):
    Acceptance.objects.create(user=customer, version=terms_v1, source=Acceptance.Source.SIGNUP)
    release(terms, number=2, effective_at=timezone.now() - timedelta(minutes=1), material=False)
    assert services.pending_acceptance(user=customer, policy=terms) is None


def test_someone_who_never_accepted_the_terms_is_asked_to(terms, terms_v1, customer):
    assert services.pending_acceptance(user=customer, policy=terms) == terms_v1


def test_the_privacy_policy_is_never_pending_acceptance(privacy_v1, customer):
    assert services.pending_acceptance(user=customer, policy=privacy_v1.policy) is None


def test_accepting_twice_records_once_and_clears_the_notice(terms, terms_v1, people):
    person = people[0][0]
    v2 = material_change(terms)
    services.send_change_notices()
    services.accept_version(user=person, version=v2)
    services.accept_version(user=person, version=v2)
    assert Acceptance.objects.filter(user=person, version=v2).count() == 1
    assert ChangeNotice.objects.get(user=person).dismissed_at is not None


def test_only_the_version_in_force_can_be_accepted(terms, terms_v1, customer):
    v2 = release(terms, number=2, effective_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(services.LegalError) as error:
        services.accept_version(user=customer, version=terms_v1)
    assert error.value.code == "legal.version_superseded"
    v3 = release(terms, number=3, effective_at=timezone.now() + timedelta(days=3))
    with pytest.raises(services.LegalError) as error:
        services.accept_version(user=customer, version=v3)
    assert error.value.code == "legal.version_not_in_force"
    assert not Acceptance.objects.filter(user=customer).exclude(version=v2).exists()


def test_signup_records_terms_and_privacy_versions(terms_v1, privacy_v1):
    user = get_user_model().objects.create_user(email="fresh@customer.example")
    services.record_signup_acceptances(user=user)
    recorded = {
        (a.version.policy.slug, a.version.number, a.source) for a in Acceptance.objects.filter(user=user)
    }
    assert recorded == {("terms", 1, "signup"), ("privacy", 1, "signup")}


def test_a_withdrawn_version_can_be_edited_and_scheduled_again(terms, terms_v1, legal_user):
    effective = timezone.now() + timedelta(days=30)
    version = services.publish_version(version=draft(terms), by=legal_user, effective_at=effective)
    withdrawn = services.withdraw_version(version=version, by=legal_user)
    assert withdrawn.is_draft and terms.upcoming_versions().count() == 0
    withdrawn.body = "Corrected."
    withdrawn.save()
    again = services.publish_version(version=withdrawn, by=legal_user, effective_at=effective)
    assert again.number == 2 and again.body == "Corrected."


def test_a_version_in_effect_cannot_be_withdrawn(terms, terms_v1, legal_user):
    effective = timezone.now() + timedelta(days=1)
    version = services.publish_version(version=draft(terms), by=legal_user, effective_at=effective)
    with pytest.raises(services.LegalError) as error:
        services.withdraw_version(version=version, by=legal_user, now=effective + timedelta(seconds=1))
    assert error.value.code == "legal.already_in_effect"
    with pytest.raises(services.LegalError) as error:
        services.withdraw_version(version=terms_v1, by=legal_user)
    assert error.value.code == "legal.not_scheduled"
