"""Which releases a license covers: per plan kind, status and date, in both directions."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.http import Http404

from licensing import releases
from licensing.models import License, Plan, Release
from tests.licensing.releases_seed import artifact, release

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def catalogue(product):
    """6.0.0 (2025-03-04), 6.2.0 (2026-06-02), 6.2.1, a hotfix, 6.10.0; a draft and a withdrawn one."""
    return {
        "6.0.0": release(product, "6.0.0", date(2025, 3, 4)),
        "6.2.0": release(product, "6.2.0", date(2026, 6, 2)),
        "6.2.1": release(product, "6.2.1", date(2026, 8, 18)),
        "6.2.1-hotfix2": release(product, "6.2.1-hotfix2", date(2026, 9, 1)),
        "6.10.0": release(product, "6.10.0", date(2026, 11, 10)),
        "7.0.0": release(product, "7.0.0", date(2026, 11, 20), state=Release.State.DRAFT),
        "6.9.0": release(
            product, "6.9.0", date(2026, 11, 15), state=Release.State.WITHDRAWN, withdrawn_reason="Broken."
        ),
    }


def versions(items) -> list[str]:
    return [item.version for item in items]


def test_a_subscription_covers_every_published_release_newest_version_first(catalogue, issue, customer):
    license, _ = issue(customer, now=NOW - timedelta(days=30))
    assert versions(releases.covered_releases(license, NOW)) == [
        "6.10.0",
        "6.2.1-hotfix2",
        "6.2.1",
        "6.2.0",
        "6.0.0",
    ]
    assert releases.newest_covered(license, NOW).version == "6.10.0"


def test_an_expired_subscription_covers_nothing_even_in_its_grace_period(catalogue, issue, customer):
    license, _ = issue(customer, now=NOW - timedelta(days=370))
    assert license.runtime_state(NOW) == "grace"
    assert releases.covered_releases(license, NOW) == []
    assert releases.newest_covered(license, NOW) is None


def test_a_trial_covers_releases_while_it_runs(catalogue, issue, customer, make_plan):
    trial = make_plan(Plan.Kind.TRIAL, duration_days=30)
    license, _ = issue(customer, plan_=trial, now=NOW - timedelta(days=10))
    assert releases.newest_covered(license, NOW).version == "6.10.0"
    assert releases.newest_covered(license, NOW + timedelta(days=21)) is None


def test_a_perpetual_license_covers_releases_up_to_its_upgrade_plan_end(
    catalogue, issue, customer, make_plan
):
    perpetual = make_plan(Plan.Kind.PERPETUAL)
    license, _ = issue(customer, plan_=perpetual, now=NOW - timedelta(days=600))
    License.objects.filter(pk=license.pk).update(upgrade_plan_until=date(2026, 8, 18))
    license.refresh_from_db()
    # Released on the last day of the plan: covered; a day later: not.
    assert versions(releases.covered_releases(license, NOW)) == ["6.2.1", "6.2.0", "6.0.0"]
    # A perpetual license keeps its releases long after the plan ended.
    assert releases.newest_covered(license, NOW + timedelta(days=3650)).version == "6.2.1"


@pytest.mark.parametrize("status", [License.Status.SUSPENDED, License.Status.REVOKED])
def test_a_stopped_license_covers_nothing(catalogue, issue, customer, status):
    license, _ = issue(customer, now=NOW - timedelta(days=30))
    License.objects.filter(pk=license.pk).update(status=status)
    license.refresh_from_db()
    assert releases.covered_releases(license, NOW) == []


def test_drafts_and_withdrawn_releases_are_never_covered(catalogue, issue, customer):
    license, _ = issue(customer, now=NOW - timedelta(days=30))
    assert not releases.covers(license, catalogue["7.0.0"], NOW)
    assert not releases.covers(license, catalogue["6.9.0"], NOW)
    assert releases.covers(license, catalogue["6.2.1"], NOW)


def test_a_license_of_another_product_covers_none_of_its_releases(catalogue, issue, customer, make_plan):
    from licensing.models import Product

    other = Product.objects.create(slug="other", name="Other")
    license, _ = issue(customer, plan_=make_plan(product=other), now=NOW - timedelta(days=30))
    assert releases.covered_releases(license, NOW) == []


def test_the_three_writings_of_the_rule_agree(catalogue, issue, customer, make_plan):
    from licensing.models import Product

    other = make_plan(product=Product.objects.create(slug="other", name="Other"))
    licenses = [
        issue(customer, now=NOW - timedelta(days=30))[0],
        issue(customer, now=NOW - timedelta(days=400))[0],
        issue(customer, plan_=make_plan(Plan.Kind.PERPETUAL), now=NOW - timedelta(days=600))[0],
        issue(customer, plan_=make_plan(Plan.Kind.PERPETUAL), now=NOW - timedelta(days=100))[0],
        issue(customer, plan_=make_plan(Plan.Kind.PERPETUAL), now=NOW - timedelta(days=100))[0],
        issue(customer, plan_=other, now=NOW - timedelta(days=30))[0],
    ]
    License.objects.filter(pk=licenses[3].pk).update(status=License.Status.SUSPENDED)
    License.objects.filter(pk=licenses[4].pk).update(upgrade_plan_until=None)
    for license in License.objects.filter(pk__in=[item.pk for item in licenses]).select_related("plan"):
        condition = releases.release_filter(license, NOW)
        for item in catalogue.values():
            in_python = releases.covers(license, item, NOW)
            by_release = License.objects.filter(releases.license_filter(item, NOW), pk=license.pk).exists()
            by_license = condition is not None and Release.objects.filter(condition, pk=item.pk).exists()
            assert in_python == by_release == by_license, (license, item)


def test_a_check_in_finds_the_newest_covered_release_without_a_query(
    catalogue, issue, customer, django_assert_num_queries
):
    license, _ = issue(customer, now=NOW - timedelta(days=30))
    license = License.objects.select_related("plan").get(pk=license.pk)
    assert releases.newest_covered(license, NOW).version == "6.10.0"
    with django_assert_num_queries(0):
        assert releases.newest_covered(license, NOW).version == "6.10.0"


def test_a_download_needs_a_visible_license_that_covers_the_release(
    catalogue, issue, customer, other_customer
):
    installer = artifact(catalogue["6.2.1"])
    issue(customer, now=NOW - timedelta(days=30))
    assert releases.downloadable_artifact(customer, installer.public_id, NOW) == installer
    with pytest.raises(Http404):
        releases.downloadable_artifact(other_customer, installer.public_id, NOW)


def test_the_license_page_lists_the_releases_since_the_oldest_machine_version(catalogue, issue, customer):
    license, _ = issue(customer, now=NOW - timedelta(days=30))

    class Machine:
        def __init__(self, version: str, is_active: bool = True) -> None:
            self.product_version, self.is_active = version, is_active

    machines = [Machine("6.2.1"), Machine("6.10.0"), Machine("6.0.0", is_active=False), Machine("garbage")]
    shown = releases.for_license(license, machines, NOW)
    assert shown.running == "6.2.1"
    assert shown.newest.version == "6.10.0"
    assert [(item.version, covered) for item, covered in shown.since] == [
        ("6.2.1-hotfix2", True),
        ("6.10.0", True),
    ]
    nothing_reported = releases.for_license(license, [], NOW)
    assert nothing_reported.running is None
    assert versions(item for item, _ in nothing_reported.since) == ["6.10.0"]


def test_the_license_page_warns_about_a_withdrawn_version_a_machine_runs(catalogue, issue, customer):
    license, _ = issue(customer, now=NOW - timedelta(days=30))

    class Machine:
        product_version, is_active = "6.9.0", True

    shown = releases.for_license(license, [Machine()], NOW)
    assert [item.version for item in shown.withdrawn_running] == ["6.9.0"]
    assert releases.for_license(license, [], NOW).withdrawn_running == []


def test_the_license_page_reads_releases_and_their_downloads_in_fixed_queries(
    catalogue, issue, customer, django_assert_num_queries
):
    license, _ = issue(customer, now=NOW - timedelta(days=30))
    for item in catalogue.values():
        artifact(item)

    class Machine:
        product_version, is_active = "6.0.0", True

    with django_assert_num_queries(3):  # published, their downloads, withdrawn versions reported
        shown = releases.for_license(license, [Machine()], NOW)
        for item, covered in shown.since:
            assert covered and [a.release_id for a in item.artifacts.all()] == [item.pk]
    assert versions(item for item, _ in shown.since) == ["6.2.0", "6.2.1", "6.2.1-hotfix2", "6.10.0"]
    with django_assert_num_queries(2):  # no version reported: no withdrawn query
        assert versions(item for item, _ in releases.for_license(license, [], NOW).since) == ["6.10.0"]
