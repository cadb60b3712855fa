"""Advisory data for the privacy tests' person: an advisory notice, an incident notice, a publication."""

from advisories import incidents, services
from advisories.models import Advisory, AdvisoryNotice, AdvisoryRevision, IncidentNotice
from licensing.models import Product


def seed(user) -> None:
    product, _ = Product.objects.get_or_create(slug="privacy-vms", defaults={"name": "Kalytera VMS"})
    advisory = Advisory.objects.create(identifier="KSA-2027-900", product=product)
    draft = AdvisoryRevision.objects.create(
        advisory=advisory,
        title="Privacy seed",
        summary="A vulnerability.",
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        affected_ranges=["6.2.x"],
        fixed_versions=["6.2.2"],
    )
    revision = services.publish_revision(revision=draft, by=user)
    AdvisoryNotice.objects.create(user=user, revision=revision, email_address=user.email, machines=1)
    incident = IncidentNotice.objects.create(
        title="Seed incident", what_happened="x", what_data="y", what_to_do="z", recipient_list=user.email
    )
    incidents.send_incident(incident=incident, by=user)
