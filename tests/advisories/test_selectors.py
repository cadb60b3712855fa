"""Published advisories on the license pages and in the machine API's validate answer."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.advisories.conftest import MEDIUM, activate, revise
from tests.licensing.conftest import digest


def license_page(client, license) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/licenses/{license.public_id}/")
    assert response.status_code == 200
    return response.content.decode(), len(queries)


@pytest.mark.django_db
def test_the_license_page_names_the_advisory_and_the_fix_for_affected_machines(
    customer_client, issue, customer, published
):
    license, key = issue(customer)
    activate(key, "front-desk", "6.2.1")
    activate(key, "lobby", "6.3.0")
    published()
    page, _ = license_page(customer_client, license)
    assert "Security update needed" in page
    assert page.count("Affected by") == 1 and "KSA-2027-001" in page and "update to 6.2.2" in page


@pytest.mark.django_db
def test_the_warning_goes_when_the_machine_reports_a_fixed_version(
    customer_client, issue, customer, published
):
    license, key = issue(customer)
    machine = activate(key, "front-desk", "6.2.1")
    published(affected_ranges=[">=6.2.0,<6.2.2"])
    machine.product_version = "6.2.2"
    machine.save(update_fields=["product_version"])
    page, _ = license_page(customer_client, license)
    assert "Affected by" not in page and "Security update needed" not in page


@pytest.mark.django_db
def test_the_license_page_costs_the_same_queries_whatever_the_advisories(
    customer_client, issue, customer, published, make_plan
):
    license, key = issue(customer, plan_=make_plan(max_machines=5))
    activate(key, "one", "6.2.1")
    license_page(customer_client, license)  # the first visit of a session does some one-off work
    _, before = license_page(customer_client, license)
    for name, version in (("two", "6.2.0"), ("three", "6.1.2"), ("four", "6.2.1-hotfix1")):
        activate(key, name, version)
    published()
    published(affected_ranges=["6.1.x"], fixed_versions=["6.1.5"])
    published(affected_ranges=["6.2.1"], fixed_versions=["6.2.1-hotfix2"])
    page, after = license_page(customer_client, license)
    assert page.count("Affected by") == 5
    assert after == before  # one query for the published advisories, whatever their number


@pytest.mark.django_db
def test_validate_answers_the_advisories_affecting_the_reported_version(
    client, issue, customer, published, security_user
):
    _, key = issue(customer)
    activate(key, "nvr", "6.2.1")
    critical = published()
    published(cvss_vector=MEDIUM, fixed_versions=[])
    revise(
        critical,
        security_user,
        change_summary="Fixed in a hotfix too.",
        fixed_versions=["6.2.1-hotfix2", "6.2.2"],
    )
    body = {"license_key": key, "fingerprint": digest("nvr"), "product_version": "6.2.1"}
    answer = client.post("/api/v1/validate", body, content_type="application/json").json()
    assert answer["valid"]
    assert answer["advisories"] == [
        {
            "id": "KSA-2027-001",
            "title": "Authentication bypass in the recording server API",
            "severity": "critical",
            "score": 9.8,
            "fixed_version": "6.2.1-hotfix2",
            "url": f"{settings.SITE_URL}/security/advisories/KSA-2027-001/",
        },
        {
            "id": "KSA-2027-002",
            "title": "Authentication bypass in the recording server API",
            "severity": "medium",
            "score": 4.6,
            "fixed_version": None,
            "url": f"{settings.SITE_URL}/security/advisories/KSA-2027-002/",
        },
    ]
    body["product_version"] = "6.3.0"
    assert client.post("/api/v1/validate", body, content_type="application/json").json()["advisories"] == []


@pytest.mark.django_db
def test_validate_of_an_unknown_key_lists_no_advisories(client, published):
    published()
    body = {"license_key": "KLY-AAAA-AAAA-AAAA-AAAA", "fingerprint": "a" * 64, "product_version": "6.2.1"}
    answer = client.post("/api/v1/validate", body, content_type="application/json").json()
    assert answer.get("advisories", []) == []


def license_list(client) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/licenses/")
    assert response.status_code == 200
    return response.content.decode(), len(queries)


@pytest.mark.django_db
def test_the_license_list_counts_the_machines_to_update_in_constant_queries(
    customer_client, issue, customer, published, make_plan
):
    _, key = issue(customer, plan_=make_plan(max_machines=5))
    activate(key, "one", "6.2.1")
    license_list(customer_client)  # the first visit of a session does some one-off work
    _, before = license_list(customer_client)
    activate(key, "two", "6.2.0")
    activate(key, "three", "6.3.0")
    for n in range(3):
        _, other = issue(customer)
        activate(other, f"other-{n}", "6.1.0")
    published()
    page, after = license_list(customer_client)
    assert page.count("a security update") == 1 and "2 need a security update" in page
    assert after == before


@pytest.mark.django_db
def test_the_account_home_lists_a_license_whose_machines_need_a_security_update(
    customer_client, issue, customer, published
):
    _, key = issue(customer)
    activate(key, "one", "6.2.1")
    page = customer_client.get("/account/").content.decode()
    assert "All fine" in page
    published()
    page = customer_client.get("/account/").content.decode()
    assert "1 machine needs a security update" in page and "All fine" not in page
