"""License transfers between organizations: offer, acceptance, withdrawal, expiry, staff moves, refusals."""
# ruff: noqa: F811 - the organization fixtures are imported by name

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kalytera.personal_data import sections
from licensing import services
from licensing.models import Activation, License, LicenseEvent, LicenseTransfer
from licensing.services import LicensingError, reminders
from licensing.services.transfers import (
    accept_transfer,
    expire_transfers,
    offer_transfer,
    open_offer_by_holder,
    pending_offers,
    transfer_by_staff,
    withdraw_transfer,
)
from organizations.models import Membership
from organizations.services import create_organization, personal_organization
from tests import personas
from tests.licensing.conftest import digest
from tests.organizations.conftest import company, company_license, members, signed_in  # noqa: F401
from tests.outbox import emails_to, latest_to

pytestmark = pytest.mark.django_db

State = LicenseTransfer.State
RECIPIENT = "mia@contoso.example"


@pytest.fixture
def contoso(db):
    """The receiving organization: Mia manages it, Oskar owns it."""
    owner = personas.make_customer("oskar@contoso.example")
    organization = create_organization(user=owner, name="Contoso CCTV")
    mia = personas.make_customer(RECIPIENT)
    Membership.objects.create(organization=organization, user=mia, role="manager")
    return organization


@pytest.fixture
def mia(contoso):
    return contoso.memberships.get(user__email=RECIPIENT).user


def token_from_email(address: str = RECIPIENT) -> str:
    body = latest_to(address).body_text
    match = re.search(r"/licenses/transfers/accept/([A-Za-z0-9_-]+)/", body)
    assert match, body
    return match.group(1)


def offer(members, licenses, email: str = RECIPIENT):
    return offer_transfer(by=members["owner"], licenses=licenses, recipient_email=email)


# --- The whole way ----------------------------------------------------------------------------


def test_an_accepted_offer_moves_every_license_with_its_machines_and_history(
    members, company, company_license, contoso, mia, issue
):
    license, key, activation = company_license
    second, _ = issue(company)
    offered = offer(members, [license, second])
    assert offered.transfer.expires_at == offered.transfer.created_at + timedelta(days=7)
    token = token_from_email()
    assert token == offered.token
    assert offered.transfer.token_hash != token  # only its keyed hash is stored

    accepted = accept_transfer(user=mia, token=token, organization=contoso)

    assert accepted.state == State.ACCEPTED and accepted.decided_by == mia
    assert accepted.to_organization == contoso
    for moved in (license, second):
        moved.refresh_from_db()
        assert moved.organization == contoso
    # The id, the machine and its certificate do not change: the server notices nothing.
    assert Activation.objects.get(pk=activation.pk).is_active
    assert services.validate(key=key, fingerprint=digest("nvr-1")).valid
    out = license.events.get(kind=LicenseEvent.Kind.TRANSFERRED_OUT)
    received = license.events.get(kind=LicenseEvent.Kind.TRANSFERRED_IN)
    assert (out.organization, out.actor_user, out.detail["to"]) == (company, members["owner"], "Contoso CCTV")
    assert (received.organization, received.actor_user) == (contoso, mia)
    assert received.detail["origin"] == company.name
    assert license.events.filter(kind=LicenseEvent.Kind.ISSUED).exists()  # the earlier history stays
    # The offering owners hear that it was accepted.
    notice = latest_to(members["owner"].email)
    assert "transferred to Contoso CCTV" in notice.subject and RECIPIENT in notice.body_text


def test_the_offer_email_names_the_licenses_and_the_deadline(members, company_license):
    license, _key, _activation = company_license
    offered = offer(members, [license])
    email = latest_to(RECIPIENT)
    assert "Northwind Security offers you 1 Kalytera license" in email.subject
    assert license.reference in email.body_text and members["owner"].email in email.body_text
    assert f"{offered.transfer.expires_at:%Y-%m-%d %H:%M} UTC" in email.body_text
    assert email.category == "service"


def test_reminders_and_notices_follow_the_license_to_its_new_holder(
    members, company, company_license, contoso, mia
):
    license, _key, _activation = company_license
    accept_transfer(user=mia, token=offer(members, [license]).token, organization=contoso)
    license.refresh_from_db()
    before = {address: len(emails_to(address)) for address in (members["owner"].email, RECIPIENT)}
    sent = reminders.send_reminders(now=license.expires_at - timedelta(days=6, hours=23))
    assert sent == 1
    assert len(emails_to(RECIPIENT)) == before[RECIPIENT] + 1
    assert len(emails_to("oskar@contoso.example")) >= 1
    assert (
        len(emails_to(members["owner"].email)) == before[members["owner"].email]
    )  # the old holder no longer
    services.change_status_with_notice(
        license=license, change="suspend", actor=services.Actor.system(), reason="Unpaid invoice."
    )
    assert "suspended" in latest_to(RECIPIENT).subject
    assert len(emails_to(members["owner"].email)) == before[members["owner"].email]


def test_the_license_leaves_the_old_holders_pages_and_appears_on_the_new_ones(
    members, company_license, contoso, mia
):
    license, _key, _activation = company_license
    accept_transfer(user=mia, token=offer(members, [license]).token, organization=contoso)
    old, new = signed_in(members["owner"]), signed_in(mia)
    assert old.get(reverse("licensing:detail", args=[license.public_id])).status_code == 404
    assert license.reference not in old.get(reverse("licensing:list")).content.decode()
    page = new.get(reverse("licensing:detail", args=[license.public_id])).content.decode()
    assert "NVR 1" in page and "Received by transfer" in page and "from Northwind Security" in page
    # The old holder's people are named by organization only, not by their address.
    assert members["owner"].email not in page
    assert "a member of Northwind Security" in page
    # Both sides keep the transfer on their transfers page.
    assert "Transferred" in old.get(reverse("licensing:transfers")).content.decode()
    assert "Transferred" in new.get(reverse("licensing:transfers")).content.decode()


# --- Refusals ---------------------------------------------------------------------------------


def test_an_expired_offer_is_refused_and_marked_by_the_periodic_job(members, company_license, contoso, mia):
    license, _key, _activation = company_license
    offered = offer(members, [license])
    later = offered.transfer.expires_at + timedelta(seconds=1)
    with pytest.raises(LicensingError) as refused:
        accept_transfer(user=mia, token=offered.token, organization=contoso, now=later)
    assert refused.value.code == "EXPIRED" and "expired on" in refused.value.message
    assert expire_transfers(now=later) == 1
    assert expire_transfers(now=later) == 0  # idempotent
    offered.transfer.refresh_from_db()
    assert offered.transfer.state == State.EXPIRED
    assert offered.transfer.decided_at == offered.transfer.expires_at
    license.refresh_from_db()
    assert license.organization_id != contoso.pk


def test_the_expiry_job_runs_as_a_command(members, company_license):
    license, _key, _activation = company_license
    offered = offer(members, [license])
    LicenseTransfer.objects.filter(pk=offered.transfer.pk).update(expires_at=timezone.now() - timedelta(1))
    call_command("expire_license_transfers", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert LicenseTransfer.objects.get(pk=offered.transfer.pk).state == State.EXPIRED


def test_a_withdrawn_offer_is_refused(members, company_license, contoso, mia):
    license, _key, _activation = company_license
    offered = offer(members, [license])
    withdraw_transfer(by=members["owner"], transfer=offered.transfer)
    with pytest.raises(LicensingError) as refused:
        accept_transfer(user=mia, token=offered.token, organization=contoso)
    assert refused.value.code == "WITHDRAWN" and "withdrew this transfer offer" in refused.value.message
    assert license.events.filter(kind=LicenseEvent.Kind.TRANSFER_WITHDRAWN).count() == 1


def test_an_offer_is_accepted_once(members, company_license, contoso, mia):
    license, _key, _activation = company_license
    offered = offer(members, [license])
    accept_transfer(user=mia, token=offered.token, organization=contoso)
    with pytest.raises(LicensingError) as refused:
        accept_transfer(user=mia, token=offered.token, organization=contoso)
    assert refused.value.code == "ALREADY_ACCEPTED" and "the link works once" in refused.value.message
    with pytest.raises(LicensingError) as too_late:
        withdraw_transfer(by=members["owner"], transfer=offered.transfer)
    assert too_late.value.code == "ALREADY_ACCEPTED"


def test_another_person_cannot_accept(members, company_license, contoso):
    license, _key, _activation = company_license
    offered = offer(members, [license])
    oskar = contoso.memberships.get(role="owner").user
    with pytest.raises(LicensingError) as refused:
        accept_transfer(user=oskar, token=offered.token, organization=contoso)
    assert refused.value.code == "WRONG_ADDRESS" and "another email address" in refused.value.message


def test_an_unverified_address_cannot_accept(members, company_license, contoso, mia):
    license, _key, _activation = company_license
    offered = offer(members, [license])
    EmailAddress.objects.filter(user=mia).update(verified=False)
    with pytest.raises(LicensingError) as refused:
        accept_transfer(user=mia, token=offered.token, organization=contoso)
    assert refused.value.code == "WRONG_ADDRESS"


def test_a_viewer_of_the_receiving_organization_cannot_receive(members, company_license, contoso, mia):
    license, _key, _activation = company_license
    offered = offer(members, [license])
    Membership.objects.filter(user=mia, organization=contoso).update(role="viewer")
    with pytest.raises(LicensingError) as refused:
        accept_transfer(user=mia, token=offered.token, organization=contoso)
    assert refused.value.code == "NOT_AN_OWNER" and "owner or manager of it" in refused.value.message


def test_only_owners_offer_and_withdraw(members, company_license):
    license, _key, _activation = company_license
    for role in ("manager", "viewer", "outsider"):
        with pytest.raises(LicensingError) as refused:
            offer_transfer(by=members[role], licenses=[license], recipient_email=RECIPIENT)
        assert refused.value.code == "NOT_AN_OWNER"
        assert "Only an owner of Northwind Security" in refused.value.message
    offered = offer(members, [license])
    with pytest.raises(LicensingError) as refused:
        withdraw_transfer(by=members["manager"], transfer=offered.transfer)
    assert refused.value.code == "NOT_AN_OWNER"


def test_the_offering_organization_cannot_receive_its_own_licenses(members, company, company_license):
    license, _key, _activation = company_license
    # The owner offers to a manager of the same company.
    offered = offer(members, [license], email=members["manager"].email)
    with pytest.raises(LicensingError) as refused:
        accept_transfer(user=members["manager"], token=offered.token, organization=company)
    assert refused.value.code == "SAME_ORGANIZATION"
    # Their own organization is fine.
    own = personal_organization(user=members["manager"])
    accept_transfer(user=members["manager"], token=offered.token, organization=own)
    license.refresh_from_db()
    assert license.organization == own


def test_a_license_no_longer_held_stops_the_whole_transfer(
    members, company, company_license, contoso, mia, issue, licensing_user
):
    license, _key, _activation = company_license
    second, _ = issue(company)
    offered = offer(members, [license, second])
    elsewhere = create_organization(user=members["outsider"], name="Elsewhere Ltd")
    transfer_by_staff(
        license=second, to_organization=elsewhere, actor=services.Actor.staff(licensing_user), reason="Sold."
    )
    offered.transfer.refresh_from_db()
    assert offered.transfer.state == State.WITHDRAWN  # the staff move withdrew the offer
    LicenseTransfer.objects.filter(pk=offered.transfer.pk).update(state=State.PENDING)  # as if it had not
    with pytest.raises(LicensingError) as refused:
        accept_transfer(user=mia, token=offered.token, organization=contoso)
    assert refused.value.code == "LICENSE_NO_LONGER_HELD"
    assert second.reference in refused.value.message and "nothing was transferred" in refused.value.message
    license.refresh_from_db()
    assert license.organization == company  # all or none


def test_a_license_is_in_one_pending_offer_at_a_time(members, company_license, contoso, mia):
    license, _key, _activation = company_license
    first = offer(members, [license])
    with pytest.raises(LicensingError) as refused:
        offer(members, [license], email="someone@else.example")
    assert refused.value.code == "ALREADY_OFFERED" and license.reference in refused.value.message
    withdraw_transfer(by=members["owner"], transfer=first.transfer)
    offer(members, [license], email="someone@else.example")  # free again


def test_an_expired_offer_no_longer_blocks_a_new_one(members, company_license):
    license, _key, _activation = company_license
    first = offer(members, [license])
    later = first.transfer.expires_at + timedelta(minutes=1)
    offer_transfer(by=members["owner"], licenses=[license], recipient_email=RECIPIENT, now=later)


def test_offers_hold_licenses_of_one_organization_and_no_trials(members, company_license, issue, make_plan):
    license, _key, _activation = company_license
    own, _ = issue(members["owner"])
    with pytest.raises(LicensingError) as mixed:
        offer(members, [license, own])
    assert mixed.value.code == "SEVERAL_ORGANIZATIONS"
    trial, _ = issue(members["owner"], plan_=make_plan("trial", duration_days=30))
    with pytest.raises(LicensingError) as refused:
        offer(members, [trial])
    assert refused.value.code == "TRIAL_NOT_TRANSFERABLE"
    with pytest.raises(LicensingError) as empty:
        offer(members, [])
    assert empty.value.code == "NO_LICENSES"


def test_an_unknown_link_is_refused(mia, contoso):
    with pytest.raises(LicensingError) as refused:
        accept_transfer(user=mia, token="not-a-token", organization=contoso)
    assert refused.value.code == "TRANSFER_NOT_FOUND"


def test_a_license_unassigned_by_a_purge_and_claimed_meanwhile_is_not_transferred(
    customer, issue, contoso, mia, other_customer
):
    license, key = issue(customer)
    offered = offer_transfer(by=customer, licenses=[license], recipient_email=RECIPIENT)
    License.objects.filter(pk=license.pk).update(organization=None)  # the owner's account was purged
    services.claim_license(user=other_customer, key=key)
    with pytest.raises(LicensingError) as refused:
        accept_transfer(user=mia, token=offered.token, organization=contoso)
    assert refused.value.code == "LICENSE_NO_LONGER_HELD"
    license.refresh_from_db()
    assert license.organization == personal_organization(user=other_customer)


# --- Staff ------------------------------------------------------------------------------------


def test_staff_move_a_license_with_a_reason_that_both_sides_read(
    members, company, company_license, contoso, licensing_user
):
    license, _key, _activation = company_license
    with pytest.raises(LicensingError) as refused:
        transfer_by_staff(
            license=license, to_organization=contoso, actor=services.Actor.staff(licensing_user), reason=" "
        )
    assert refused.value.code == "REASON_REQUIRED"
    transfer = transfer_by_staff(
        license=license,
        to_organization=contoso,
        actor=services.Actor.staff(licensing_user),
        reason="Contoso bought the site from Northwind (order 4711).",
    )
    assert transfer.by_staff and transfer.state == State.ACCEPTED and transfer.decided_by == licensing_user
    license.refresh_from_db()
    assert license.organization == contoso
    out = license.events.get(kind=LicenseEvent.Kind.TRANSFERRED_OUT)
    assert (out.actor, out.actor_user, out.organization) == ("staff", licensing_user, company)
    assert out.detail["reason"].startswith("Contoso bought")
    for address in (members["owner"].email, RECIPIENT, "oskar@contoso.example"):
        assert "order 4711" in latest_to(address).body_text
    with pytest.raises(LicensingError) as same:
        transfer_by_staff(
            license=license, to_organization=contoso, actor=services.Actor.staff(licensing_user), reason="x"
        )
    assert same.value.code == "SAME_ORGANIZATION"


# --- Pages ------------------------------------------------------------------------------------


def test_an_owner_offers_from_the_license_list(members, company_license):
    license, _key, _activation = company_license
    client = signed_in(members["owner"])
    listing = client.get(reverse("licensing:list")).content.decode()
    assert f'name="license" value="{license.public_id}"' in listing
    url = f"{reverse('licensing:offer')}?license={license.public_id}"
    page = client.get(url)
    assert page.status_code == 200 and license.reference in page.content.decode()
    refused = client.post(url, {"licenses": [str(license.public_id)], "recipient_email": "not-an-address"})
    assert refused.status_code == 400
    response = client.post(
        url, {"licenses": [str(license.public_id)], "recipient_email": RECIPIENT, "confirm": "on"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("licensing:transfers")
    assert LicenseTransfer.objects.get().recipient_email == RECIPIENT


@pytest.mark.parametrize("role", ["manager", "viewer"])
def test_members_below_owner_see_no_transfer_choice_and_are_refused(members, company_license, role):
    license, _key, _activation = company_license
    client = signed_in(members[role])
    assert 'name="license"' not in client.get(reverse("licensing:list")).content.decode()
    response = client.get(f"{reverse('licensing:offer')}?license={license.public_id}")
    assert response.status_code == 403 and "you need the owner role" in response.content.decode()


def test_outsiders_get_404_and_anonymous_visitors_sign_in(members, company_license, client):
    license, _key, _activation = company_license
    url = f"{reverse('licensing:offer')}?license={license.public_id}"
    assert signed_in(members["outsider"]).get(url).status_code == 404
    assert client.get(url).status_code == 302
    assert client.get(reverse("licensing:accept_transfer", args=["x"])).status_code == 302


def test_the_recipient_accepts_from_the_link(members, company_license, contoso, mia):
    license, _key, _activation = company_license
    offer(members, [license])
    url = reverse("licensing:accept_transfer", args=[token_from_email()])
    client = signed_in(mia)
    page = client.get(url).content.decode()
    assert license.reference in page and "Contoso CCTV" in page
    assert client.get(url.replace("accept/", "accept/x")).status_code == 404
    response = client.post(url, {"organization": str(contoso.public_id)})
    assert response.status_code == 302
    license.refresh_from_db()
    assert license.organization == contoso
    assert "accepted already" in client.get(url).content.decode()


def test_the_link_refuses_someone_else_without_showing_the_offer(members, company_license, contoso):
    license, _key, _activation = company_license
    offer(members, [license])
    url = reverse("licensing:accept_transfer", args=[token_from_email()])
    response = signed_in(members["outsider"]).get(url)
    assert response.status_code == 403 and license.reference not in response.content.decode()
    posted = signed_in(members["outsider"]).post(url, {"organization": str(contoso.public_id)})
    assert posted.status_code == 403


def test_the_recipient_cannot_choose_an_organization_they_do_not_manage(members, company_license, mia):
    license, _key, _activation = company_license
    offer(members, [license])
    url = reverse("licensing:accept_transfer", args=[token_from_email()])
    response = signed_in(mia).post(url, {"organization": str(members["outsider"].pk)})
    assert response.status_code == 400
    license.refresh_from_db()
    assert license.organization.name == "Northwind Security"


def test_withdraw_is_post_only_and_for_owners_of_the_offering_organization(members, company_license):
    license, _key, _activation = company_license
    offered = offer(members, [license])
    url = reverse("licensing:withdraw_transfer", args=[offered.transfer.public_id])
    owner = signed_in(members["owner"])
    assert owner.get(url).status_code == 405
    assert signed_in(members["outsider"]).post(url).status_code == 404
    signed_in(members["manager"]).post(url)
    assert LicenseTransfer.objects.get().state == State.PENDING
    page = owner.get(reverse("licensing:transfers")).content.decode()
    assert "Withdraw offer" in page and RECIPIENT in page
    assert owner.post(url).status_code == 302
    assert LicenseTransfer.objects.get().state == State.WITHDRAWN


def test_the_recipient_sees_open_offers_to_their_address(members, company_license, mia):
    license, _key, _activation = company_license
    offer(members, [license])
    page = signed_in(mia).get(reverse("licensing:transfers")).content.decode()
    assert "Northwind Security offers" in page and license.reference in page


# --- Personal data ----------------------------------------------------------------------------


def _section():
    return next(section for section in sections() if section.key == "license_transfers")


def test_the_data_page_and_export_show_offers_made_and_received(members, company_license, mia):
    license, _key, _activation = company_license
    offer(members, [license])
    [made] = _section().collect(members["owner"])
    assert made["offered_by_you"] and made["licenses"] == [license.reference]
    assert made["recipient_email"] is None  # someone else's address is not the offerer's data
    [received] = _section().collect(mia)
    assert received["recipient_email"] == RECIPIENT and not received["offered_by_you"]
    page = signed_in(mia).get(reverse("privacy:your_data")).content.decode()
    assert "License transfers" in page


def test_deleting_the_recipient_withdraws_the_offer_and_forgets_the_address(members, company_license, mia):
    license, _key, _activation = company_license
    offered = offer(members, [license])
    _section().erase(mia)
    offered.transfer.refresh_from_db()
    assert offered.transfer.state == State.WITHDRAWN and offered.transfer.recipient_email == ""
    assert _section().collect(mia) == []
    _section().erase(members["owner"])
    offered.transfer.refresh_from_db()
    assert offered.transfer.offered_by is None
    assert offered.transfer.from_organization.name == "Northwind Security"  # the company keeps its record


def test_the_license_page_shows_a_pending_offer_instead_of_the_transfer_link(members, company_license):
    license, _key, _activation = company_license
    client = signed_in(members["owner"])
    url = reverse("licensing:detail", args=[license.public_id])
    assert "Transfer this license to another organization" in client.get(url).content.decode()
    offer(members, [license])
    page = client.get(url).content.decode()
    assert "Offered to another organization until" in page
    assert "Transfer this license to another organization" not in page


def test_offers_are_rate_limited_per_person(settings, members, company_license, issue, company):
    settings.LICENSING_TRANSFER_OFFER_RATE = "1/h"
    license, _key, _activation = company_license
    second, _ = issue(company)
    client = signed_in(members["owner"])
    for n, chosen in enumerate((license, second)):
        url = f"{reverse('licensing:offer')}?license={chosen.public_id}"
        data = {"licenses": [str(chosen.public_id)], "recipient_email": f"r{n}@x.example", "confirm": "on"}
        response = client.post(url, data)
    assert response.status_code == 429 and "Too many offers" in response.content.decode()
    assert LicenseTransfer.objects.count() == 1


def test_the_offer_page_answers_bad_input(members, company_license):
    client = signed_in(members["owner"])
    assert client.get(f"{reverse('licensing:offer')}?license=not-a-uuid").status_code == 404
    assert client.get(reverse("licensing:offer")).status_code == 302  # nothing chosen: back to the list


def test_the_transfers_page_costs_the_same_queries_as_transfers_grow(members, company, contoso, mia, issue):
    client = signed_in(members["owner"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(reverse("licensing:transfers")).status_code == 200
        return len(context)

    def one_more(n: int) -> None:
        offered = offer(members, [issue(company)[0], issue(company)[0]])
        if n % 2:
            accept_transfer(user=mia, token=offered.token, organization=contoso)

    one_more(0)
    queries()
    before = queries()
    for n in range(1, 6):
        one_more(n)
    assert queries() == before


def test_the_license_pages_open_offer_is_the_holders_pending_one_in_time(
    members, company_license, issue, company
):
    license, _key, _activation = company_license
    other, _ = issue(company)
    now = timezone.now()

    def orm(license, at):
        return pending_offers([license.pk], at).filter(from_organization=license.organization_id).first()

    assert open_offer_by_holder(license, now) is None
    offered = offer(members, [license]).transfer
    for at in (now, offered.expires_at - timedelta(microseconds=1), offered.expires_at):
        assert open_offer_by_holder(license, at) == orm(license, at)
    assert open_offer_by_holder(license, now) == offered
    assert open_offer_by_holder(license, offered.expires_at) is None  # the offer ran out
    assert open_offer_by_holder(other, now) is None  # another license of the same holder
    withdraw_transfer(by=members["owner"], transfer=offered)
    assert open_offer_by_holder(license, now) is None
