"""Demo content: published advisories (one affecting the demo machines' 6.2.0, one revised) and a draft
incident notice to preview, plus a Security staff login."""

from accounts import services as account_services
from accounts.demo import DEMO_CUSTOMER, DEMO_PASSWORD
from accounts.models import User
from advisories import services
from advisories.models import Advisory, AdvisoryRevision, IncidentNotice
from advisories.scoring import score
from licensing.models import Product

DEMO_SECURITY = "security@kalytera.example"

ADVISORIES = [
    (
        "KSA-2026-007",
        [
            {
                "title": "Recording server API accepts expired session tokens",
                "summary": "The recording server's HTTP API accepted session tokens after they expired, so a "
                "token captured on the network stayed usable for longer than configured.",
                "cve_ids": ["CVE-2026-41007"],
                "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:L/A:N",
                "affected_ranges": ["6.2.x"],
                "fixed_versions": ["6.2.1"],
                "workarounds": "Allow access to the recording server API (port 7001) only from the "
                "management network until the servers run 6.2.1.",
                "acknowledgements": "Mira Hoffmann, Example Research",
            }
        ],
    ),
    (
        "KSA-2026-003",
        [
            {
                "title": "Camera passwords shown in the diagnostics bundle",
                "summary": "The diagnostics bundle that support asks for contained camera passwords "
                "in clear text.",
                "cvss_vector": "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:H/I:N/A:N",
                "affected_ranges": [">=6.0.0,<6.1.0"],
                "fixed_versions": ["6.1.0"],
            },
            {
                "change_summary": "6.1.0 also wrote the passwords to the bundle; fixed in 6.1.1.",
                "affected_ranges": [">=6.0.0,<6.1.1"],
                "fixed_versions": ["6.1.1"],
            },
        ],
    ),
]


def seed(stdout) -> list[str]:
    product = Product.objects.filter(slug="kalytera-vms").first()
    if product is None:
        return []
    staff = User.objects.filter(email=DEMO_SECURITY).first() or account_services.create_staff_user(
        email=DEMO_SECURITY, password=DEMO_PASSWORD, group="Security"
    )
    for identifier, revisions in ADVISORIES:
        advisory, created = Advisory.objects.get_or_create(
            identifier=identifier, defaults={"product": product}
        )
        if not created:
            continue
        fields: dict = {}
        for changes in revisions:
            fields = {**fields, **changes}
            base_score, severity, vector = score(fields["cvss_vector"])
            draft = AdvisoryRevision.objects.create(
                advisory=advisory,
                base_score=base_score,
                severity=severity,
                **{**fields, "cvss_vector": vector},
            )
            services.publish_revision(revision=draft, by=staff)
    if not IncidentNotice.objects.exists():
        IncidentNotice.objects.create(
            title="Unauthorised access to the support mailbox",
            what_happened="On 1 December, an attacker used a stolen password to read the support mailbox "
            "for two hours before we locked the account.",
            what_data="Your email address and the messages you sent to support in 2026. No passwords, "
            "license keys or payment data were in the mailbox.",
            what_to_do="Be wary of emails that ask for your license key or password: we never ask for them.",
            audience=IncidentNotice.Audience.LIST,
            recipient_list=DEMO_CUSTOMER,
            created_by=staff,
        )
    return [
        f"Security staff login: {DEMO_SECURITY} / {DEMO_PASSWORD} (advisories and incident notices only)",
        "Security advisories: /security/advisories/ (KSA-2026-007 affects the demo machines on 6.2.0)",
    ]
