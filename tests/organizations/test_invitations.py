"""Invitations by email: who may invite whom, the single-use link, and accepting it."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from organizations import invitations
from organizations.access import RoleRequired
from organizations.models import Invitation, Membership
from organizations.services import OrganizationError, personal_organization
from outbox.models import OutboundEmail
from tests import personas
from tests.organizations.conftest import signed_in

pytestmark = pytest.mark.django_db


def invite_url(company) -> str:
    return reverse("organizations:invite", args=[company.public_id])


def link_in_last_email(address: str) -> str:
    email = OutboundEmail.objects.filter(recipients=[address]).latest("pk")
    found = re.search(r"https?://\S+/organizations/invitations/[^/\s]+/", email.body_text)
    assert found, email.body_text
    return "/" + found.group(0).split("://", 1)[1].split("/", 1)[1]


def sent(by, company, email="new@northwind.example", role="viewer") -> tuple[Invitation, str]:
    result = invitations.invite(by=by, organization=company, email=email, role=role)
    return result.invitation, result.token


def test_an_owner_invites_by_email_and_only_the_digest_is_stored(members, company):
    response = signed_in(members["owner"]).post(
        invite_url(company), {"email": " New@Northwind.example ", "role": "manager"}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.status) == (
        "new@northwind.example",
        "manager",
        "pending",
    )
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    link = link_in_last_email("new@northwind.example")
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert token not in str(list(Invitation.objects.values()))
    assert invitation.token_digest == invitations.digest(token)
    email = OutboundEmail.objects.latest("pk")
    assert "Northwind Security" in email.subject and "manager" in email.body_text


def test_a_manager_invites_viewers_and_managers_but_not_owners(members, company):
    manager = members["manager"]
    page = signed_in(manager).get(reverse("organizations:detail", args=[company.public_id])).content.decode()
    assert 'value="viewer"' in page and 'value="owner"' not in page.split("Invite someone")[1]
    assert (
        signed_in(manager).post(invite_url(company), {"email": "a@x.example", "role": "owner"}).status_code
        == 400
    )
    with pytest.raises(RoleRequired):
        invitations.invite(by=manager, organization=company, email="a@x.example", role="owner")
    assert (
        signed_in(manager).post(invite_url(company), {"email": "a@x.example", "role": "manager"}).status_code
        == 302
    )


def test_viewers_outsiders_and_get_cannot_invite(members, company):
    assert (
        signed_in(members["viewer"])
        .post(invite_url(company), {"email": "a@x.example", "role": "viewer"})
        .status_code
        == 403
    )
    assert (
        signed_in(members["outsider"])
        .post(invite_url(company), {"email": "a@x.example", "role": "viewer"})
        .status_code
        == 404
    )
    assert signed_in(members["owner"]).get(invite_url(company)).status_code == 405
    assert Client().post(invite_url(company), {"email": "a@x.example", "role": "viewer"}).status_code == 302
    assert not Invitation.objects.exists()


def test_bad_input_and_members_are_refused_on_the_page(members, company):
    owner = signed_in(members["owner"])
    assert owner.post(invite_url(company), {"email": "not-an-address", "role": "viewer"}).status_code == 400
    response = owner.post(invite_url(company), {"email": "viewer@northwind.example", "role": "viewer"})
    assert response.status_code == 400 and "already a member" in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_personal_organization_invites_nobody(customer):
    with pytest.raises(OrganizationError) as refused:
        invitations.invite(
            by=customer, organization=personal_organization(user=customer), email="a@x.example", role="viewer"
        )
    assert refused.value.code == "PERSONAL_ORGANIZATION"


def test_inviting_again_replaces_the_pending_invitation(members, company):
    first, first_token = sent(members["owner"], company)
    second, _second_token = sent(members["owner"], company, role="manager")
    first.refresh_from_db()
    assert first.status == "revoked" and second.status == "pending"
    assert invitations.find(first_token).status == "revoked"
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.filter(pk=first.pk).update(status="pending")


def test_owners_see_and_withdraw_pending_invitations(members, company):
    invitation, token = sent(members["owner"], company)
    detail = reverse("organizations:detail", args=[company.public_id])
    revoke = reverse("organizations:revoke_invitation", args=[company.public_id, invitation.pk])
    assert "new@northwind.example" in signed_in(members["owner"]).get(detail).content.decode()
    assert "new@northwind.example" not in signed_in(members["viewer"]).get(detail).content.decode()
    assert signed_in(members["manager"]).post(revoke).status_code == 403
    assert signed_in(members["outsider"]).post(revoke).status_code == 404
    assert signed_in(members["owner"]).get(revoke).status_code == 405
    assert signed_in(members["owner"]).post(revoke).status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == "revoked"
    invitee = personas.make_customer("new@northwind.example")
    response = signed_in(invitee).get(reverse("organizations:invitation", args=[token]))
    assert response.status_code == 410 and "withdrawn" in response.content.decode()


def test_the_invited_address_accepts_once_and_gets_the_role(members, company):
    _invitation, token = sent(members["owner"], company, role="manager")
    invitee = personas.make_customer("new@northwind.example")
    url = reverse("organizations:invitation", args=[token])
    client = signed_in(invitee)
    assert "Accept and join Northwind Security" in client.get(url).content.decode()
    response = client.post(url, follow=True)
    assert "You joined Northwind Security as manager" in response.content.decode()
    assert Membership.objects.get(organization=company, user=invitee).role == "manager"
    again = client.post(url)
    assert again.status_code == 410 and "already accepted" in again.content.decode()


def test_an_anonymous_visitor_is_sent_to_sign_in_or_up_and_back(members, company):
    _invitation, token = sent(members["owner"], company)
    url = reverse("organizations:invitation", args=[token])
    page = Client().get(url).content.decode()
    assert f"/accounts/login/?next={url.replace('/', '%2F')}" in page
    assert f"/accounts/signup/?next={url.replace('/', '%2F')}" in page
    assert Client().post(url).status_code == 200  # nothing accepted without an account
    assert not Membership.objects.filter(organization=company, user__email="new@northwind.example").exists()


def test_another_address_or_an_unverified_one_gets_a_page_naming_the_invited_address(members, company):
    _invitation, token = sent(members["owner"], company)
    url = reverse("organizations:invitation", args=[token])
    other = signed_in(members["outsider"])
    response = other.get(url)
    assert (
        response.status_code == 403
        and "This invitation is for <strong>new@northwind.example</strong>" in response.content.decode()
    )
    assert other.post(url).status_code == 403
    EmailAddress.objects.create(user=members["outsider"], email="new@northwind.example", verified=False)
    assert other.post(url).status_code == 403
    with pytest.raises(OrganizationError) as refused:
        invitations.accept(user=members["outsider"], token=token)
    assert refused.value.code == "OTHER_ADDRESS"
    assert not Membership.objects.filter(organization=company, user=members["outsider"]).exists()


def test_an_expired_or_unknown_link_says_so(members, company):
    invitation, token = sent(members["owner"], company)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    invitee = personas.make_customer("new@northwind.example")
    response = signed_in(invitee).post(reverse("organizations:invitation", args=[token]))
    assert response.status_code == 410 and "expired" in response.content.decode()
    with pytest.raises(OrganizationError) as refused:
        invitations.accept(user=invitee, token=token)
    assert refused.value.code == "EXPIRED"
    assert signed_in(invitee).get(reverse("organizations:invitation", args=["nonsense"])).status_code == 404


def test_an_existing_member_accepting_changes_nothing_and_is_told(members, company):
    viewer = members["viewer"]
    _invitation, token = sent(members["owner"], company, email="other@x.example", role="owner")
    EmailAddress.objects.create(user=viewer, email="other@x.example", verified=True)
    response = signed_in(viewer).post(reverse("organizations:invitation", args=[token]), follow=True)
    assert "already a member of Northwind Security (viewer); nothing changed" in response.content.decode()
    assert Membership.objects.get(organization=company, user=viewer).role == "viewer"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_acceptances_make_one_member(members, company):
    _invitation, token = sent(members["owner"], company)
    invitee = personas.make_customer("new@northwind.example")
    racers = 4
    start = threading.Barrier(racers)

    def attempt(_) -> str:
        start.wait()
        try:
            invitations.accept(user=invitee, token=token)
            return "joined"
        except OrganizationError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(racers) as pool:
        outcomes = sorted(pool.map(attempt, range(racers)))
    assert outcomes == ["ALREADY_ACCEPTED"] * (racers - 1) + ["joined"]
    assert Membership.objects.filter(organization=company, user=invitee).count() == 1


def test_closed_invitations_are_deleted_after_the_retention_period(members, company, settings):
    settings.ORGANIZATION_INVITATION_RETENTION_DAYS = 90
    withdrawn, _ = sent(members["owner"], company, email="a@x.example")
    expired, _ = sent(members["owner"], company, email="b@x.example")
    _accepted, token = sent(members["owner"], company, email="c@x.example")
    sent(members["owner"], company, email="d@x.example")
    invitations.revoke(by=members["owner"], organization=company, invitation_id=withdrawn.pk)
    invitations.accept(user=personas.make_customer("c@x.example"), token=token)
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    assert invitations.purge_closed(now=timezone.now() + timedelta(days=88)) == 0
    settings.ORGANIZATION_INVITATION_RETENTION_DAYS = 0
    out = StringIO()
    call_command("purge_invitations", stdout=out)
    assert "Invitations: 2 withdrawn or expired" in out.getvalue()
    assert set(Invitation.objects.values_list("email", flat=True)) == {"c@x.example", "d@x.example"}
    assert ("purge_invitations", 86400) in settings.PERIODIC_JOBS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_invitations_of_one_address_leave_one_pending(members, company):
    racers = 4
    start = threading.Barrier(racers)

    def attempt(n: int) -> None:
        start.wait()
        try:
            invitations.invite(by=members["owner"], organization=company, email="a@x.example", role="viewer")
        finally:
            connection.close()

    with ThreadPoolExecutor(racers) as pool:
        list(pool.map(attempt, range(racers)))
    statuses = sorted(Invitation.objects.values_list("status", flat=True))
    assert statuses == ["pending"] + ["revoked"] * (racers - 1)


def test_invitations_are_capped_per_person(members, company, settings):
    settings.ORGANIZATION_INVITE_RATE = "2/h"
    owner = signed_in(members["owner"])
    statuses = [
        owner.post(invite_url(company), {"email": f"p{n}@x.example", "role": "viewer"}).status_code
        for n in range(3)
    ]
    assert statuses == [302, 302, 429]
    assert Invitation.objects.count() == 2
