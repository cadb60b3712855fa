"""Integrator grants: inviting, accepting, changing and revoking, their history, and their pages."""

import threading
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from licensing import services
from licensing.models import LicenseEvent
from licensing.services import integrators
from licensing.services.integrators import GrantError
from licensing.services.transfers import accept_transfer, offer_transfer
from organizations.access import RoleRequired
from organizations.models import IntegratorGrant, Membership
from organizations.services import create_organization
from tests import personas
from tests.organizations.conftest import signed_in

pytestmark = pytest.mark.django_db


def invite(customer, company, email, scope="view", **kwargs):
    return integrators.invite_integrator(by=customer, customer=company, email=email, scope=scope, **kwargs)


def test_an_invitation_is_emailed_with_a_link_whose_secret_is_stored_hashed(
    customer, company, integrator, deliver_outbox
):
    _organization, people = integrator
    invitation = invite(customer, company, people["owner"].email.upper(), "manage")
    grant = invitation.grant
    assert grant.email == people["owner"].email
    assert grant.token_hash == integrators.token_hash(invitation.token) != invitation.token
    assert grant.expires_at - grant.created_at == timedelta(days=7)
    (message,) = deliver_outbox()
    assert message.to == [people["owner"].email]
    assert "Northwind Security invites your organization" in message.subject
    assert reverse("licensing:integrator_accept", args=[invitation.token]) in message.body
    assert "manage scope" in message.body


def test_only_owners_of_the_customer_invite(company, members, integrator):
    for role in ("manager", "viewer"):
        with pytest.raises(RoleRequired, match="you need the owner role"):
            invite(members[role], company, "someone@example.com")


def test_chosen_licenses_must_be_the_customers(customer, company, company_license, issue, other_customer):
    foreign, _key = issue(other_customer)
    with pytest.raises(GrantError) as refused:
        invite(customer, company, "x@example.com", licenses=[company_license[0], foreign])
    assert refused.value.code == "NOT_YOUR_LICENSE"


def test_accepting_records_the_grant_in_each_covered_license_only(
    customer, company, company_license, integrator, issue
):
    organization, people = integrator
    license = company_license[0]
    other, _key = issue(company)
    invitation = invite(customer, company, people["owner"].email, "manage", licenses=[license])
    grant = integrators.accept_invitation(
        user=people["owner"], token=invitation.token, integrator=organization
    )
    assert (grant.integrator, grant.accepted_by, grant.token_hash) == (organization, people["owner"], None)
    event = license.events.get(kind=LicenseEvent.Kind.INTEGRATOR_GRANTED)
    assert (event.actor_user, event.organization) == (customer, company)
    assert event.detail == {"integrator": "Anchor Integrators", "scope": "manage"}
    assert not other.events.filter(kind=LicenseEvent.Kind.INTEGRATOR_GRANTED).exists()


def test_a_link_works_once(customer, company, integrator):
    organization, people = integrator
    invitation = invite(customer, company, people["owner"].email)
    integrators.accept_invitation(user=people["owner"], token=invitation.token, integrator=organization)
    with pytest.raises(GrantError) as refused:
        integrators.accept_invitation(user=people["owner"], token=invitation.token, integrator=organization)
    assert refused.value.code == "INVITATION_CLOSED"


def test_a_link_expires_after_seven_days(customer, company, integrator):
    organization, people = integrator
    invitation = invite(customer, company, people["owner"].email)
    later = timezone.now() + timedelta(days=7, minutes=1)
    with pytest.raises(GrantError) as refused:
        integrators.accept_invitation(
            user=people["owner"], token=invitation.token, integrator=organization, now=later
        )
    assert refused.value.code == "INVITATION_CLOSED"


def test_a_withdrawn_invitation_cannot_be_accepted(customer, company, integrator):
    organization, people = integrator
    invitation = invite(customer, company, people["owner"].email)
    integrators.revoke_grant(by=customer, customer=company, grant_id=invitation.grant.public_id)
    with pytest.raises(GrantError) as refused:
        integrators.accept_invitation(user=people["owner"], token=invitation.token, integrator=organization)
    assert refused.value.code == "INVITATION_CLOSED"
    assert not LicenseEvent.objects.filter(kind=LicenseEvent.Kind.INTEGRATOR_REVOKED).exists()


def test_only_the_verified_invited_address_accepts(customer, company, integrator, other_customer):
    organization, people = integrator
    invitation = invite(customer, company, people["owner"].email)
    with pytest.raises(GrantError) as refused:
        integrators.accept_invitation(user=other_customer, token=invitation.token, integrator=organization)
    assert refused.value.code == "WRONG_ACCOUNT"
    EmailAddress.objects.filter(user=people["owner"]).update(verified=False)
    with pytest.raises(GrantError) as refused:
        integrators.accept_invitation(user=people["owner"], token=invitation.token, integrator=organization)
    assert refused.value.code == "WRONG_ACCOUNT"


def test_a_grant_to_the_customer_itself_is_refused_with_a_clear_message(customer, company):
    invitation = invite(customer, company, customer.email)
    with pytest.raises(GrantError) as refused:
        integrators.accept_invitation(user=customer, token=invitation.token, integrator=company)
    assert refused.value.code == "GRANT_TO_ITSELF"
    assert "Northwind Security cannot be its own integrator" in refused.value.message


def test_viewers_of_the_integrator_cannot_accept_for_it(customer, company, integrator):
    organization, people = integrator
    invitation = invite(customer, company, people["viewer"].email)
    with pytest.raises(GrantError) as refused:
        integrators.accept_invitation(user=people["viewer"], token=invitation.token, integrator=organization)
    assert refused.value.code == "NOT_INTEGRATOR_LEAD"


def test_one_active_grant_per_customer_and_integrator(customer, company, integrator, grant_to):
    organization, people = integrator
    grant_to(organization, "view")
    second = invite(customer, company, people["manager"].email)
    with pytest.raises(GrantError) as refused:
        integrators.accept_invitation(user=people["manager"], token=second.token, integrator=organization)
    assert refused.value.code == "ALREADY_INTEGRATOR"
    assert IntegratorGrant.objects.active().count() == 1


def test_scope_changes_and_revocation_go_into_the_history(
    customer, company, company_license, integrator, grant_to
):
    organization, _people = integrator
    license = company_license[0]
    grant = grant_to(organization, "view")
    integrators.change_grant(
        by=customer, customer=company, grant_id=grant.public_id, scope="view", send_reminders=True
    )
    assert not license.events.filter(kind=LicenseEvent.Kind.INTEGRATOR_CHANGED).exists()  # scope unchanged
    integrators.change_grant(
        by=customer, customer=company, grant_id=grant.public_id, scope="manage", send_reminders=True
    )
    changed = license.events.get(kind=LicenseEvent.Kind.INTEGRATOR_CHANGED)
    assert changed.detail == {"integrator": "Anchor Integrators", "scope": "manage", "previous_scope": "view"}
    integrators.revoke_grant(by=customer, customer=company, grant_id=grant.public_id)
    revoked = license.events.get(kind=LicenseEvent.Kind.INTEGRATOR_REVOKED)
    assert (revoked.actor_user, revoked.organization) == (customer, company)
    grant.refresh_from_db()
    assert (grant.revoked_by, grant.state(timezone.now())) == (customer, "revoked")
    with pytest.raises(GrantError):
        integrators.revoke_grant(by=customer, customer=company, grant_id=grant.public_id)


def test_a_revoked_integrator_can_be_granted_again(customer, company, integrator, grant_to):
    organization, _people = integrator
    first = grant_to(organization, "view")
    integrators.revoke_grant(by=customer, customer=company, grant_id=first.public_id)
    assert grant_to(organization, "manage").scope == "manage"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_accepting_twice_at_once_makes_one_grant(customer, company, integrator):
    organization, people = integrator
    lead = people["owner"]
    second = create_organization(user=lead, name="Anchor North")
    invitation = invite(customer, company, lead.email)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def accept(target) -> None:
        start.wait()
        try:
            integrators.accept_invitation(user=lead, token=invitation.token, integrator=target)
            outcomes.append("accepted")
        except GrantError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(o,)) for o in (organization, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["INVITATION_CLOSED", "accepted"]
    assert IntegratorGrant.objects.active().count() == 1


# Pages


def test_an_owner_invites_from_the_page_and_sees_the_pending_invitation(
    customer, company, integrator, deliver_outbox
):
    _organization, people = integrator
    client = signed_in(customer)
    url = reverse("licensing:integrator_invite", args=[company.public_id])
    assert client.get(url).status_code == 200
    response = client.post(url, {"email": people["owner"].email, "scope": "manage", "coverage": "all"})
    assert response.status_code == 302
    page = client.get(reverse("organizations:detail", args=[company.public_id])).content.decode()
    assert people["owner"].email in page and "Invited" in page
    assert len(deliver_outbox()) == 1


def test_the_invite_page_refuses_bad_input(customer, company):
    client = signed_in(customer)
    url = reverse("licensing:integrator_invite", args=[company.public_id])
    assert client.post(url, {"email": "nope", "scope": "view", "coverage": "all"}).status_code == 400
    response = client.post(url, {"email": "a@example.com", "scope": "view", "coverage": "chosen"})
    assert response.status_code == 400
    assert "Choose at least one license" in response.content.decode()
    assert not IntegratorGrant.objects.exists()


def test_integrator_pages_refuse_anonymous_and_get_on_post(client, customer, company, integrator, grant_to):
    grant = grant_to(integrator[0], "view")
    for url in (
        reverse("licensing:integrators"),
        reverse("licensing:integrator_invite", args=[company.public_id]),
        reverse("licensing:integrator_accept", args=["whatever"]),
    ):
        assert client.get(url)["Location"].startswith(reverse("account_login"))
    owner = signed_in(customer)
    for name in ("licensing:integrator_revoke", "licensing:integrator_change"):
        assert owner.get(reverse(name, args=[company.public_id, grant.public_id])).status_code == 405


def test_accepting_from_the_page_leads_to_the_overview(customer, company, company_license, integrator):
    organization, people = integrator
    invitation = invite(customer, company, people["owner"].email, "manage")
    client = signed_in(people["owner"])
    url = reverse("licensing:integrator_accept", args=[invitation.token])
    page = client.get(url).content.decode()
    assert "Look after the licenses of Northwind Security" in page and "Anchor Integrators" in page
    response = client.post(url, {"integrator": organization.pk})
    assert response["Location"] == reverse("licensing:integrators")
    overview = client.get(reverse("licensing:integrators")).content.decode()
    assert company_license[0].reference in overview
    assert client.get(url).status_code == 404  # used


def test_the_accept_page_tells_another_account_to_sign_in_as_the_invited_address(
    customer, company, integrator, other_customer
):
    _organization, people = integrator
    invitation = invite(customer, company, people["owner"].email)
    page = signed_in(other_customer).get(reverse("licensing:integrator_accept", args=[invitation.token]))
    assert page.status_code == 200
    body = page.content.decode()
    assert f"This invitation is for {people['owner'].email}" in body
    assert "<form" not in body.split("<main", 1)[1].split("</main>")[0]


def test_the_customer_revokes_from_the_organization_page(customer, company, integrator, grant_to):
    organization, _people = integrator
    grant = grant_to(organization, "view")
    client = signed_in(customer)
    page = client.get(reverse("organizations:detail", args=[company.public_id])).content.decode()
    assert "Revoke Anchor Integrators" in page
    response = client.post(reverse("licensing:integrator_revoke", args=[company.public_id, grant.public_id]))
    assert response.status_code == 302
    assert not IntegratorGrant.objects.active().exists()


def test_only_owners_see_the_integrators_of_their_organization(company, members, integrator, grant_to):
    grant_to(integrator[0], "view")
    for role, sees in (("owner", True), ("manager", False), ("viewer", False)):
        page = signed_in(members[role]).get(reverse("organizations:detail", args=[company.public_id]))
        assert ("Anchor Integrators" in page.content.decode()) == sees, role


def test_the_integrators_organization_page_names_its_customers(company, integrator, grant_to):
    organization, people = integrator
    grant_to(organization, "manage")
    page = signed_in(people["viewer"]).get(reverse("organizations:detail", args=[organization.public_id]))
    body = page.content.decode()
    assert "Northwind Security (manage)" in body
    assert reverse("licensing:integrators") in body


def test_membership_in_the_integrator_decides_access(company, company_license, integrator, grant_to):
    organization, people = integrator
    grant_to(organization, "view")
    url = reverse("licensing:detail", args=[company_license[0].public_id])
    Membership.objects.filter(organization=organization, user=people["viewer"]).delete()
    assert signed_in(people["viewer"]).get(url).status_code == 404
    newcomer = personas.make_customer("new@anchor-integrators.example")
    Membership.objects.create(organization=organization, user=newcomer, role="viewer")
    assert signed_in(newcomer).get(url).status_code == 200


def test_invitations_are_rate_limited_per_person(customer, company, settings):
    settings.LICENSING_INTEGRATOR_INVITE_RATE = "2/m"
    client = signed_in(customer)
    url = reverse("licensing:integrator_invite", args=[company.public_id])
    for n in range(2):
        data = {"email": f"lead{n}@example.com", "scope": "view", "coverage": "all"}
        assert client.post(url, data).status_code == 302
    limited = client.post(url, {"email": "lead9@example.com", "scope": "view", "coverage": "all"})
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert IntegratorGrant.objects.count() == 2


def test_managers_and_viewers_of_the_customer_are_told_only_owners_give_access(
    company, members, integrator, grant_to
):
    grant = grant_to(integrator[0], "view")
    for role in ("manager", "viewer"):
        client = signed_in(members[role])
        page = client.get(reverse("licensing:integrator_invite", args=[company.public_id]))
        assert page.status_code == 403
        assert "you need the owner role" in page.content.decode()
        revoke = client.post(
            reverse("licensing:integrator_revoke", args=[company.public_id, grant.public_id])
        )
        assert revoke.status_code == 403
    assert IntegratorGrant.objects.active().count() == 1


def test_licenses_that_change_hands_record_the_integrators_they_leave_and_join(
    customer, company, integrator, grant_to, issue, other_customer
):
    organization, people = integrator
    grant_to(organization, "manage")
    _spare, key = issue(None)
    claimed = services.claim_license(user=customer, key=key, organization=company)
    joined = claimed.events.get(kind=LicenseEvent.Kind.INTEGRATOR_GRANTED)
    assert (joined.actor, joined.detail["integrator"], joined.detail["joined"]) == (
        "system",
        "Anchor Integrators",
        "Northwind Security",
    )
    receiver = create_organization(user=other_customer, name="Receiver Ltd")
    offer = offer_transfer(by=customer, licenses=[claimed], recipient_email=other_customer.email)
    accept_transfer(user=other_customer, token=offer.token, organization=receiver)
    left = claimed.events.get(kind=LicenseEvent.Kind.INTEGRATOR_REVOKED)
    assert (left.actor, left.detail["left"]) == ("system", "Northwind Security")
    assert (
        signed_in(people["owner"]).get(reverse("licensing:detail", args=[claimed.public_id])).status_code
        == 404
    )
