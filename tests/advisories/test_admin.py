import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from advisories import csaf
from advisories.models import Advisory, AdvisoryRevision, IncidentDelivery, IncidentNotice
from tests.advisories.conftest import CRITICAL

pytestmark = pytest.mark.django_db


@pytest.fixture
def security_client(staff_client_for, security_user):
    return staff_client_for(security_user)


def test_the_security_group_holds_advisory_permissions_only():
    held = set(
        Group.objects.get(name="Security").permissions.values_list("content_type__app_label", "codename")
    )
    assert {app for app, _ in held} == {"advisories"}
    assert ("advisories", "publish_advisoryrevision") in held and (
        "advisories",
        "send_incidentnotice",
    ) in held
    assert ("advisories", "change_advisorynotice") not in held  # records of who was told are read-only


@pytest.mark.parametrize(
    "path", ["licensing/license/", "accounts/user/", "legal/policyversion/", "contact/inquiry/"]
)
def test_security_staff_see_nothing_else(security_client, path):
    assert security_client.get(reverse("admin:index") + path).status_code in (403, 404)


@pytest.mark.parametrize("group", ["Licensing", "Legal", "Support"])
def test_other_staff_cannot_draft_or_send(staff_client_for, group, draft):
    from tests import personas

    client = staff_client_for(personas.make_staff(f"{group.lower()}@kalytera.example", group))
    revision = draft()
    assert client.get(reverse("admin:advisories_revision_publish", args=[revision.pk])).status_code == 403
    assert client.get(reverse("admin:advisories_advisoryrevision_add")).status_code == 403
    assert client.get(reverse("admin:advisories_incidentnotice_add")).status_code == 403


def test_security_staff_draft_preview_and_publish_an_advisory(security_client, product):
    response = security_client.post(
        reverse("admin:advisories_advisory_add"), {"identifier": "KSA-2027-001", "product": product.pk}
    )
    advisory = Advisory.objects.get(identifier="KSA-2027-001")
    assert response["Location"].endswith(f"?advisory={advisory.pk}")
    form = {
        "advisory": advisory.pk,
        "title": "Authentication bypass",
        "summary": "An attacker reads recordings.",
        "cve_ids": "cve-2027-12345",
        "cvss_vector": CRITICAL,
        "affected_ranges": "6.2.x\n>=6.1.0,<6.1.4",
        "fixed_versions": "6.2.2\n6.1.4",
        "workarounds": "",
        "acknowledgements": "",
        "change_summary": "",
    }
    assert security_client.post(reverse("admin:advisories_advisoryrevision_add"), form).status_code == 302
    revision = AdvisoryRevision.objects.get(advisory=advisory)
    assert revision.cve_ids == ["CVE-2027-12345"] and revision.affected_ranges == ["6.2.x", ">=6.1.0,<6.1.4"]
    assert revision.severity == "critical" and str(revision.base_score) == "9.8"

    preview = security_client.get(reverse("admin:advisories_revision_preview", args=[revision.pk]))
    assert "Preview of an unpublished revision" in preview.content.decode()
    assert (
        security_client.get(reverse("admin:advisories_revision_publish", args=[revision.pk])).status_code
        == 200
    )
    security_client.post(reverse("admin:advisories_revision_publish", args=[revision.pk]))
    revision.refresh_from_db()
    assert revision.number == 1 and revision.published_at is not None

    # Published: read-only, a change is a new revision.
    change = security_client.post(
        reverse("admin:advisories_advisoryrevision_change", args=[revision.pk]), {**form, "title": "Edited"}
    )
    assert change.status_code == 403
    response = security_client.post(reverse("admin:advisories_advisory_revise", args=[advisory.pk]))
    draft = AdvisoryRevision.objects.get(advisory=advisory, published_at__isnull=True)
    assert response["Location"] == reverse("admin:advisories_advisoryrevision_change", args=[draft.pk])


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("affected_ranges", "6.two", "is not a version bound"),
        ("cvss_vector", "CVSS:3.1/AV:N", "not valid"),
        ("cve_ids", "12345", "Not a CVE id"),
        ("fixed_versions", "latest", "is not a version"),
    ],
)
def test_bad_drafts_are_refused_with_the_reason(security_client, product, field, value, message):
    advisory = Advisory.objects.create(identifier="KSA-2027-001", product=product)
    form = {
        "advisory": advisory.pk,
        "title": "T",
        "summary": "S",
        "cvss_vector": CRITICAL,
        "affected_ranges": "6.2.x",
        field: value,
    }
    response = security_client.post(reverse("admin:advisories_advisoryrevision_add"), form)
    assert response.status_code == 200 and message in response.content.decode()


def test_publish_is_post_only_and_refuses_published_revisions(security_client, published):
    revision = published()
    assert (
        security_client.get(reverse("admin:advisories_revision_publish", args=[revision.pk])).status_code
        == 404
    )
    assert (
        security_client.get(
            reverse("admin:advisories_advisory_revise", args=[revision.advisory_id])
        ).status_code
        == 405
    )


def test_security_staff_import_a_csaf_upload(security_client, published):
    content = csaf.render(csaf.document(published().advisory)).replace(b"KSA-2027-001", b"KSA-2027-002")
    response = security_client.post(
        reverse("admin:advisories_advisory_import"),
        {"document": SimpleUploadedFile("ksa.json", content, "application/json")},
    )
    assert response.status_code == 302
    assert AdvisoryRevision.objects.get(advisory__identifier="KSA-2027-002").is_draft
    bad = security_client.post(
        reverse("admin:advisories_advisory_import"), {"document": SimpleUploadedFile("x.json", b"[]")}
    )
    assert bad.status_code == 400 and "not valid CSAF 2.0" in bad.content.decode()


def test_security_staff_compose_preview_and_send_an_incident_notice_once(
    security_client, customer, other_customer
):
    add = reverse("admin:advisories_incidentnotice_add")
    form = {
        "title": "Support mailbox accessed",
        "what_happened": "An attacker read the support mailbox.",
        "what_data": "Messages to support.",
        "what_to_do": "Ignore requests for license keys.",
        "audience": "list",
        "recipient_list": f"{customer.email}\nnobody@nowhere.example",
    }
    refused = security_client.post(add, form)
    assert (
        refused.status_code == 200
        and "No active account uses nobody@nowhere.example" in refused.content.decode()
    )
    security_client.post(add, {**form, "recipient_list": f"{customer.email}\n{other_customer.email}"})
    incident = IncidentNotice.objects.get()
    send = reverse("admin:advisories_incident_send", args=[incident.pk])
    preview = security_client.get(send).content.decode()
    assert "2 people" in preview and "Support mailbox accessed" in preview and "Ignore requests" in preview
    unconfirmed = security_client.post(send, {})
    assert unconfirmed.status_code == 400 and not IncidentNotice.objects.get().is_sent
    assert security_client.post(send, {"confirm": "yes"}).status_code == 302
    again = security_client.post(send, {"confirm": "yes"})
    assert again.status_code == 400 and "it is sent once" in again.content.decode()
    assert IncidentDelivery.objects.count() == 2
    incident.refresh_from_db()
    assert incident.recipient_count == 2 and incident.recipient_list == ""


@pytest.mark.parametrize(
    "name",
    [
        "admin:advisories_advisory_import",
        "admin:advisories_advisoryrevision_add",
        "admin:advisories_incidentnotice_add",
    ],
)
def test_anonymous_visitors_are_sent_to_the_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_customers_do_not_learn_that_the_staff_area_exists(customer_client):
    assert customer_client.get(reverse("admin:advisories_advisory_import")).status_code == 404


def test_sending_needs_the_send_permission(staff_client_for, security_user, customer):
    from django.contrib.auth.models import Permission

    security_user.user_permissions.add(*Permission.objects.filter(content_type__app_label="advisories"))
    group = Group.objects.get(name="Security")
    group.user_set.remove(security_user)
    security_user.user_permissions.remove(Permission.objects.get(codename="send_incidentnotice"))
    client = staff_client_for(security_user)
    incident = IncidentNotice.objects.create(
        title="T", what_happened="a", what_data="b", what_to_do="c", recipient_list=customer.email
    )
    assert (
        client.post(
            reverse("admin:advisories_incident_send", args=[incident.pk]), {"confirm": "yes"}
        ).status_code
        == 403
    )
    assert not IncidentNotice.objects.get().is_sent
