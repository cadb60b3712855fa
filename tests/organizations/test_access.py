"""The role matrix: every license page and action, for each role and for someone outside.

Outsiders get 404 (the license's existence is not confirmed), a member whose role is too
weak a 403 that names the role needed, and a member with the role the page itself.
"""

import pytest
from django.urls import reverse

from organizations.access import REQUIRED_ROLE, Action, allowed_actions, allows
from organizations.models import Membership
from tests import personas
from tests.organizations.conftest import ROLES, signed_in
from tests.pages import page_problems

pytestmark = pytest.mark.django_db

RANK = {"viewer": 1, "manager": 2, "owner": 3}


def _license_url(name: str):
    def url(license, activation, company) -> str:
        kwargs = {"license_id": license.public_id}
        if name in ("licensing:deactivate", "licensing:certificate"):
            kwargs["activation_id"] = activation.public_id
        return reverse(name, kwargs=kwargs)

    return url


def _change_role_url(license, activation, company) -> str:
    viewer = company.memberships.get(role="viewer")
    return reverse(
        "organizations:change_role", kwargs={"organization_id": company.public_id, "membership_id": viewer.pk}
    )


def _remove_url(license, activation, company) -> str:
    extra = personas.make_customer("extra@northwind.example")
    membership = Membership.objects.create(organization=company, user=extra, role="viewer")
    return reverse(
        "organizations:remove", kwargs={"organization_id": company.public_id, "membership_id": membership.pk}
    )


# (what, method, url, post data, least role, status when allowed)
PAGES = [
    ("license page", "get", _license_url("licensing:detail"), None, "viewer", 200),
    ("deactivate page", "get", _license_url("licensing:deactivate"), None, "manager", 200),
    ("deactivate", "post", _license_url("licensing:deactivate"), {}, "manager", 302),
    ("certificate", "get", _license_url("licensing:certificate"), None, "manager", 200),
    ("full key", "get", _license_url("licensing:show_key"), None, "manager", 302),  # to reauthentication
    ("offline page", "get", _license_url("licensing:offline"), None, "manager", 200),
    ("offline request", "post", _license_url("licensing:offline"), {"request_text": "x"}, "manager", 200),
    (
        "organization page",
        "get",
        lambda license, activation, company: reverse(
            "organizations:detail", kwargs={"organization_id": company.public_id}
        ),
        None,
        "viewer",
        200,
    ),
    (
        "transfer offer",
        "get",
        lambda license, activation, company: f"{reverse('licensing:offer')}?license={license.public_id}",
        None,
        "owner",
        200,
    ),
    ("change a role", "post", _change_role_url, {"role": "manager"}, "owner", 302),
    ("remove a member", "post", _remove_url, {}, "owner", 302),
]


@pytest.mark.parametrize("person", [*ROLES, "outsider"])
@pytest.mark.parametrize(
    ("what", "method", "url", "data", "least", "allowed"), PAGES, ids=[p[0] for p in PAGES]
)
def test_every_page_answers_by_role(
    members, company, company_license, person, what, method, url, data, least, allowed
):
    license, _key, activation = company_license
    client = signed_in(members[person])
    target = url(license, activation, company)
    response = client.post(target, data) if method == "post" else client.get(target)
    if person == "outsider":
        assert response.status_code == 404
    elif RANK[person] >= RANK[least]:
        assert response.status_code == allowed
        if what == "full key":
            assert response["Location"].startswith(reverse("account_reauthenticate"))
    else:
        assert response.status_code == 403
        body = response.content.decode()
        assert f"you need the {least} role or higher" in body
        assert "Northwind Security" in body


def test_the_table_and_the_rule_agree():
    assert {action: REQUIRED_ROLE[action] for action in Action} == {
        Action.VIEW: "viewer",
        Action.CLAIM: "manager",
        Action.MANAGE_MACHINES: "manager",
        Action.OFFLINE: "manager",
        Action.CERTIFICATE: "manager",
        Action.SHOW_KEY: "manager",
        Action.INVITE: "manager",
        Action.MANAGE_MEMBERS: "owner",
        Action.MANAGE_INTEGRATORS: "owner",
        Action.TRANSFER: "owner",
    }
    assert allowed_actions("viewer") == {"VIEW"}
    assert allowed_actions(None) == set()
    assert not allows(None, Action.VIEW)


@pytest.mark.parametrize("person", [*ROLES, "outsider"])
def test_the_license_list_shows_the_company_licenses_to_members_only(members, company_license, person):
    license, _key, _activation = company_license
    body = signed_in(members[person]).get(reverse("licensing:list")).content.decode()
    assert (license.reference in body) == (person != "outsider")


def test_a_viewer_sees_no_action_links(members, company_license):
    license, _key, _activation = company_license
    body = (
        signed_in(members["viewer"])
        .get(reverse("licensing:detail", args=[license.public_id]))
        .content.decode()
    )
    assert "Download certificate" not in body
    assert "Show the full key" not in body
    assert reverse("licensing:offline", args=[license.public_id]) not in body
    manager = signed_in(members["manager"]).get(reverse("licensing:detail", args=[license.public_id]))
    assert "Download certificate" in manager.content.decode()


def test_the_history_names_the_person_and_the_organization(members, company_license):
    license, _key, activation = company_license
    manager = members["manager"]
    url = reverse("licensing:deactivate", args=[license.public_id, activation.public_id])
    assert signed_in(manager).post(url).status_code == 302
    event = license.events.get(kind="deactivated")
    assert (event.actor, event.actor_user, event.organization) == ("customer", manager, license.organization)
    page = signed_in(members["viewer"]).get(reverse("licensing:detail", args=[license.public_id]))
    assert f"by {manager.email} for Northwind Security" in page.content.decode()


@pytest.mark.parametrize("person", ROLES)
def test_the_organization_pages_and_the_refusal_pass_the_page_checks(
    members, company, company_license, person
):
    license, _key, _activation = company_license
    client = signed_in(members[person])
    urls = [
        reverse("organizations:list"),
        reverse("organizations:detail", args=[company.public_id]),
        reverse("licensing:claim"),
        reverse("licensing:detail", args=[license.public_id]),
        reverse("licensing:offline", args=[license.public_id]),  # a 403 page for viewers
    ]
    for url in urls:
        assert page_problems(client.get(url).content.decode()) == [], url


def test_removing_and_leaving_look_destructive_on_the_organization_page(members, company):
    html = signed_in(members["owner"]).get(reverse("organizations:detail", args=[company.public_id]))
    html = html.content.decode()
    assert 'class="button button-danger">Remove ' in html
    assert f'class="button button-danger">Leave {company}' in html
    assert 'class="button button-secondary">Change role' in html
