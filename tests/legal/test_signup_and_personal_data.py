import pytest
from django.urls import reverse

from accounts.models import User
from kalytera.personal_data import covered_models, sections
from legal import loader
from legal.models import Acceptance, ChangeNotice, PolicyVersion

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "new.person@example.com",
    "password1": "a-long-and-unusual-passphrase",
    "password2": "a-long-and-unusual-passphrase",
    "age_confirmed": "on",
    "policies_accepted": "on",
}


def test_signup_records_the_terms_and_privacy_versions_accepted(client, db):
    loader.load()
    response = client.post(reverse("account_signup"), SIGNUP)
    assert response.status_code == 302
    user = User.objects.get()
    recorded = {(a.version.policy.slug, a.version.number) for a in Acceptance.objects.filter(user=user)}
    assert recorded == {("terms", 1), ("privacy", 1)}
    assert set(Acceptance.objects.values_list("source", flat=True)) == {"signup"}


def test_signup_requires_accepting_the_terms(client, db):
    response = client.post(reverse("account_signup"), {**SIGNUP, "policies_accepted": ""})
    assert response.status_code == 200
    assert b"To create an account, accept the Terms of Service." in response.content
    assert not User.objects.exists()


def test_the_signup_form_links_the_policies(client, db):
    html = client.get(reverse("account_signup")).content.decode()
    assert 'href="/legal/terms/"' in html and 'href="/legal/privacy/"' in html


def test_legal_records_are_in_the_personal_data_registry():
    assert {Acceptance, ChangeNotice, PolicyVersion} <= covered_models()


def test_the_registry_shows_and_erases_acceptances_and_notices(db, customer):
    from datetime import timedelta

    from django.utils import timezone

    from legal import services
    from legal.models import Policy
    from tests.legal.versions import release

    privacy = Policy.objects.get(slug="privacy")
    release(privacy, number=1, effective_at=timezone.now() - timedelta(days=9))
    User.objects.filter(pk=customer.pk).update(date_joined=timezone.now() - timedelta(days=30))
    release(privacy, number=2, effective_at=timezone.now() - timedelta(days=1))
    services.send_change_notices()
    Acceptance.objects.create(user=customer, version=privacy.version_in_force(), source="prompt")
    legal = {s.key: s for s in sections() if s.key.startswith("legal_")}
    assert legal["legal_acceptances"].collect(customer)[0]["action"] == "acknowledged"
    assert legal["legal_notices"].collect(customer)[0]["sent_to"] == customer.email
    for section in legal.values():
        section.erase(customer)
        section.erase(customer)  # safe to run twice
        assert section.collect(customer) == []


def test_erasing_a_publisher_keeps_the_version_public(db, legal_user):
    from legal import services
    from legal.models import Policy

    draft = PolicyVersion.objects.create(
        policy=Policy.objects.get(slug="terms"), title="T", body="B", summary="S"
    )
    services.publish_version(version=draft, by=legal_user)
    section = next(s for s in sections() if s.key == "legal_publications")
    assert section.collect(legal_user)[0]["version"] == 1
    section.erase(legal_user)
    draft.refresh_from_db()
    assert draft.published_by is None and draft.status == "published"
