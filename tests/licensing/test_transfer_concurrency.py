"""Transfers under real concurrency: browsers posting at the same moment to a live server on PostgreSQL.

The live server answers each request in its own thread with its own database connection, so
the requests below race inside PostgreSQL. Whatever the interleaving, a license ends with
exactly one holder, and an offer is accepted once or not at all.
"""
# ruff: noqa: F811 - the organization fixtures are imported by name

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.urls import reverse
from django.utils import timezone

from licensing.models import LicenseEvent, LicenseTransfer
from licensing.services.transfers import OFFER_VALID, offer_transfer, token_hash
from organizations.services import personal_organization
from tests import personas
from tests.licensing.test_transfers import RECIPIENT, contoso, mia  # noqa: F401
from tests.organizations.conftest import company, company_license, members  # noqa: F401
from tests.servers import HttpClient, Response

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

State = LicenseTransfer.State


def browser(base_url: str, email: str) -> HttpClient:
    """A signed-in browser session with its CSRF cookie, ready to post."""
    client = HttpClient(base_url)
    response = client.post(reverse("account_login"), {"login": email, "password": personas.PASSWORD})
    assert response.status == 302, response.body[:500]
    return client


def race(*posts) -> list[Response]:
    """Send every (client, path, data) at the same moment."""
    start = threading.Barrier(len(posts))

    def send(post) -> Response:
        client, path, data = post
        start.wait()
        return client.post(path, data)

    with ThreadPoolExecutor(max_workers=len(posts)) as pool:
        return list(pool.map(send, posts))


def accept_path(token: str) -> str:
    return reverse("licensing:accept_transfer", args=[token])


def test_one_offer_accepted_in_several_tabs_at_once_is_accepted_once(
    live_server, members, company_license, contoso, mia
):
    license, _key, _activation = company_license
    offered = offer_transfer(by=members["owner"], licenses=[license], recipient_email=RECIPIENT)
    own = personal_organization(user=mia)
    tabs = [browser(live_server.url, RECIPIENT) for _ in range(6)]
    # Half the tabs choose Contoso, half Mia's own organization: one of them wins, entirely.
    choices = [contoso, own] * 3
    answers = race(
        *(
            (tab, accept_path(offered.token), {"organization": str(choice.public_id)})
            for tab, choice in zip(tabs, choices, strict=True)
        )
    )
    statuses = sorted(answer.status for answer in answers)
    assert statuses == [302] + [400] * 5, statuses
    assert all("accepted already" in a.body for a in answers if a.status == 400)
    winner = choices[[answer.status for answer in answers].index(302)]
    license.refresh_from_db()
    assert license.organization == winner
    assert license.events.filter(kind=LicenseEvent.Kind.TRANSFERRED_IN).count() == 1
    assert LicenseTransfer.objects.get().state == State.ACCEPTED


def test_acceptance_racing_a_withdrawal_has_one_outcome(live_server, members, company, contoso, mia, issue):
    owner = browser(live_server.url, members["owner"].email)
    recipient = browser(live_server.url, RECIPIENT)
    for _round in range(4):
        license, _key = issue(company)
        offered = offer_transfer(by=members["owner"], licenses=[license], recipient_email=RECIPIENT)
        withdraw = reverse("licensing:withdraw_transfer", args=[offered.transfer.public_id])
        accepted, withdrawn = race(
            (recipient, accept_path(offered.token), {"organization": str(contoso.public_id)}),
            (owner, withdraw, {}),
        )
        transfer = LicenseTransfer.objects.get(pk=offered.transfer.pk)
        license.refresh_from_db()
        events = license.events.filter(kind=LicenseEvent.Kind.TRANSFERRED_IN).count()
        if transfer.state == State.ACCEPTED:
            assert accepted.status == 302
            assert (license.organization, events) == (contoso, 1)
        else:
            assert transfer.state == State.WITHDRAWN
            assert accepted.status == 400 and "withdrew this transfer offer" in accepted.body
            assert (license.organization, events) == (company, 0)
        assert withdrawn.status == 302  # back to the transfers page, with the outcome as a message


def test_a_license_offered_twice_at_once_is_in_one_pending_offer(live_server, members, company_license):
    license, _key, _activation = company_license
    tabs = [browser(live_server.url, members["owner"].email) for _ in range(4)]
    path = f"{reverse('licensing:offer')}?license={license.public_id}"
    answers = race(
        *(
            (
                tab,
                path,
                {"licenses": str(license.public_id), "recipient_email": f"r{n}@x.example", "confirm": "on"},
            )
            for n, tab in enumerate(tabs)
        )
    )
    assert sorted(answer.status for answer in answers) == [302] + [400] * 3
    assert all("Already in a pending transfer offer" in a.body for a in answers if a.status == 400)
    assert LicenseTransfer.objects.filter(licenses=license, state=State.PENDING).count() == 1


def test_two_offers_of_one_license_accepted_at_once_leave_one_holder(
    live_server, members, company, company_license, contoso, mia
):
    """Even if two offers of one license were pending (the offer rule forbids it), racing
    acceptances by two recipients move the license once: the license row lock decides."""
    license, _key, _activation = company_license
    first = offer_transfer(by=members["owner"], licenses=[license], recipient_email=RECIPIENT)
    other = personas.make_customer("otto@fabrikam.example")
    fabrikam = personal_organization(user=other)
    second_token = "second-offer-made-behind-the-rules-back"
    second = LicenseTransfer.objects.create(
        from_organization=company,
        offered_by=members["owner"],
        recipient_email=other.email,
        token_hash=token_hash(second_token),
        expires_at=timezone.now() + OFFER_VALID,
    )
    second.licenses.set([license])
    answers = race(
        (
            browser(live_server.url, RECIPIENT),
            accept_path(first.token),
            {"organization": str(contoso.public_id)},
        ),
        (
            browser(live_server.url, other.email),
            accept_path(second_token),
            {"organization": str(fabrikam.public_id)},
        ),
    )
    assert sorted(answer.status for answer in answers) == [302, 400]
    assert any("no longer holds" in answer.body for answer in answers)
    license.refresh_from_db()
    assert license.organization in (contoso, fabrikam)
    assert license.events.filter(kind=LicenseEvent.Kind.TRANSFERRED_IN).count() == 1
    assert LicenseTransfer.objects.filter(state=State.ACCEPTED).count() == 1


def test_a_claim_racing_an_acceptance_does_not_take_the_license(
    live_server, members, company_license, contoso, mia
):
    license, key, _activation = company_license
    offered = offer_transfer(by=members["owner"], licenses=[license], recipient_email=RECIPIENT)
    claimer = browser(live_server.url, members["outsider"].email)
    claimer.get(reverse("licensing:claim"))
    accepted, claimed = race(
        (
            browser(live_server.url, RECIPIENT),
            accept_path(offered.token),
            {"organization": str(contoso.public_id)},
        ),
        (claimer, reverse("licensing:claim"), {"key": key}),
    )
    assert accepted.status == 302
    assert claimed.status == 200 and "registered to another account" in claimed.body
    license.refresh_from_db()
    assert license.organization == contoso
    assert license.events.filter(kind=LicenseEvent.Kind.CLAIMED).count() == 0
