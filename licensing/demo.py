"""Demo content: a product with releases and plans, and licenses with machines for the demo customer."""

from datetime import date, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts import services as accounts
from accounts.demo import DEMO_CUSTOMER, DEMO_INTEGRATOR, DEMO_MANAGER, DEMO_PASSWORD, DEMO_VIEWER
from accounts.models import User
from kalytera_client import identity
from licensing import keys, services
from licensing.models import License, LicenseTransfer, Plan, Product, Release, ReleaseArtifact
from licensing.services import Actor, integrators
from licensing.services import releases as release_services
from licensing.services.transfers import accept_url, offer_transfer
from organizations import api_tokens, invitations
from organizations.models import ApiToken, IntegratorGrant, Invitation, Membership, Organization
from organizations.services import create_organization, personal_organization

RELEASES = [
    ("6.0.0", date(2025, 3, 4)),
    ("6.1.0", date(2025, 10, 14)),
    ("6.2.0", date(2026, 6, 2)),
    ("6.2.1", date(2026, 8, 18)),
    ("6.2.2", date(2026, 9, 22)),
    ("6.3.0", date(2026, 11, 10)),
]
RELEASE_NOTES = {
    "6.0.0": "The first release of the 6 series.\n\n- New recording engine with per-camera retention\n"
    "- Video analytics (motion zones, line crossing)\n- Licences are checked in with the platform once a day",
    "6.1.0": "- Licence plate recognition for up to 8 lanes\n- Faster search in recorded video\n"
    "- Offline activation with a request file",
    "6.2.0": "- Video wall with saved layouts\n- ONVIF Profile M events\n"
    "- **Upgrade note:** back up the configuration before installing; the database is migrated.",
    "6.2.1": "A maintenance release for 6.2.0.\n\n- Fixes recordings stopping after a camera's clock jumped\n"
    "- Fixes the export of clips longer than 4 GB",
    "6.2.2": "- Faster start of large camera groups",
    "6.3.0": "- Two-factor sign-in for operators\n- H.265 hardware decoding on Linux\n"
    '- The server shows "update available" when a newer covered release exists',
}
WITHDRAWN = {"6.2.2": "Exports to some network shares failed after installing it. Install 6.2.1 or 6.3.0."}
# Each demo release gets small installers (generated, a few KB) so that downloads work.
DEMO_PLATFORMS = [("windows-x64", "windows-x64.exe"), ("linux-x64-deb", "linux-x64.deb")]
PLANS: list[dict[str, Any]] = [
    dict(code="pro-1y", name="Professional (1 year)", kind=Plan.Kind.SUBSCRIPTION, duration_days=365,
         channels=32, max_machines=2, features=["analytics", "lpr"]),
    dict(code="enterprise-perpetual", name="Enterprise (perpetual)", kind=Plan.Kind.PERPETUAL,
         duration_days=None, channels=128, max_machines=4, features=["analytics", "lpr", "video_wall"]),
    dict(code="trial-30d", name="Trial (30 days)", kind=Plan.Kind.TRIAL, duration_days=30, channels=16,
         max_machines=1, features=["analytics"], grace_days=0, moves_per_year=0),
]  # fmt: skip


def _machine(name: str) -> identity.MachineIdentity:
    # What the VMS sends, derived by the reference client from made-up raw identifiers.
    return identity.derive(
        f"demo-{name}", {"board": f"MB-{name}", "disk0": f"SN-{name}", "nic0": f"NIC-{name}"}
    )


def _activate(key: str, name: str, label: str, version: str, **kwargs) -> None:
    machine = _machine(name)
    services.activate_machine(
        key=key,
        fingerprint=machine.fingerprint,
        components=list(machine.components),
        label=label,
        product_version=version,
        **kwargs,
    )


def _check_in_history(key: str, name: str, version: str, cameras: int, now) -> None:
    """A month of daily check-ins with usage counts, so the staff statistics have figures to show."""
    for days_ago in range(30, -1, -1):
        services.validate(
            key=key,
            fingerprint=_machine(name).fingerprint,
            product_version=version,
            usage={"cameras": cameras + days_ago % 3},
            now=now - timedelta(days=days_ago),
        )


def _demo_release(product: Product, version: str, released_on: date) -> None:
    reason = WITHDRAWN.get(version, "")
    release, _ = Release.objects.get_or_create(
        product=product,
        version=version,
        defaults={
            "released_on": released_on,
            "state": Release.State.WITHDRAWN if reason else Release.State.PUBLISHED,
            "withdrawn_reason": reason,
        },
    )
    if not release.notes:
        release.notes = RELEASE_NOTES[version]
        release.save(update_fields=["notes"])
    if release.artifacts.exists():
        return
    for platform, suffix in DEMO_PLATFORMS:
        content = (f"Kalytera VMS {version} demo installer for {platform}\n" * 64).encode()
        upload = ContentFile(content, name=f"kalytera-vms-{version}-{suffix}")
        release_services.store_artifact(
            artifact=ReleaseArtifact(release=release, platform=platform), upload=upload
        )


DEMO_COMPANY = "Northwind Security GmbH"


def demo_company(customer: User) -> Organization:
    """The demo customer's company: the customer owns it, a manager and a viewer work in it."""
    company = Organization.objects.filter(name=DEMO_COMPANY, personal_for__isnull=True).order_by("pk").first()
    company = company or Organization.objects.create(name=DEMO_COMPANY)
    roles = {customer: Membership.Role.OWNER}
    for email, role in ((DEMO_MANAGER, Membership.Role.MANAGER), (DEMO_VIEWER, Membership.Role.VIEWER)):
        colleague = User.objects.filter(email=email).first()
        if colleague is not None:
            roles[colleague] = role
    for user, role in roles.items():
        Membership.objects.get_or_create(organization=company, user=user, defaults={"role": role})
    _invitation_and_token(company, customer)
    return company


def _invitation_and_token(company: Organization, customer: User) -> None:
    """A pending invitation and an API token (its secret is shown to nobody) to look at."""
    if not Invitation.objects.filter(organization=company, status=Invitation.Status.PENDING).exists():
        installer = "installer@northwind.example"
        invitations.invite(by=customer, organization=company, email=installer, role=Membership.Role.MANAGER)
    if not ApiToken.objects.filter(organization=company).exists():
        api_tokens.create(by=customer, organization=company, name="Monitoring in the control room")


DEMO_INTEGRATOR_NAME = "Northwind Security Integrators"


def demo_integrator(customer: User, company: Organization) -> None:
    """The integrator that installs and services the demo company's sites, with a manage grant."""
    lead = User.objects.filter(email=DEMO_INTEGRATOR).first()
    if lead is None or IntegratorGrant.objects.active().filter(customer=company).exists():
        return
    integrator = Organization.objects.filter(name=DEMO_INTEGRATOR_NAME, personal_for__isnull=True).first()
    integrator = integrator or create_organization(user=lead, name=DEMO_INTEGRATOR_NAME)
    invitation = integrators.invite_integrator(
        by=customer, customer=company, email=lead.email, scope="manage", send_reminders=True
    )
    integrators.accept_invitation(user=lead, token=invitation.token, integrator=integrator)


def seed(stdout) -> list[str]:
    product, _ = Product.objects.get_or_create(slug="kalytera-vms", defaults={"name": "Kalytera VMS"})
    for version, released_on in RELEASES:
        _demo_release(product, version, released_on)
    plans = {}
    for fields in PLANS:
        plans[fields["code"]], _ = Plan.objects.get_or_create(
            code=fields["code"], defaults={**fields, "product": product}
        )
    customer = User.objects.filter(email=DEMO_CUSTOMER).first()
    if customer is None:
        return []
    company = demo_company(customer)
    lines = _transfer_offer(customer, company, plans["enterprise-perpetual"])
    existing = (
        License.objects.filter(organization=company, plan=plans["pro-1y"]).order_by("-expires_at").first()
    )
    if existing is not None:
        demo_integrator(customer, company)
        return [f"Demo license key ({customer.email}): {keys.unseal(existing.key_sealed)}", *lines]

    now = timezone.now()
    pro = services.issue_license(
        plan=plans["pro-1y"], organization=company, actor=Actor.system(), now=now - timedelta(days=40)
    )
    _activate(pro.key, "recorder-1", "Recorder 1 (head office)", "6.2.0", now=now - timedelta(days=31))
    _check_in_history(pro.key, "recorder-1", "6.2.0", 24, now)
    # A perpetual license whose upgrade plan ended before 6.2.0 was released.
    perpetual = services.issue_license(
        plan=plans["enterprise-perpetual"],
        organization=company,
        actor=Actor.system(),
        now=now - timedelta(days=600),
    )
    _activate(perpetual.key, "warehouse", "Warehouse NVR", "6.1.0", now=now - timedelta(days=31))
    _check_in_history(perpetual.key, "warehouse", "6.1.0", 60, now)
    # A subscription that lapsed last week, the customer's own: in its grace period.
    lapsed = services.issue_license(
        plan=plans["pro-1y"],
        organization=personal_organization(user=customer),
        actor=Actor.system(),
        now=now - timedelta(days=372),
    )
    _activate(lapsed.key, "branch", "Branch office", "6.2.0", now=now - timedelta(days=10))
    demo_integrator(customer, company)  # after the licenses, so that their histories record the grant
    # An unassigned key to try the claim page with.
    spare = services.issue_license(plan=plans["pro-1y"], organization=None, actor=Actor.system())
    return [
        f"Demo license key ({customer.email}): {pro.key}",
        f"Unclaimed demo key (add it at /licenses/claim/): {spare.key}",
        *lines,
    ]


DEMO_PARTNER = "partner@kalytera.example"
PARTNER_COMPANY = "Contoso CCTV"


def _transfer_offer(customer: User, company: Organization, plan: Plan) -> list[str]:
    """A pending offer of one of the demo company's licenses to the owner of another company."""
    if LicenseTransfer.objects.filter(from_organization=company).exists():
        return [f"Pending transfer offer from {company} to {DEMO_PARTNER} (see /licenses/transfers/)"]
    partner = User.objects.filter(email=DEMO_PARTNER).first()
    partner = partner or accounts.create_verified_user(email=DEMO_PARTNER, password=DEMO_PASSWORD)
    if not Organization.objects.filter(name=PARTNER_COMPANY, memberships__user=partner).exists():
        create_organization(user=partner, name=PARTNER_COMPANY)
    sold = services.issue_license(plan=plan, organization=company, actor=Actor.system()).license
    offered = offer_transfer(by=customer, licenses=[sold], recipient_email=DEMO_PARTNER)
    return [
        f"Transfer offer from {company} to {DEMO_PARTNER} ({PARTNER_COMPANY}; same password): "
        f"{accept_url(offered.token)}"
    ]
