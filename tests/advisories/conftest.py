import pytest

from advisories import services
from advisories.models import Advisory, AdvisoryRevision
from advisories.scoring import score
from licensing import services as licensing_services
from tests.licensing.conftest import digest, issue, make_plan, plan, product  # noqa: F401  (fixtures)

CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # 9.8
MEDIUM = "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:U/C:L/I:L/A:N"  # 4.6


def activate(key: str, name: str, version: str):
    return licensing_services.activate_machine(
        key=key, fingerprint=digest(name), label=name, product_version=version
    ).activation


@pytest.fixture
def draft(product):  # noqa: F811
    """A draft first revision of a new advisory (KSA-2027-NNN) affecting 6.2.x, fixed in 6.2.2."""
    made = iter(range(1, 1000))

    def make(identifier: str | None = None, **fields) -> AdvisoryRevision:
        advisory = Advisory.objects.create(
            identifier=identifier or f"KSA-2027-{next(made):03d}", product=product
        )
        values = {
            "title": "Authentication bypass in the recording server API",
            "summary": "A crafted request lets an attacker on the network read recordings.",
            "cve_ids": ["CVE-2027-12345"],
            "cvss_vector": CRITICAL,
            "affected_ranges": ["6.2.x"],
            "fixed_versions": ["6.2.2"],
            "workarounds": "Block port 7001 from untrusted networks.",
            "acknowledgements": "Jane Doe, Example Research",
            **fields,
        }
        values["base_score"], values["severity"], values["cvss_vector"] = score(values["cvss_vector"])
        return AdvisoryRevision.objects.create(advisory=advisory, **values)

    return make


@pytest.fixture
def published(draft, security_user):
    def make(**fields) -> AdvisoryRevision:
        return services.publish_revision(revision=draft(**fields), by=security_user)

    return make


def revise(revision: AdvisoryRevision, by, **fields) -> AdvisoryRevision:
    new = services.start_revision(advisory=revision.advisory)
    for name, value in {"change_summary": "Corrected.", **fields}.items():
        setattr(new, name, value)
    if "cvss_vector" in fields:
        new.base_score, new.severity, new.cvss_vector = score(fields["cvss_vector"])
    new.save()
    return services.publish_revision(revision=new, by=by)


@pytest.fixture
def security_user(db):
    from tests import personas

    return personas.make_staff("sam@kalytera.example", "Security")
