from datetime import date

import pytest
from django.db import IntegrityError, transaction

from accounts.privacy import restriction
from advisories import services
from advisories.models import Advisory, AdvisoryNotice, AdvisoryRevision
from licensing.models import Release
from organizations.models import Membership
from organizations.services import personal_organization
from outbox.models import OutboundEmail
from tests import personas
from tests.advisories.conftest import CRITICAL, MEDIUM, activate, revise


def emails_to(address: str) -> list[OutboundEmail]:
    return [
        e
        for e in OutboundEmail.objects.filter(category=OutboundEmail.Category.SERVICE)
        if address in e.recipients
    ]


@pytest.mark.django_db
def test_publishing_numbers_the_revision_and_makes_it_what_the_public_sees(published):
    revision = published()
    advisory = Advisory.objects.get(pk=revision.advisory_id)
    assert revision.number == 1 and revision.change_summary == "Initial release."
    assert advisory.current == revision and advisory.first_published_at == revision.published_at
    assert revision.notifies and revision.notices_completed_at is None


@pytest.mark.django_db
def test_a_published_revision_is_not_published_again(published, security_user):
    revision = published()
    with pytest.raises(services.AdvisoryError) as refused:
        services.publish_revision(revision=revision, by=security_user)
    assert refused.value.code == "advisories.already_published"


@pytest.mark.django_db
def test_a_change_is_a_new_revision_with_a_summary_and_keeps_the_history(published, security_user):
    first = published()
    draft = services.start_revision(advisory=first.advisory)
    assert services.start_revision(advisory=first.advisory) == draft  # one draft at a time
    assert draft.title == first.title and draft.number is None
    with pytest.raises(services.AdvisoryError) as refused:
        services.publish_revision(revision=draft, by=security_user)
    assert refused.value.code == "advisories.change_summary_missing"
    second = revise(first, security_user, fixed_versions=["6.2.2", "6.2.1-hotfix3"])
    assert second.number == 2
    assert list(first.advisory.revisions.values_list("number", flat=True)) == [1, 2]
    first.refresh_from_db()
    assert first.fixed_versions == ["6.2.2"]  # the first revision is kept as it was


@pytest.mark.django_db
def test_a_revision_with_lower_severity_and_no_wider_range_notifies_nobody(
    published, issue, customer, security_user
):
    _license, key = issue(customer)
    activate(key, "nvr-1", "6.2.1")
    first = published()
    assert services.send_advisory_notices() == 1
    lower = revise(first, security_user, cvss_vector=MEDIUM, affected_ranges=[">=6.2.0,<6.2.2"])
    assert not lower.notifies and lower.notices_completed_at is not None
    assert services.send_advisory_notices() == 0
    assert not AdvisoryNotice.objects.filter(revision=lower).exists()
    assert len(emails_to(customer.email)) == 1


@pytest.mark.django_db
def test_a_revision_that_widens_the_range_or_raises_severity_notifies_again(
    published, issue, customer, security_user
):
    _license, key = issue(customer)
    activate(key, "nvr-1", "6.1.3")
    first = published(cvss_vector=MEDIUM)
    assert services.send_advisory_notices() == 0  # 6.1.3 is not affected yet
    wider = revise(
        first, security_user, affected_ranges=["6.2.x", "6.1.x"], fixed_versions=["6.2.2", "6.1.4"]
    )
    assert wider.notifies
    assert services.send_advisory_notices() == 1
    (email,) = emails_to(customer.email)
    assert "nvr-1" in email.body_text and "6.1.4" in email.body_text
    higher = revise(wider, security_user, cvss_vector=CRITICAL)
    assert higher.notifies and services.send_advisory_notices() == 1


@pytest.mark.django_db
def test_widening_is_judged_on_releases_and_bounds_not_on_the_wording(published, security_user, product):
    Release.objects.create(product=product, version="6.2.5", released_on=date(2026, 9, 1))
    first = published(affected_ranges=[">=6.2.0,<6.3.0"])
    same = revise(first, security_user, affected_ranges=["6.2.x"], cvss_vector=CRITICAL)
    assert not same.notifies
    wider = revise(same, security_user, affected_ranges=["6.2.x", "6.3.0-rc1"])
    assert wider.notifies


@pytest.mark.django_db
def test_affected_owners_and_managers_get_one_email_naming_machines_and_fix(
    published, issue, customer, other_customer
):
    _license, key = issue(customer)
    activate(key, "front-desk", "6.2.1")
    activate(key, "warehouse", "6.2.1-hotfix2")
    organization = personal_organization(user=customer)
    viewer = personas.make_customer("viewer@customer.example")
    manager = personas.make_customer("manager@customer.example")
    Membership.objects.create(organization=organization, user=viewer, role=Membership.Role.VIEWER)
    Membership.objects.create(organization=organization, user=manager, role=Membership.Role.MANAGER)
    _, current_key = issue(other_customer)
    activate(current_key, "up-to-date", "6.3.0")
    revision = published()

    assert services.send_advisory_notices() == 2
    assert services.send_advisory_notices() == 0  # a second run sends nothing
    (email,) = emails_to(customer.email)
    assert "KSA-2027-001" in email.subject and "2 of your machines" in email.subject
    assert (
        "front-desk" in email.body_text
        and "warehouse" in email.body_text
        and "update to 6.2.2" in email.body_text
    )
    assert len(emails_to(manager.email)) == 1
    assert emails_to(viewer.email) == [] and emails_to(other_customer.email) == []
    assert AdvisoryNotice.objects.get(revision=revision, user=customer).machines == 2


@pytest.mark.django_db
def test_the_notice_is_a_service_notice_sent_to_people_who_declined_optional_mail(published, issue, customer):
    restriction.set_choices(user=customer, restrict=False, object_to_optional_mail=True)
    _, key = issue(customer)
    activate(key, "nvr", "6.2.0")
    published()
    services.send_advisory_notices()
    assert len(emails_to(customer.email)) == 1


@pytest.mark.django_db
def test_deactivated_machines_and_unparseable_versions_are_not_counted(published, issue, customer):
    from licensing import services as licensing_services

    license, key = issue(customer)
    machine = activate(key, "old", "6.2.1")
    licensing_services.release_machine(
        license=license, activation_id=machine.public_id, actor=licensing_services.Actor.system()
    )
    activate(key, "odd", "six point two")
    published()
    assert services.send_advisory_notices() == 0


@pytest.mark.django_db
def test_the_database_refuses_a_second_notice_for_the_same_revision(published, customer):
    revision = published()
    AdvisoryNotice.objects.create(user=customer, revision=revision, email_address=customer.email, machines=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        AdvisoryNotice.objects.create(
            user=customer, revision=revision, email_address=customer.email, machines=1
        )


@pytest.mark.django_db
def test_an_invalid_range_is_refused_at_publishing(draft, security_user):
    revision = draft(affected_ranges=["six.two"])
    with pytest.raises(services.AdvisoryError) as refused:
        services.publish_revision(revision=revision, by=security_user)
    assert refused.value.code == "advisories.invalid_version"
    assert AdvisoryRevision.objects.get(pk=revision.pk).is_draft


@pytest.mark.django_db
def test_each_reported_version_is_judged_once(draft, issue, customer):
    _, key = issue(customer)
    activate(key, "one", "6.2.1")
    activate(key, "two", "6.2.1")
    assert services.affected_versions(draft()) == ["6.2.1"]
