"""The integrator overview: every site by customer, with what needs attention, and nothing else."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from licensing import services, standing
from licensing.access import covered, grants_reaching, licenses_looked_after
from licensing.models import Activation, Plan
from tests.advisories.conftest import draft, published, security_user  # noqa: F401 (fixtures)
from tests.licensing.conftest import digest
from tests.organizations.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_the_overview_flags_expiring_grace_offline_and_upgrade_plans(
    company, company_license, integrator, grant_to, make_plan, issue
):
    organization, people = integrator
    now = timezone.now()
    expiring, _activation = company_license[0], company_license[2]
    expiring.starts_at, expiring.expires_at = now - timedelta(days=360), now + timedelta(days=5)
    expiring.save(update_fields=["starts_at", "expires_at"])
    Activation.objects.filter(license=expiring).update(last_seen_at=now - timedelta(days=40))
    in_grace, _key = issue(company)
    in_grace.expires_at = now - timedelta(days=2)
    in_grace.save(update_fields=["expires_at"])
    perpetual, key = issue(company, plan_=make_plan(Plan.Kind.PERPETUAL))
    perpetual.upgrade_plan_until = (now + timedelta(days=10)).date()
    perpetual.save(update_fields=["upgrade_plan_until"])
    services.activate_machine(key=key, fingerprint=digest("perpetual"))
    grant_to(organization, "view")

    (customer,) = standing.looked_after(people["viewer"], now)
    assert customer.organization == company
    sites = {site.license: site for site in customer.sites}
    assert sites[expiring].badge == "warn" and sites[expiring].label.startswith("Expires soon")
    assert sites[expiring].offline == 1
    assert sites[in_grace].label.startswith("In grace until")
    assert sites[perpetual].upgrade_plan_ending and not sites[expiring].upgrade_plan_ending
    assert (sites[perpetual].machines, sites[perpetual].offline) == (1, 0)

    page = signed_in(people["viewer"]).get(reverse("licensing:integrators")).content.decode()
    assert "Northwind Security" in page and "1 offline" in page and "Ending" in page


def test_the_overview_shows_nothing_of_customers_without_a_grant(company, company_license, integrator):
    _organization, people = integrator
    page = signed_in(people["owner"]).get(reverse("licensing:integrators"))
    assert page.status_code == 200
    assert "Northwind Security" not in page.content.decode()
    assert company_license[0].reference not in page.content.decode()


def test_a_customers_own_members_do_not_see_it_in_their_overview(
    members, company_license, integrator, grant_to
):
    grant_to(integrator[0], "view")
    assert standing.looked_after(members["owner"], timezone.now()) == []


def test_the_overview_counts_machines_that_need_a_security_update(
    company,
    integrator,
    grant_to,
    issue,
    published,  # noqa: F811 (the fixture imported above)
):
    organization, people = integrator
    _license, key = issue(company)
    services.activate_machine(key=key, fingerprint=digest("affected"), product_version="6.2.1")
    grant_to(organization, "view")
    published()  # affects 6.2.x
    page = signed_in(people["viewer"]).get(reverse("licensing:integrators")).content.decode()
    assert "1 needs a security update" in page


@pytest.mark.postgres  # only PostgreSQL runs the compiled SQL (kalytera.prepared)
def test_the_overview_compiled_once_gives_what_the_orm_gives(company, company_license, integrator, grant_to):
    organization, people = integrator
    grant_to(organization, "view")
    now = timezone.now()
    Activation.objects.filter(license=company_license[0]).update(
        last_seen_at=now - timedelta(days=40), product_version="6.2.1"
    )
    for person in people.values():
        orm = list(
            standing.with_machines(licenses_looked_after(person), now).order_by(
                "organization__name", "expires_at", "pk"
            )
        )
        organizations, licenses = covered(grants_reaching(person))
        prepared = standing._LOOKED_AFTER.all(organizations=organizations, licenses=licenses, now=now)
        shown = ["pk", "public_id", "expires_at", "machines_used", "machines_offline", "versions_reported"]
        assert [[getattr(lic, name) for name in shown] for lic in prepared] == [
            [getattr(lic, name) for name in shown] for lic in orm
        ]
        assert prepared and prepared[0].machines_offline == 1 and prepared[0].versions_reported == ["6.2.1"]
        assert [lic.plan.product.name for lic in prepared] == [lic.plan.product.name for lic in orm]
        grants = standing._GRANTS.all(user_id=person.pk)
        assert [(g.pk, g.customer.name, g.integrator.name) for g in grants] == [
            (g.pk, g.customer.name, g.integrator.name)
            for g in grants_reaching(person)
            .select_related("customer", "integrator")
            .order_by("customer__name")
        ]
