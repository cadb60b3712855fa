import pytest

from advisories.models import AdvisoryRevision


def revision(**fields) -> AdvisoryRevision:
    return AdvisoryRevision(**{"affected_ranges": ["6.2.x"], "fixed_versions": ["6.2.2"], **fields})


@pytest.mark.parametrize(
    ("version", "affected"),
    [
        ("6.2.0", True),
        ("6.2.1", True),
        ("6.2.1-hotfix2", True),  # a hotfix of 6.2.1 is still 6.2.x
        ("6.2.2", True),
        ("6.3.0-rc1", False),
        ("6.10.0", False),  # numbers compare as numbers, not text
        ("6.1.9", False),
        ("", False),
        ("garbage", False),
    ],
)
def test_a_wildcard_range_matches_real_version_strings(version, affected):
    assert revision().affects(version) is affected


@pytest.mark.parametrize(
    ("version", "affected"),
    [("6.2.0", True), ("6.2.1-hotfix2", True), ("6.2.2", False), ("6.10.0", False), ("6.1.0", False)],
)
def test_a_bounded_range_ends_before_the_fix(version, affected):
    assert revision(affected_ranges=[">=6.2.0,<6.2.2"]).affects(version) is affected


def test_the_fix_offered_is_the_lowest_fixed_version_above_the_machines():
    fixes = revision(affected_ranges=["6.1.x", "6.2.x"], fixed_versions=["6.2.2", "6.1.4"])
    assert fixes.fixed_version_for("6.1.3") == "6.1.4"
    assert fixes.fixed_version_for("6.2.1-hotfix1") == "6.2.2"
    assert fixes.fixed_version_for("6.2.9") == "6.2.2"  # nothing above: the newest fix
    assert revision(fixed_versions=[]).fixed_version_for("6.2.1") == ""


@pytest.mark.django_db
def test_the_database_refuses_to_change_a_published_revision(published, customer):
    from django.db import IntegrityError, transaction

    revision = published()
    with pytest.raises(IntegrityError, match="revision_frozen"), transaction.atomic():
        AdvisoryRevision.objects.filter(pk=revision.pk).update(fixed_versions=["6.2.9"])
    with pytest.raises(IntegrityError, match="revision_frozen"), transaction.atomic():
        AdvisoryRevision.objects.filter(pk=revision.pk).update(title="Quietly renamed")
    AdvisoryRevision.objects.filter(pk=revision.pk).update(published_by=None)  # account deletion
    revision.refresh_from_db()
    assert revision.fixed_versions == ["6.2.2"] and revision.published_by is None
