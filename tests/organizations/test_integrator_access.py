"""The integrator matrix: every license page and action, per integrator role, grant scope and coverage.

A grant covers one of the customer's two licenses by name. On the covered license, with
"manage" scope, the integrator's owners and managers act as a customer's manager would;
its viewers, and everyone under a "view" grant, see only (403 that names the grant). The
license the grant does not cover, and the customer's own organization pages, are 404.
"""

import pytest
from django.urls import reverse

from licensing import access, services
from licensing.access import _REACH_ROWS, _reach_rows, licenses_granted_to, licenses_looked_after
from licensing.services import integrators
from organizations.access import notified_members
from organizations.models import Membership
from organizations.services import personal_organization
from tests.licensing.conftest import digest
from tests.organizations.conftest import ROLES, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def licenses(company, company_license, plan):
    """(covered license, its key, its machine), (uncovered license, its key, its machine)."""
    issued = services.issue_license(plan=plan, organization=company, actor=services.Actor.system())
    other = services.activate_machine(key=issued.key, fingerprint=digest("nvr-2"), label="NVR 2")
    return company_license, (issued.license, issued.key, other.activation)


def _license_url(name: str):
    def url(license, key, activation, company, grant) -> str:
        kwargs = {"license_id": license.public_id}
        if name in ("licensing:deactivate", "licensing:certificate"):
            kwargs["activation_id"] = activation.public_id
        return reverse(name, kwargs=kwargs)

    return url


def _organization_url(name: str, **extra):
    def url(license, key, activation, company, grant) -> str:
        kwargs = {"organization_id": company.public_id, **extra}
        if name in ("licensing:integrator_revoke", "licensing:integrator_change"):
            kwargs["grant_id"] = grant.public_id
        if name in ("organizations:change_role", "organizations:remove"):
            kwargs["membership_id"] = company.memberships.get(role="owner").pk
        return reverse(name, kwargs=kwargs)

    return url


VIEW, MANAGE, CUSTOMER_ONLY = "view", "manage", "customer only"

# (what, method, url, post data, what it needs, status when allowed)
PAGES = [
    ("license page with history", "get", _license_url("licensing:detail"), None, VIEW, 200),
    ("deactivate page", "get", _license_url("licensing:deactivate"), None, MANAGE, 200),
    ("deactivate", "post", _license_url("licensing:deactivate"), {}, MANAGE, 302),
    ("certificate", "get", _license_url("licensing:certificate"), None, MANAGE, 200),
    ("full key", "get", _license_url("licensing:show_key"), None, MANAGE, 302),  # to reauthentication
    ("offline page", "get", _license_url("licensing:offline"), None, MANAGE, 200),
    ("offline request", "post", _license_url("licensing:offline"), {"request_text": "x"}, MANAGE, 200),
    ("transfer offer", "get", lambda license, *rest: f"{reverse('licensing:offer')}?license={license.public_id}", None, CUSTOMER_ONLY, 403),  # noqa: E501
    ("members page", "get", _organization_url("organizations:detail"), None, CUSTOMER_ONLY, None),
    ("change a role", "post", _organization_url("organizations:change_role"), {"role": "owner"}, CUSTOMER_ONLY, None),  # noqa: E501
    ("remove a member", "post", _organization_url("organizations:remove"), {}, CUSTOMER_ONLY, None),
    ("invite an integrator", "get", _organization_url("licensing:integrator_invite"), None, CUSTOMER_ONLY, None),  # noqa: E501
    ("revoke the grant", "post", _organization_url("licensing:integrator_revoke"), {}, CUSTOMER_ONLY, None),
    ("change the grant", "post", _organization_url("licensing:integrator_change"), {"scope": "manage"}, CUSTOMER_ONLY, None),  # noqa: E501
]  # fmt: skip


def expected(what_it_needs: str, allowed: int | None, role: str, scope: str, covered: bool) -> int:
    if not covered:
        return 404
    if what_it_needs == CUSTOMER_ONLY:
        return allowed or 404  # a covered license says why; the customer's organization stays unseen
    if what_it_needs == VIEW or (scope == "manage" and role in ("owner", "manager")):
        assert allowed is not None
        return allowed
    return 403


@pytest.mark.parametrize("covered", [True, False], ids=["covered", "not covered"])
@pytest.mark.parametrize("scope", ["view", "manage"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("what", "method", "url", "data", "needs", "allowed"), PAGES, ids=[p[0] for p in PAGES]
)
def test_every_page_answers_an_integrator_by_role_scope_and_coverage(
    company, licenses, integrator, grant_to, role, scope, covered, what, method, url, data, needs, allowed
):
    (license, key, activation), uncovered = licenses
    organization, people = integrator
    grant = grant_to(organization, scope, licenses=[license])
    target_license, target_key, target_activation = (license, key, activation) if covered else uncovered
    target = url(target_license, target_key, target_activation, company, grant)
    client = signed_in(people[role])
    response = client.post(target, data) if method == "post" else client.get(target)
    status = expected(needs, allowed, role, scope, covered)
    assert response.status_code == status, (what, role, scope, covered)
    if status == 403:
        body = response.content.decode()
        if needs == CUSTOMER_ONLY:
            assert "grant from Northwind Security does not allow it" in body
        elif scope == "view":
            assert "grant from Northwind Security allows viewing only" in body
        else:
            assert "you need the manager role or higher in Anchor Integrators" in body
    if what == "full key" and status == 302:
        assert response["Location"].startswith(reverse("account_reauthenticate"))
    if what == "deactivate" and status == 302:
        event = target_license.events.get(kind="deactivated")
        assert (event.actor_user, event.organization) == (people[role], organization)


@pytest.mark.parametrize("scope", ["view", "manage"])
@pytest.mark.parametrize("role", ROLES)
def test_the_license_list_shows_covered_licenses_only(company, licenses, integrator, grant_to, role, scope):
    (license, _key, _activation), (uncovered, _k, _a) = licenses
    organization, people = integrator
    grant_to(organization, scope, licenses=[license])
    body = signed_in(people[role]).get(reverse("licensing:list")).content.decode()
    assert license.reference in body
    assert uncovered.reference not in body
    assert "Northwind Security" in body  # the holder is named


@pytest.mark.parametrize("role", ROLES)
def test_claiming_a_customer_key_stays_with_the_customer(company, licenses, integrator, grant_to, role):
    (license, key, _activation), _uncovered = licenses
    organization, people = integrator
    grant_to(organization, "manage", licenses=[license])
    client = signed_in(people[role])
    response = client.post(reverse("licensing:claim"), {"key": key, "organization": organization.pk})
    assert response.status_code == 200
    if role != "viewer":  # viewers may add keys nowhere but their own account
        assert "registered to another account" in response.content.decode()
    license.refresh_from_db()
    assert license.organization == company


def test_a_grant_of_all_licenses_covers_licenses_added_later(company, licenses, integrator, grant_to, plan):
    organization, people = integrator
    grant_to(organization, "view")
    later = services.issue_license(plan=plan, organization=company, actor=services.Actor.system()).license
    client = signed_in(people["viewer"])
    for license in (licenses[0][0], licenses[1][0], later):
        assert client.get(reverse("licensing:detail", args=[license.public_id])).status_code == 200


def test_revoking_ends_access_at_once(company, customer, licenses, integrator, grant_to):
    (license, _key, _activation), _uncovered = licenses
    organization, people = integrator
    grant = grant_to(organization, "manage")
    client = signed_in(people["manager"])
    url = reverse("licensing:detail", args=[license.public_id])
    assert client.get(url).status_code == 200
    integrators.revoke_grant(by=customer, customer=company, grant_id=grant.public_id)
    assert client.get(url).status_code == 404
    assert license.reference not in client.get(reverse("licensing:list")).content.decode()


def test_a_pending_invitation_gives_no_access(company, customer, licenses, integrator):
    (license, _key, _activation), _uncovered = licenses
    _organization, people = integrator
    integrators.invite_integrator(by=customer, customer=company, email=people["owner"].email, scope="manage")
    assert (
        signed_in(people["owner"]).get(reverse("licensing:detail", args=[license.public_id])).status_code
        == 404
    )


def test_a_customer_member_who_is_also_an_integrator_keeps_the_stronger_access(
    company, members, licenses, integrator, grant_to
):
    (license, _key, activation), _uncovered = licenses
    organization, people = integrator
    grant_to(organization, "manage")
    Membership.objects.create(organization=company, user=people["manager"], role="viewer")
    url = reverse("licensing:deactivate", args=[license.public_id, activation.public_id])
    assert signed_in(people["manager"]).get(url).status_code == 200  # the grant allows managing
    assert signed_in(members["viewer"]).get(url).status_code == 403  # the membership alone does not


def test_a_chosen_license_that_leaves_the_customer_leaves_the_grant(
    company, licenses, integrator, grant_to, other_customer
):
    (license, _key, _activation), _uncovered = licenses
    organization, people = integrator
    grant_to(organization, "manage", licenses=[license])
    license.organization = personal_organization(user=other_customer)  # as a transfer would
    license.save(update_fields=["organization"])
    client = signed_in(people["owner"])
    assert client.get(reverse("licensing:detail", args=[license.public_id])).status_code == 404
    assert license.reference not in client.get(reverse("licensing:list")).content.decode()
    assert license.reference not in client.get(reverse("licensing:integrators")).content.decode()
    assert licenses_granted_to(organization).count() == 0
    assert people["owner"] not in notified_members(license)


def test_licenses_granted_to_names_the_scope(company, licenses, integrator, grant_to):
    (license, _key, _activation), _uncovered = licenses
    organization, _people = integrator
    grant_to(organization, "view", licenses=[license])
    assert list(licenses_granted_to(organization)) == [license]
    assert list(licenses_granted_to(organization, scope="view")) == [license]
    assert list(licenses_granted_to(organization, scope="manage")) == []


def test_the_licenses_of_grants_are_looked_up_by_their_ids(company, licenses, integrator, grant_to):
    """The license query names the licenses and customers itself, no subquery of the grants.

    With the grants as a subquery PostgreSQL could not estimate how few licenses they cover
    and read a whole index of a million licenses for one integrator (docs/performance.md).
    """
    (license, _key, _activation), _uncovered = licenses
    organization, people = integrator
    grant_to(organization, "view", licenses=[license])
    for covered in (licenses_granted_to(organization), licenses_looked_after(people["owner"])):
        sql = str(covered.query)
        assert "integratorgrant" not in sql
        assert list(covered) == [license]


def test_the_license_list_offers_no_transfer_of_licenses_an_integrator_looks_after(
    company, licenses, integrator, grant_to
):
    organization, people = integrator
    grant_to(organization, "manage")
    body = (
        signed_in(people["owner"]).get(reverse("licensing:list")).content.decode()
    )  # owner of the integrator
    assert "Transfer selected" not in body
    assert 'name="license"' not in body


@pytest.mark.postgres  # only PostgreSQL runs the compiled SQL (kalytera.prepared)
def test_reach_compiled_once_gives_what_the_orm_gives(company, customer, licenses, integrator, grant_to):
    (license, _key, _activation), _uncovered = licenses
    organization, people = integrator
    grant_to(organization, "view", licenses=[license])
    for user in [*people.values(), customer]:
        prepared = _REACH_ROWS.all(user_id=user.pk)
        assert prepared and sorted(prepared, key=repr) == sorted(_reach_rows(user.pk), key=repr)


@pytest.mark.postgres  # only PostgreSQL runs the compiled SQL (kalytera.prepared)
def test_the_license_lookup_compiled_once_answers_as_the_orm(
    company, members, licenses, integrator, grant_to, customer
):
    (license, _key, _activation), (uncovered, _, _) = licenses
    organization, people = integrator
    grant_to(organization, "manage", licenses=[license])
    Membership.objects.create(organization=company, user=people["manager"], role="viewer")
    for user in [customer, *members.values(), *people.values()]:
        for target in (license, uncovered):
            expected = access._license_reached(user.pk, target.public_id).first()
            found = access._reached.first(user_id=user.pk, public_id=target.public_id)
            if expected is None:
                assert found is None
                continue
            assert found is not None

            def seen(license):
                return (
                    license.pk,
                    license.member_role,
                    license.grant_id,
                    license.organization,
                    license.plan.product,
                )

            assert seen(found) == seen(expected)
