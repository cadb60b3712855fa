from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from legal.models import Acceptance, PolicyVersion
from tests import personas
from tests.legal.versions import release

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:legal_policyversion_changelist")
ADD = reverse("admin:legal_policyversion_add")


def change_url(version) -> str:
    return reverse("admin:legal_policyversion_change", args=[version.pk])


def publish_url(version) -> str:
    return reverse("admin:legal_version_publish", args=[version.pk])


@pytest.fixture
def legal_client(staff_client_for, legal_user):
    return staff_client_for(legal_user)


@pytest.fixture
def a_draft(terms, terms_v1):
    return PolicyVersion.objects.create(
        policy=terms, title="Terms of Service", body="## New\n\nNew text.", summary="New text.", material=True
    )


def test_legal_staff_create_a_draft(legal_client, terms):
    response = legal_client.post(
        ADD,
        {
            "policy": terms.pk,
            "title": "Terms of Service",
            "summary": "Clearer.",
            "material": "",
            "body": "Text.",
        },
    )
    assert response.status_code == 302
    draft = PolicyVersion.objects.get()
    assert draft.is_draft and draft.number is None and draft.body == "Text."


def test_legal_staff_start_a_draft_from_the_newest_version(legal_client, terms, terms_v1):
    url = reverse("admin:legal_version_start", args=["terms"])
    assert legal_client.get(url).status_code == 405
    response = legal_client.post(url)
    draft = PolicyVersion.objects.get(status="draft")
    assert response["Location"] == change_url(draft)
    assert draft.body == terms_v1.body


def test_legal_staff_edit_a_draft(legal_client, a_draft):
    response = legal_client.post(
        change_url(a_draft), {"title": "Terms", "summary": "S.", "material": "on", "body": "Changed."}
    )
    assert response.status_code == 302
    a_draft.refresh_from_db()
    assert a_draft.body == "Changed."


def test_a_published_version_opens_read_only_and_refuses_changes(legal_client, terms_v1):
    page = legal_client.get(change_url(terms_v1))
    html = page.content.decode()
    assert page.status_code == 200
    assert "cannot be changed" in html
    assert 'name="body"' not in html and 'name="_save"' not in html
    response = legal_client.post(
        change_url(terms_v1), {"title": "Rewritten", "summary": "S", "material": "on", "body": "Rewritten."}
    )
    assert response.status_code == 403
    terms_v1.refresh_from_db()
    assert terms_v1.title != "Rewritten"


def test_a_published_version_cannot_be_deleted_in_the_admin(legal_client, terms_v1):
    url = reverse("admin:legal_policyversion_delete", args=[terms_v1.pk])
    assert legal_client.post(url, {"post": "yes"}).status_code == 403
    assert PolicyVersion.objects.filter(pk=terms_v1.pk).exists()


def test_bulk_delete_is_not_offered(legal_client, terms_v1, a_draft):
    response = legal_client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [terms_v1.pk, a_draft.pk], "post": "yes"},
    )
    assert PolicyVersion.objects.count() == 2
    assert response.status_code in (200, 302)


def test_the_preview_is_the_public_page_with_the_draft(legal_client, a_draft):
    response = legal_client.get(reverse("admin:legal_version_preview", args=[a_draft.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert next(t.name for t in response.templates) == "legal/policy.html"
    assert "Preview of a draft" in html
    assert '<h2 id="section-new">New</h2>' in html


def test_legal_staff_schedule_a_draft(legal_client, a_draft):
    effective = (timezone.now() + timedelta(days=30)).replace(second=0, microsecond=0)
    form = {"when": "schedule", "effective_at": effective.strftime("%Y-%m-%dT%H:%M"), "confirm": "on"}
    response = legal_client.post(publish_url(a_draft), form)
    assert response.status_code == 302
    a_draft.refresh_from_db()
    assert a_draft.status == PolicyVersion.Status.SCHEDULED
    assert (a_draft.number, a_draft.effective_at) == (2, effective)


def test_legal_staff_publish_now(legal_client, a_draft, legal_user):
    response = legal_client.post(publish_url(a_draft), {"when": "now", "confirm": "on"})
    assert response.status_code == 302
    a_draft.refresh_from_db()
    assert a_draft.status == PolicyVersion.Status.PUBLISHED and a_draft.published_by == legal_user
    entry = LogEntry.objects.get(object_id=str(a_draft.pk))
    assert entry.user == legal_user and entry.get_change_message() == "Released as version 2."


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"when": "now"}, "Confirm that you checked the preview."),
        ({}, "This field is required."),
        ({"when": "schedule", "confirm": "on"}, "Give the date and time the version takes effect."),
        ({"when": "schedule", "effective_at": "2001-01-01T00:00", "confirm": "on"}, "must lie in the future"),
        ({"when": "schedule", "effective_at": "soon", "confirm": "on"}, "Enter a valid date/time."),
        ({"when": "whenever", "confirm": "on"}, "Select a valid choice."),
    ],
)
def test_publishing_with_bad_input_explains_the_problem(legal_client, a_draft, form, message):
    response = legal_client.post(publish_url(a_draft), form)
    assert response.status_code == 400
    assert message in response.content.decode()
    a_draft.refresh_from_db()
    assert a_draft.is_draft


def test_publishing_before_a_scheduled_version_is_refused_with_the_reason(legal_client, terms, a_draft):
    release(terms, number=2, effective_at=timezone.now() + timedelta(days=10))
    response = legal_client.post(publish_url(a_draft), {"when": "now", "confirm": "on"})
    assert response.status_code == 400
    assert "a new version must take effect after it" in response.content.decode()


def test_publishing_needs_its_own_permission(client, a_draft, db):
    drafter = personas.make_staff("drafter@kalytera.example", None)
    drafter.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="legal", codename__in=["view_policyversion", "change_policyversion"]
        )
    )
    personas.give_totp(drafter)
    client.force_login(drafter)
    assert client.get(change_url(a_draft)).status_code == 200
    assert publish_url(a_draft) not in client.get(change_url(a_draft)).content.decode()
    assert client.post(publish_url(a_draft), {"when": "now", "confirm": "on"}).status_code == 403
    a_draft.refresh_from_db()
    assert a_draft.is_draft


def test_a_published_version_has_no_publish_page(legal_client, terms_v1):
    assert legal_client.get(publish_url(terms_v1)).status_code == 404


@pytest.mark.parametrize("persona", ["support_user", "licensing_user"])
def test_other_staff_groups_cannot_see_or_edit_policies(request, staff_client_for, a_draft, persona):
    client = staff_client_for(request.getfixturevalue(persona))
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(ADD).status_code == 403
    assert client.post(change_url(a_draft), {"title": "x", "summary": "x", "body": "x"}).status_code == 403
    assert client.post(publish_url(a_draft), {"when": "now", "confirm": "on"}).status_code == 403
    assert client.get(reverse("admin:legal_version_preview", args=[a_draft.pk])).status_code == 403
    assert client.post(reverse("admin:legal_version_start", args=["terms"])).status_code == 403
    assert client.get(reverse("admin:legal_acceptance_changelist")).status_code == 403
    a_draft.refresh_from_db()
    assert a_draft.is_draft and a_draft.title == "Terms of Service"


def test_customers_and_anonymous_visitors_never_reach_the_legal_admin(client, customer, a_draft):
    assert client.get(publish_url(a_draft)).status_code == 302  # to the login page
    client.force_login(customer)
    assert client.get(publish_url(a_draft)).status_code == 404
    assert client.get(CHANGELIST).status_code == 404


def test_legal_staff_see_who_accepted_which_version(legal_client, terms_v1, customer):
    Acceptance.objects.create(user=customer, version=terms_v1, source=Acceptance.Source.SIGNUP)
    version_page = legal_client.get(change_url(terms_v1)).content.decode()
    link = f"{reverse('admin:legal_acceptance_changelist')}?version__id__exact={terms_v1.pk}"
    assert f'<a href="{link}">1 person</a>' in version_page
    response = legal_client.get(link)
    assert response.status_code == 200
    assert customer.email in response.content.decode()
    acceptance = Acceptance.objects.get()
    url = reverse("admin:legal_acceptance_change", args=[acceptance.pk])
    assert legal_client.post(url, {"source": "prompt"}).status_code == 403
    delete = reverse("admin:legal_acceptance_delete", args=[acceptance.pk])
    assert legal_client.post(delete, {"post": "yes"}).status_code == 403


def test_legal_staff_withdraw_a_scheduled_version_before_its_date(legal_client, terms, terms_v1):
    scheduled = release(terms, number=2, effective_at=timezone.now() + timedelta(days=5))
    url = reverse("admin:legal_version_withdraw", args=[scheduled.pk])
    assert url in legal_client.get(change_url(scheduled)).content.decode()
    assert legal_client.get(url).status_code == 200
    response = legal_client.post(url)
    assert response["Location"] == change_url(scheduled)
    scheduled.refresh_from_db()
    assert scheduled.is_draft and scheduled.number is None


def test_versions_in_effect_and_drafts_cannot_be_withdrawn(legal_client, terms_v1, a_draft):
    for version in (terms_v1, a_draft):
        assert (
            legal_client.post(reverse("admin:legal_version_withdraw", args=[version.pk])).status_code == 404
        )


def test_withdrawing_needs_the_publish_permission(staff_client_for, support_user, terms, terms_v1):
    scheduled = release(terms, number=2, effective_at=timezone.now() + timedelta(days=5))
    client = staff_client_for(support_user)
    assert client.post(reverse("admin:legal_version_withdraw", args=[scheduled.pk])).status_code == 403
    scheduled.refresh_from_db()
    assert scheduled.status == PolicyVersion.Status.SCHEDULED


def test_drafts_in_the_list_can_be_told_apart_by_when_they_were_started_and_changed(legal_client, a_draft):
    html = legal_client.get(reverse("admin:legal_policyversion_changelist")).content.decode()
    assert "column-started" in html and "column-changed" in html
