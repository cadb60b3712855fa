from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kalytera_client import identity
from licensing import certificates, services
from licensing.models import Activation, LicenseEvent
from tests import personas
from tests.licensing.conftest import digest


@pytest.fixture
def machine(owned_license):
    _license, key = owned_license
    result = services.activate_machine(
        key=key, fingerprint=digest("nvr"), label="Lobby NVR", product_version="6.2.0"
    )
    return result.activation


def machine_url(name, license, activation):
    return reverse(
        f"licensing:{name}", kwargs={"license_id": license.public_id, "activation_id": activation.public_id}
    )


def license_pages(license, activation):
    ids = {"license_id": license.public_id}
    both = {**ids, "activation_id": activation.public_id}
    return [
        reverse("licensing:detail", kwargs=ids),
        reverse("licensing:show_key", kwargs=ids),
        reverse("licensing:deactivate", kwargs=both),
        reverse("licensing:certificate", kwargs=both),
    ]


def test_every_license_page_is_404_for_another_customer(client, owned_license, machine, other_customer):
    license, _ = owned_license
    client.force_login(other_customer)
    for url in license_pages(license, machine):
        assert client.get(url).status_code == 404, url
    assert client.post(license_pages(license, machine)[2]).status_code == 404
    assert machine.__class__.objects.get(pk=machine.pk).is_active


@pytest.mark.parametrize("persona", ["support_user", "licensing_user", "superuser"])
def test_staff_do_not_see_customer_license_pages_either(client, owned_license, machine, persona, request):
    license, _ = owned_license
    client.force_login(request.getfixturevalue(persona))
    for url in license_pages(license, machine):
        assert client.get(url).status_code == 404, url


def test_anonymous_visitors_are_sent_to_log_in(client, owned_license, machine):
    license, _ = owned_license
    for url in [reverse("licensing:list"), reverse("licensing:claim"), *license_pages(license, machine)]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_the_list_shows_plan_status_machines_and_dates(customer_client, owned_license, machine):
    license, _ = owned_license
    html = customer_client.get(reverse("licensing:list")).content.decode()
    assert license.reference in html
    assert license.plan.name in html
    assert "1 of 2" in html
    assert license.expires_at.strftime("%Y-%m-%d") in html
    assert html.count("<h1") == 1


def test_licenses_expiring_soon_or_in_grace_are_marked(customer_client, issue, customer):
    soon, _ = issue(customer, expires_at=timezone.now() + timedelta(days=10))
    soon.starts_at = timezone.now() - timedelta(days=355)
    soon.save(update_fields=["starts_at"])
    lapsed, _ = issue(customer, expires_at=timezone.now() + timedelta(days=1))
    lapsed.expires_at = timezone.now() - timedelta(days=2)
    lapsed.save(update_fields=["expires_at"])
    html = customer_client.get(reverse("licensing:list")).content.decode()
    assert "Expires soon" in html
    assert "In grace until" in html


def test_a_new_30_day_license_is_not_expiring_soon_until_its_last_week(customer_client, issue, customer):
    license, _ = issue(customer, expires_at=timezone.now() + timedelta(days=30))
    assert "Expires soon" not in customer_client.get(reverse("licensing:list")).content.decode()
    assert not license.expiring_soon(timezone.now() + timedelta(days=20))
    assert license.expiring_soon(timezone.now() + timedelta(days=24))


def test_the_list_does_not_show_other_customers_licenses(customer_client, issue, other_customer):
    theirs, _ = issue(other_customer)
    assert theirs.reference not in customer_client.get(reverse("licensing:list")).content.decode()


def test_a_long_list_is_paged_newest_first(customer_client, customer, issue, settings):
    from licensing import views

    issued = [issue(customer)[0] for _ in range(views.LICENSES_PER_PAGE + 2)]
    newest_first = sorted(issued, key=lambda license: (license.created_at, license.pk), reverse=True)
    first = customer_client.get(reverse("licensing:list")).content.decode()
    assert all(license.reference in first for license in newest_first[: views.LICENSES_PER_PAGE])
    assert f"Page 1 of 2 ({len(issued)} licenses)" in first and 'rel="next"' in first
    second = customer_client.get(reverse("licensing:list"), {"page": 2}).content.decode()
    assert all(license.reference in second for license in newest_first[views.LICENSES_PER_PAGE :])
    assert newest_first[0].reference not in second and 'rel="prev"' in second
    # a page number out of range or not a number shows the nearest page, never an error
    assert "Page 2 of 2" in customer_client.get(reverse("licensing:list"), {"page": 99}).content.decode()
    assert "Page 1 of 2" in customer_client.get(reverse("licensing:list"), {"page": "x"}).content.decode()


def _page_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_query_counts_do_not_grow_with_licenses_machines_or_events(
    customer_client, customer, make_plan, issue, django_assert_num_queries
):
    plan = make_plan(max_machines=20, moves_per_year=50)
    license, key = issue(customer, plan_=plan)
    services.activate_machine(key=key, fingerprint=digest("first"))
    detail = reverse("licensing:detail", kwargs={"license_id": license.public_id})
    list_url = reverse("licensing:list")
    for url in (list_url, detail):  # the first requests record the session and fill the caches
        customer_client.get(url)
    few = (_page_queries(customer_client, list_url), _page_queries(customer_client, detail))
    for n in range(6):
        issue(customer, plan_=plan)
        services.activate_machine(key=key, fingerprint=digest(f"m{n}"), label=f"M{n}")
        services.deactivate_machine(key=key, fingerprint=digest(f"m{n}"))
        services.validate(key=key, fingerprint=digest(f"unknown{n}"))
    with django_assert_num_queries(few[0]):
        customer_client.get(list_url)
    with django_assert_num_queries(few[1]):
        customer_client.get(detail)
    assert license.events.count() > 12


def test_the_detail_page_lists_machines_and_the_history(customer_client, owned_license, machine):
    license, _ = owned_license
    html = customer_client.get(
        reverse("licensing:detail", kwargs={"license_id": license.public_id})
    ).content.decode()
    assert "Lobby NVR" in html
    assert "6.2.0" in html
    assert machine.display_id in html
    for kind in ("Issued", "Machine activated"):
        assert kind in html
    assert digest("nvr") not in html


def test_claiming_a_key_adds_it_to_the_account(customer_client, issue, customer):
    license, key = issue(None)
    response = customer_client.post(reverse("licensing:claim"), {"key": key.lower().replace("-", " ")})
    assert response.status_code == 302
    assert response["Location"] == reverse("licensing:detail", kwargs={"license_id": license.public_id})
    license.refresh_from_db()
    assert license.organization.personal_for == customer


def test_a_typo_in_the_key_is_explained(customer_client, issue):
    _, key = issue(None)
    typo = key[:-2] + key[-1] + key[-2] if key[-1] != key[-2] else key[:-1] + "Z"
    response = customer_client.post(reverse("licensing:claim"), {"key": typo})
    assert response.status_code == 200
    assert "typo" in response.content.decode()


def test_someone_elses_key_is_refused_without_saying_whose(customer_client, issue, other_customer):
    _, key = issue(other_customer)
    response = customer_client.post(reverse("licensing:claim"), {"key": key})
    html = response.content.decode()
    assert "another account" in html
    assert other_customer.email not in html


def test_claim_attempts_are_rate_limited(customer_client, settings, db):
    settings.LICENSING_CLAIM_RATE = "2/m"
    from licensing import keys

    for _ in range(2):
        customer_client.post(reverse("licensing:claim"), {"key": keys.generate()})
    response = customer_client.post(reverse("licensing:claim"), {"key": keys.generate()})
    assert response.status_code == 429
    assert response["Retry-After"]


def test_deactivating_asks_for_confirmation_then_frees_the_seat(customer_client, owned_license, machine):
    license, _ = owned_license
    url = reverse(
        "licensing:deactivate", kwargs={"license_id": license.public_id, "activation_id": machine.public_id}
    )
    confirm = customer_client.get(url)
    assert confirm.status_code == 200
    assert "3 are left" in confirm.content.decode()
    machine.refresh_from_db()
    assert machine.is_active  # GET changes nothing
    response = customer_client.post(url)
    assert response.status_code == 302
    machine.refresh_from_db()
    assert not machine.is_active
    event = license.events.get(kind=LicenseEvent.Kind.DEACTIVATED)
    assert (event.actor, event.actor_user) == ("customer", license.organization.personal_for)


def test_beyond_the_yearly_moves_the_page_points_to_licensing_support(
    customer_client, make_plan, issue, customer
):
    license, key = issue(customer, plan_=make_plan(moves_per_year=0))
    activation = services.activate_machine(key=key, fingerprint=digest("stuck")).activation
    url = reverse(
        "licensing:deactivate",
        kwargs={"license_id": license.public_id, "activation_id": activation.public_id},
    )
    contact = f"/contact/?topic=licensing&amp;license={license.key_prefix}"
    assert contact in customer_client.get(url).content.decode()
    refused = customer_client.post(url)
    assert refused.status_code == 409
    assert contact in refused.content.decode()
    activation.refresh_from_db()
    assert activation.is_active
    detail = customer_client.get(reverse("licensing:detail", kwargs={"license_id": license.public_id}))
    assert contact in detail.content.decode()


def test_the_certificate_download_is_signed_for_the_machine(customer_client, owned_license, machine):
    license, _ = owned_license
    url = reverse(
        "licensing:certificate", kwargs={"license_id": license.public_id, "activation_id": machine.public_id}
    )
    response = customer_client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.lic"')
    claims = certificates.verify(response.content.decode())
    assert claims["fingerprint"] == digest("nvr")
    assert claims["license_id"] == str(license.public_id)


def test_no_certificate_for_a_deactivated_machine_or_suspended_license(
    customer_client, owned_license, machine
):
    license, key = owned_license
    url = reverse(
        "licensing:certificate", kwargs={"license_id": license.public_id, "activation_id": machine.public_id}
    )
    services.suspend_license(license=license, actor=services.Actor.system())
    assert customer_client.get(url).status_code == 302
    services.reinstate_license(license=license, actor=services.Actor.system())
    services.deactivate_machine(key=key, fingerprint=digest("nvr"))
    assert customer_client.get(url).status_code == 302


def test_the_key_is_shown_again_only_after_reauthentication(client, owned_license, customer):
    license, key = owned_license
    client.force_login(customer)
    url = reverse("licensing:show_key", kwargs={"license_id": license.public_id})
    first = client.get(url)
    assert first.status_code == 302
    assert first["Location"].startswith(reverse("account_reauthenticate"))
    client.post(first["Location"], {"password": personas.PASSWORD})
    shown = client.get(url)
    assert shown.status_code == 200
    assert key in shown.content.decode()
    assert "no-store" in shown["Cache-Control"] or "no-cache" in shown["Cache-Control"]


@pytest.mark.parametrize("name", ["list", "detail", "show_key", "certificate"])
def test_read_only_pages_refuse_post(customer_client, owned_license, machine, name):
    license, _ = owned_license
    kwargs = {"license_id": license.public_id}
    if name == "certificate":
        kwargs["activation_id"] = machine.public_id
    if name == "list":
        kwargs = {}
    assert customer_client.post(reverse(f"licensing:{name}", kwargs=kwargs)).status_code == 405


def test_pages_have_one_heading_and_no_inline_script_or_style(customer_client, owned_license, machine):
    license, _ = owned_license
    urls = [reverse("licensing:list"), reverse("licensing:claim"), license_pages(license, machine)[0],
            license_pages(license, machine)[2]]  # fmt: skip
    for url in urls:
        html = customer_client.get(url).content.decode()
        assert html.count("<h1") == 1, url
        assert "<script" not in html and "style=" not in html, url


def test_the_history_explains_hardware_changes_and_refused_check_ins(customer_client, owned_license):
    license, key = owned_license
    parts = [digest("board"), digest("disk"), digest("nic")]
    services.activate_machine(key=key, fingerprint=digest("old"), components=parts)
    services.activate_machine(key=key, fingerprint=digest("new"), components=[*parts[:2], digest("nic2")])
    services.validate(key=key, fingerprint=digest("stranger"))
    url = reverse("licensing:detail", kwargs={"license_id": license.public_id})
    html = customer_client.get(url).content.decode()
    assert "2 of 3 hardware parts recognised" in html
    assert "Check-in refused" in html and "NOT_ACTIVATED" in html


def test_machines_that_missed_their_check_in_are_shown_offline(customer_client, owned_license, machine):
    license, _ = owned_license
    detail = f"/licenses/{license.public_id}/"
    assert "Offline" not in customer_client.get(detail).content.decode()
    stale = timezone.now() - timedelta(days=license.plan.offline_validity_days + 1)
    Activation.objects.filter(license=license).update(last_seen_at=stale)
    assert "Offline" in customer_client.get(detail).content.decode()
    assert "1 offline" in customer_client.get("/licenses/").content.decode()


def test_the_list_counts_a_machine_offline_exactly_when_the_detail_page_does(
    customer_client, owned_license, machine
):
    license, _ = owned_license
    validity = timedelta(days=license.plan.offline_validity_days)
    for missed_by, offline in [(-timedelta(minutes=1), False), (timedelta(minutes=1), True)]:
        Activation.objects.filter(license=license).update(last_seen_at=timezone.now() - validity - missed_by)
        listed = customer_client.get("/licenses/").content.decode()
        detail = customer_client.get(f"/licenses/{license.public_id}/").content.decode()
        assert ("1 offline" in listed) is offline
        assert ("Offline" in detail) is offline


@pytest.mark.parametrize(("change", "heading"), [("suspend", "is suspended"), ("revoke", "has been revoked")])
def test_a_stopped_license_shows_its_state_reason_and_what_to_do_but_no_activation(
    customer_client, owned_license, change, heading
):
    license, _ = owned_license
    services.change_status_with_notice(
        license=license, change=change, actor=services.Actor.system(), reason="Unpaid invoice 2026-114"
    )
    html = customer_client.get(reverse("licensing:detail", kwargs={"license_id": license.public_id})).content
    html = html.decode()
    assert heading in html and "Unpaid invoice 2026-114" in html
    assert "/contact/?topic=licensing" in html
    assert "to activate it" not in html
    assert reverse("licensing:offline", kwargs={"license_id": license.public_id}) not in html
    assert "grace period" not in html


def test_a_license_in_grace_links_to_a_renewal_request(customer_client, owned_license):
    license, _ = owned_license
    license.expires_at = timezone.now() - timedelta(days=1)
    license.save(update_fields=["expires_at"])
    html = customer_client.get(reverse("licensing:detail", kwargs={"license_id": license.public_id})).content
    assert (
        f'href="/contact/?topic=licensing&amp;license={license.key_prefix}">Ask us to renew it'
        in html.decode()
    )


def test_the_account_home_lists_the_licenses_that_need_attention(customer_client, issue, customer):
    fine, _ = issue(customer)
    lapsed, _ = issue(customer)
    lapsed.expires_at = timezone.now() - timedelta(days=1)
    lapsed.save(update_fields=["expires_at"])
    html = customer_client.get(reverse("accounts:dashboard")).content.decode()
    assert "1 license needs your attention" in html
    assert f"License {lapsed.reference}" in html and "In grace until" in html
    assert f"License {fine.reference}" not in html


def test_the_account_home_says_when_all_is_fine_or_what_to_do_first(customer_client, issue, customer):
    assert (
        "Add the key from your order" in customer_client.get(reverse("accounts:dashboard")).content.decode()
    )
    issue(customer)
    assert "All fine" in customer_client.get(reverse("accounts:dashboard")).content.decode()


def test_plan_kind_is_named_once_and_features_in_words(customer_client, make_plan, issue, customer):
    plan = make_plan(kind="perpetual", name="Enterprise (perpetual)")
    license, _ = issue(customer, plan_=plan)
    listing = customer_client.get(reverse("licensing:list")).content.decode()
    detail = customer_client.get(reverse("licensing:detail", kwargs={"license_id": license.public_id}))
    assert "(perpetual) (perpetual)" not in listing + detail.content.decode()
    assert "Video analytics, Licence plate recognition" in detail.content.decode()


def test_the_licensing_contact_link_follows_the_url_configuration(owned_license):
    from django.urls import get_script_prefix, set_script_prefix

    from licensing.views import contact_url

    license, _ = owned_license
    before = get_script_prefix()
    set_script_prefix("/portal/")  # a deployment under a path prefix
    try:
        assert contact_url(license) == f"/portal/contact/?topic=licensing&license={license.key_prefix}"
    finally:
        set_script_prefix(before)


def test_the_machine_id_is_the_short_form_the_vms_shows_too(
    customer_client, staff_client_for, superuser, owned_license
):
    license, key = owned_license
    fingerprint = identity.fingerprint("lobby-nvr-machine-id")
    activation = services.activate_machine(key=key, fingerprint=fingerprint, label="Lobby NVR").activation
    shown = identity.short_id(fingerprint)
    assert activation.display_id == shown
    page = customer_client.get(
        reverse("licensing:detail", kwargs={"license_id": license.public_id})
    ).content.decode()
    assert f"<code>{shown}</code>" in page and "Lobby NVR" in page
    assert (
        activation.fingerprint_hash[:8] not in page
    )  # the platform's keyed hash matches nothing the VMS knows
    staff_page = staff_client_for(superuser).get(reverse("admin:licensing_license_change", args=[license.pk]))
    assert staff_page.status_code == 200 and shown in staff_page.content.decode()


@pytest.mark.postgres  # only PostgreSQL runs the compiled SQL (kalytera.prepared)
def test_the_first_page_compiled_once_gives_what_the_orm_gives(customer, owned_license, machine, issue):
    from licensing import views
    from licensing.access import reach

    issue(customer)
    reached = reach(customer)
    organizations, granted = sorted(reached.organizations), sorted(reached.licenses)
    now = timezone.now()
    shown = ["pk", "public_id", "total", "machines_used", "machines_offline", "versions_reported"]
    orm = list(views._listed(organizations, granted, now)[: views.LICENSES_PER_PAGE])
    prepared = views._FIRST_PAGE.all(organizations=organizations, licenses=granted, now=now)
    assert [[getattr(lic, name) for name in shown] for lic in prepared] == [
        [getattr(lic, name) for name in shown] for lic in orm
    ]
    assert len(prepared) == 2 and prepared[0].total == 2
    assert [lic.organization.name for lic in prepared] == [lic.organization.name for lic in orm]
    assert views._FIRST_PAGE.all(organizations=[], licenses=[], now=now) == []
