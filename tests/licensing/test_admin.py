import csv
import io

import pytest
from django.urls import reverse

from licensing import services
from licensing.admin import CappedCountPaginator
from licensing.models import KeyBatch, License, LicenseEvent
from tests import personas
from tests.licensing.conftest import digest
from tests.outbox import latest_to


@pytest.fixture
def staff(licensing_user, staff_client_for):
    return staff_client_for(licensing_user)


def changelist(**params):
    return reverse("admin:licensing_license_changelist"), params


def test_the_licensing_group_may_work_with_licensing_records_but_not_delete_them(licensing_user):
    for perm in (
        "view_license",
        "change_license",
        "add_plan",
        "add_release",
        "view_activation",
        "view_licenseevent",
    ):
        assert licensing_user.has_perm(f"licensing.{perm}"), perm
    for perm in ("delete_license", "change_licenseevent", "delete_licenseevent", "change_activation"):
        assert not licensing_user.has_perm(f"licensing.{perm}"), perm


@pytest.mark.parametrize("persona", ["support_user", "legal_user"])
def test_other_staff_groups_cannot_open_licenses(staff_client_for, persona, request, owned_license):
    client = staff_client_for(request.getfixturevalue(persona))
    assert client.get(reverse("admin:licensing_license_changelist")).status_code == 403
    assert client.get(reverse("admin:licensing_license_issue")).status_code in (302, 403)


def test_customers_never_see_the_staff_admin(customer_client):
    assert customer_client.get(reverse("admin:licensing_license_changelist")).status_code == 404


@pytest.mark.parametrize("how", ["key", "prefix", "email", "id"])
def test_licenses_are_found_by_key_prefix_owner_email_or_id(staff, owned_license, issue, how):
    license, key = owned_license
    issue(None)  # another license that must not match
    term = {
        "key": key.lower(),
        "prefix": license.key_prefix,
        "email": license.organization.personal_for.email.upper(),
        "id": str(license.public_id),
    }[how]
    url, _ = changelist()
    response = staff.get(url, {"q": term})
    assert list(response.context["cl"].result_list) == [license]


def test_a_search_that_is_none_of_those_finds_nothing(staff, owned_license):
    url, _ = changelist()
    response = staff.get(url, {"q": "carla"})
    assert list(response.context["cl"].result_list) == []


def test_the_list_never_counts_the_whole_table(staff, owned_license, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url, _ = changelist()
    with CaptureQueriesContext(connection) as context:
        assert staff.get(url, {"status__exact": "active"}).status_code == 200
    counts = [q["sql"] for q in context.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts
    assert all("LIMIT" in sql.upper() for sql in counts if "licensing_license" in sql), counts


def test_the_capped_paginator_stops_counting_at_its_cap(owned_license, issue):
    issue(None)
    issue(None)
    paginator = CappedCountPaginator(License.objects.order_by("pk"), 1)
    paginator.CAP = 2
    assert paginator.count == 3  # "more than the cap", without counting the rest


def test_staff_issue_a_license_to_a_customer_who_is_told_by_email(staff, plan, customer, deliver_outbox):
    response = staff.post(
        reverse("admin:licensing_license_issue"),
        {
            "owner_email": customer.email.upper(),
            "plan": plan.pk,
            "max_machines": 5,
            "expires_on": "2030-01-31",
        },
    )
    assert response.status_code == 302
    license = License.objects.get()
    held_by = license.organization.personal_for
    expires_on = license.expires_at.date().isoformat()
    assert (held_by, license.max_machines, expires_on) == (customer, 5, "2030-01-31")
    event = license.events.get()
    assert (event.kind, event.actor) == ("issued", "staff")
    sent = deliver_outbox()
    assert sent[-1].to == [customer.email]
    assert license.reference in sent[-1].body


def test_issuing_to_an_unknown_address_is_refused(staff, plan):
    response = staff.post(
        reverse("admin:licensing_license_issue"), {"owner_email": "nobody@x.example", "plan": plan.pk}
    )
    assert response.status_code == 200
    assert "No account has this address" in response.content.decode()
    assert not License.objects.exists()


def test_a_reseller_batch_can_be_downloaded_exactly_once(staff, plan):
    response = staff.post(
        reverse("admin:licensing_license_batch"), {"reseller": "Acme", "plan": plan.pk, "count": 3}
    )
    assert response.status_code == 302
    batch = KeyBatch.objects.get()
    url = reverse("admin:licensing_keybatch_download", args=[batch.pk])
    assert staff.get(url).status_code == 200  # the confirmation page changes nothing
    download = staff.post(url)
    assert download.status_code == 200
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert len(rows) == 3
    for row in rows:
        license = License.objects.get(public_id=row["license_id"])
        assert (
            services.claim_license(
                user=personas.make_customer(f"{row['license_id']}@r.example"), key=row["license_key"]
            )
            == license
        )
    again = staff.post(url, follow=True)
    assert "downloaded already" in again.content.decode()
    assert "text/csv" not in again["Content-Type"]


@pytest.mark.parametrize(
    ("action", "status", "kind"),
    [("suspend", "suspended", "suspended"), ("revoke", "revoked", "revoked")],
)
def test_status_actions_ask_for_a_reason_then_change_the_license_and_tell_the_owner(
    staff, owned_license, action, status, kind
):
    license, _ = owned_license
    url, _ = changelist()
    chosen = {"action": action, "_selected_action": [license.pk]}
    asked = staff.post(url, chosen)
    assert asked.status_code == 200 and 'name="reason"' in asked.content.decode()
    unconfirmed = staff.post(url, {**chosen, "apply": "1", "reason": "Unpaid invoice 2026-114"})
    assert unconfirmed.status_code == 200
    license.refresh_from_db()
    assert license.status == "active"

    staff.post(url, {**chosen, "apply": "1", "reason": "Unpaid invoice 2026-114", "confirm": "on"})
    license.refresh_from_db()
    assert license.status == status
    event = license.events.latest("created_at")
    assert (event.kind, event.actor, event.detail["reason"]) == (kind, "staff", "Unpaid invoice 2026-114")
    notice = latest_to(license.organization.personal_for.email)
    assert "Unpaid invoice 2026-114" in notice.body_text and license.reference in notice.subject


def test_suspending_without_a_reason_is_refused(staff, owned_license):
    license, _ = owned_license
    url, _ = changelist()
    staff.post(url, {"action": "suspend", "_selected_action": [license.pk], "apply": "1", "confirm": "on"})
    license.refresh_from_db()
    assert license.status == "active"
    with pytest.raises(services.LicensingError):
        services.change_status_with_notice(
            license=license, change="suspend", actor=services.Actor.system(), reason="  "
        )


def test_staff_text_sent_or_shown_to_customers_refuses_invisible_characters(staff, owned_license, plan):
    license, _ = owned_license
    url, _ = changelist()
    chosen = {"action": "suspend", "_selected_action": [license.pk], "apply": "1", "confirm": "on"}
    refused = staff.post(url, {**chosen, "reason": "Unpaid \u202einvoice"})
    assert refused.status_code == 200 and "U+202E" in refused.content.decode()
    license.refresh_from_db()
    assert license.status == "active"
    # Line breaks and tabs pass.
    staff.post(url, {**chosen, "reason": "Unpaid invoice.\r\n\tSee the message of May 2."})
    license.refresh_from_db()
    assert license.status == "suspended"

    batch = {"reseller": "Acme\u200b", "plan": plan.pk, "count": 1}
    response = staff.post(reverse("admin:licensing_license_batch"), batch)
    assert response.status_code == 200 and "U+200B" in response.content.decode()
    assert not KeyBatch.objects.exists()


def test_the_license_page_has_its_own_status_buttons(staff, owned_license):
    license, _ = owned_license
    html = staff.get(reverse("admin:licensing_license_change", args=[license.pk])).content.decode()
    suspend = reverse("admin:licensing_license_status", args=[license.pk, "suspend"])
    assert suspend in html
    assert 'name="_save"' not in html and 'name="_continue"' not in html  # nothing on it is editable
    staff.post(suspend, {"apply": "1", "reason": "Licence audit", "confirm": "on"})
    license.refresh_from_db()
    assert license.status == "suspended"


def test_renew_action_extends_and_reinstate_restores(staff, owned_license):
    license, _ = owned_license
    expiry = license.expires_at
    url, _ = changelist()
    staff.post(url, {"action": "renew", "_selected_action": [license.pk]})
    license.refresh_from_db()
    assert license.expires_at > expiry
    services.suspend_license(license=license, actor=services.Actor.system())
    staff.post(url, {"action": "reinstate", "_selected_action": [license.pk], "apply": "1", "confirm": "on"})
    license.refresh_from_db()
    assert license.status == "active"
    kinds = set(license.events.values_list("kind", flat=True))
    assert {LicenseEvent.Kind.RENEWED, LicenseEvent.Kind.REINSTATED} <= kinds
    assert "works again" in latest_to(license.organization.personal_for.email).subject


def test_an_action_that_does_not_apply_is_reported_not_applied(staff, owned_license):
    license, _ = owned_license
    url, _ = changelist()
    chosen = {"action": "reinstate", "_selected_action": [license.pk], "apply": "1", "confirm": "on"}
    response = staff.post(url, chosen, follow=True)
    assert "cannot be reinstated" in response.content.decode()


def test_the_license_page_shows_machines_without_hardware_identifiers(staff, owned_license):
    license, key = owned_license
    services.activate_machine(key=key, fingerprint=digest("rack"), label="Rack 7")
    html = staff.get(reverse("admin:licensing_license_change", args=[license.pk])).content.decode()
    assert "Rack 7" in html
    assert digest("rack") not in html
    assert key not in html


def test_licenses_cannot_be_deleted_in_the_admin(staff, owned_license):
    license, _ = owned_license
    assert staff.get(reverse("admin:licensing_license_delete", args=[license.pk])).status_code == 403


def test_the_issue_forms_and_batch_list_render_for_licensing_staff(staff, plan):
    for name in ("admin:licensing_license_issue", "admin:licensing_license_batch"):
        response = staff.get(reverse(name))
        assert response.status_code == 200
        assert plan.name in response.content.decode()
    assert staff.get(reverse("admin:licensing_license_add")).status_code == 302
    services.issue_batch(plan=plan, reseller="Acme", count=2, actor=services.Actor.system())
    listing = staff.get(reverse("admin:licensing_keybatch_changelist")).content.decode()
    assert "Download once" in listing


def test_a_get_on_the_batch_download_changes_nothing(staff, plan):
    batch = services.issue_batch(plan=plan, reseller="Acme", count=1, actor=services.Actor.system())
    staff.get(reverse("admin:licensing_keybatch_download", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.downloaded_at is None


def test_the_license_page_shows_the_latest_events_only(staff, owned_license, settings):
    from licensing.admin import RecentEventsFormSet
    from licensing.services.common import Actor, record

    license, _ = owned_license
    for _ in range(RecentEventsFormSet.LIMIT + 20):
        record(license, LicenseEvent.Kind.VALIDATION_FAILED, Actor.machine(), code="NOT_ACTIVATED")
    url = reverse("admin:licensing_license_change", args=[license.pk])
    response = staff.get(url)
    formset = next(f for f in response.context["inline_admin_formsets"] if f.formset.model is LicenseEvent)
    assert len(formset.formset.forms) == RecentEventsFormSet.LIMIT


def test_saving_the_read_only_license_page_changes_nothing(staff, owned_license):
    from licensing.services.common import Actor, record

    license, key = owned_license
    services.activate_machine(key=key, fingerprint=digest("rack"))
    for _ in range(3):
        record(license, LicenseEvent.Kind.VALIDATION_FAILED, Actor.machine(), code="EXPIRED")
    url = reverse("admin:licensing_license_change", args=[license.pk])
    page = staff.get(url)
    data = {"_save": "Save"}
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name, field in management.fields.items():
            data[f"{formset.prefix}-{name}"] = management.initial.get(name, field.initial)
        for form in formset.forms:
            data[f"{form.prefix}-id"] = form.instance.pk
            data[f"{form.prefix}-license"] = license.pk
    response = staff.post(url, data)
    assert response.status_code == 302
    assert license.events.count() == 5  # issued, activated and three refusals: nothing added or lost


def test_support_frees_a_seat_without_using_the_customers_moves(staff, make_plan, issue, customer):
    license, key = issue(customer, plan_=make_plan(moves_per_year=2))
    activation = services.activate_machine(key=key, fingerprint=digest("a")).activation
    services.deactivate_machine(key=key, fingerprint=digest("a"))  # one self-service move
    stuck = services.activate_machine(key=key, fingerprint=digest("b")).activation
    assert services.moves_left(license) == 1
    url = reverse("admin:licensing_license_release", args=[license.pk, stuck.pk])
    assert "Free the seat" in staff.get(url).content.decode()
    stuck.refresh_from_db()
    assert stuck.is_active  # the GET only asks
    assert (
        staff.post(url, {"machine": stuck.pk, "reason": "Old server died"}).status_code == 200
    )  # unconfirmed
    stuck.refresh_from_db()
    assert stuck.is_active
    response = staff.post(url, {"machine": stuck.pk, "reason": "Old server died", "confirm": "on"})
    assert response.status_code == 302
    stuck.refresh_from_db()
    assert not stuck.is_active
    event = license.events.filter(kind=LicenseEvent.Kind.DEACTIVATED).latest("created_at")
    assert (event.actor, event.detail) == ("staff", {"support": True, "reason": "Old server died"})
    assert services.moves_left(license) == 1  # the support move did not count against the customer
    assert activation.pk != stuck.pk


def test_only_licensing_staff_may_free_seats(staff_client_for, support_user, owned_license):
    license, key = owned_license
    activation = services.activate_machine(key=key, fingerprint=digest("a")).activation
    client = staff_client_for(support_user)
    url = reverse("admin:licensing_license_release", args=[license.pk, activation.pk])
    client.post(url, {"machine": activation.pk, "reason": "Moving", "confirm": "on"})
    activation.refresh_from_db()
    assert activation.is_active


def test_the_license_page_warns_when_the_owner_restricted_processing(staff, owned_license):
    from accounts.privacy import restriction

    license, _ = owned_license
    url = reverse("admin:licensing_license_change", args=[license.pk])
    assert "No restriction" in staff.get(url).content.decode()
    customer = license.organization.personal_for
    restriction.set_choices(user=customer, restrict=True, object_to_optional_mail=False)
    assert restriction.RESTRICTED_NOTE in staff.get(url).content.decode()


@pytest.mark.parametrize(
    "name",
    ["admin:licensing_license_issue", "admin:licensing_license_batch", "admin:licensing_license_statistics"],
)
def test_custom_licensing_pages_use_the_admin_breadcrumbs(staff, name):
    html = staff.get(reverse(name)).content.decode()
    assert '<ol class="breadcrumbs">' in html and 'class="breadcrumbs"><a' not in html


def test_the_license_page_says_seats_like_the_issue_form(staff, issue, customer):
    license, _ = issue(customer, max_machines=5)
    html = staff.get(reverse("admin:licensing_license_change", args=[license.pk])).content.decode()
    assert "Seats" in html and "5 (the plan has 2)" in html
    assert "Max machines override" not in html


def test_licensing_form_pages_load_the_admin_form_styles(staff, owned_license):
    license, _ = owned_license
    for url in (
        reverse("admin:licensing_license_issue"),
        reverse("admin:licensing_license_status", args=[license.pk, "suspend"]),
    ):
        assert "admin/css/forms.css" in staff.get(url).content.decode(), url
    page = staff.get(reverse("admin:licensing_license_status", args=[license.pk, "suspend"]))
    assert page.context["title"] == f"Suspend license {license.reference}"


def test_the_license_page_links_each_active_machine_to_freeing_its_seat(staff, owned_license):
    license, key = owned_license
    active = services.activate_machine(key=key, fingerprint=digest("a")).activation
    released = services.activate_machine(key=key, fingerprint=digest("b")).activation
    services.deactivate_machine(key=key, fingerprint=digest("b"))
    html = staff.get(reverse("admin:licensing_license_change", args=[license.pk])).content.decode()
    assert reverse("admin:licensing_license_release", args=[license.pk, active.pk]) in html
    assert reverse("admin:licensing_license_release", args=[license.pk, released.pk]) not in html


def test_the_license_page_has_renew_and_free_a_seat_buttons(staff, owned_license):
    license, _ = owned_license
    page = staff.get(reverse("admin:licensing_license_change", args=[license.pk])).content.decode()
    assert reverse("admin:licensing_license_renew", args=[license.pk]) in page
    assert reverse("admin:licensing_license_free_seat", args=[license.pk]) in page


def test_the_renew_button_asks_for_confirmation_then_renews_one_license(staff, owned_license):
    license, _ = owned_license
    expiry = license.expires_at
    url = reverse("admin:licensing_license_renew", args=[license.pk])
    assert f"Renew license {license.reference}" in staff.get(url).content.decode()
    assert staff.post(url, {"how": "term"}).status_code == 200  # not confirmed
    license.refresh_from_db()
    assert license.expires_at == expiry
    assert staff.post(url, {"how": "months", "months": 2, "confirm": "on"}).status_code == 302
    license.refresh_from_db()
    assert license.expires_at > expiry


def test_the_free_a_seat_button_asks_which_machine_and_why(staff, owned_license):
    license, key = owned_license
    url = reverse("admin:licensing_license_free_seat", args=[license.pk])
    assert "every seat is free" in staff.get(url).content.decode()
    activation = services.activate_machine(key=key, fingerprint=digest("a")).activation
    assert str(activation) in staff.get(url).content.decode()
    staff.post(url, {"machine": activation.pk, "confirm": "on"})  # no reason
    activation.refresh_from_db()
    assert activation.is_active
    staff.post(url, {"machine": activation.pk, "reason": "Replaced hardware", "confirm": "on"})
    activation.refresh_from_db()
    assert not activation.is_active


def test_renew_and_free_a_seat_are_for_licensing_staff_only(staff_client_for, support_user, owned_license):
    license, _ = owned_license
    client = staff_client_for(support_user)
    expiry = license.expires_at
    client.post(reverse("admin:licensing_license_renew", args=[license.pk]), {"how": "term", "confirm": "on"})
    license.refresh_from_db()
    assert license.expires_at == expiry
