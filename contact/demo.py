"""Demo inquiries in each state of the support workflow (no emails are sent for them)."""

from datetime import timedelta

from django.utils import timezone

from accounts.demo import DEMO_CUSTOMER, DEMO_STAFF
from accounts.models import User
from contact.models import Inquiry, ThreadEntry

DEMO_DOMAIN = "@demo-sender.example"


def seed(stdout) -> list[str]:
    if Inquiry.objects.filter(email__endswith=DEMO_DOMAIN).exists():
        return ["Contact desk: demo inquiries exist already (staff admin → Inquiries)."]
    now = timezone.now()
    customer = User.objects.filter(email=DEMO_CUSTOMER).first()
    staff = User.objects.filter(email=DEMO_STAFF).first()

    Inquiry.objects.create(
        name="Priya Raman",
        email=f"priya{DEMO_DOMAIN}",
        company="Harbour Logistics",
        topic=Inquiry.Topic.SALES,
        message="We run 40 cameras across two warehouses. Which plan fits, and is there a trial?",
        created_at=now - timedelta(hours=3),
    )
    licensing = Inquiry.objects.create(
        name="Carla Demo",
        email=f"carla{DEMO_DOMAIN}",
        company="Northwind Security GmbH",
        phone="+49301234567",
        topic=Inquiry.Topic.LICENSING,
        license_reference="KLY-DEMO-0001",
        message="Our server's mainboard was replaced. How do I move the license to the new hardware?",
        user=customer,
        status=Inquiry.Status.OPEN,
        assignee=staff,
        created_at=now - timedelta(days=1),
    )
    ThreadEntry.objects.create(
        inquiry=licensing,
        kind=ThreadEntry.Kind.NOTE,
        author=staff,
        body="Customer has one seat left; a move is possible from the license page.",
    )
    waiting = Inquiry.objects.create(
        name="Jonas Berg",
        email=f"jonas{DEMO_DOMAIN}",
        topic=Inquiry.Topic.SUPPORT,
        message="Recordings stop after about two hours on camera 7. The log says 'segment write timeout'.",
        status=Inquiry.Status.WAITING,
        assignee=staff,
        created_at=now - timedelta(days=4),
    )
    ThreadEntry.objects.create(
        inquiry=waiting,
        kind=ThreadEntry.Kind.REPLY,
        author=staff,
        body="Thank you. Could you send us the storage settings of that camera and the free disk space?",
    )
    Inquiry.objects.create(
        name="Amira Haddad",
        email=f"amira{DEMO_DOMAIN}",
        topic=Inquiry.Topic.PRIVACY,
        message="Please tell me which personal data you hold about me.",
        created_at=now - timedelta(days=20),
    )
    Inquiry.objects.create(
        name="Tom Weller",
        email=f"tom{DEMO_DOMAIN}",
        topic=Inquiry.Topic.OTHER,
        message="Do you offer training for installers?",
        status=Inquiry.Status.CLOSED,
        closed_at=now - timedelta(days=10),
        created_at=now - timedelta(days=12),
    )
    Inquiry.objects.create(
        name="Best Offers",
        email=f"offers{DEMO_DOMAIN}",
        topic=Inquiry.Topic.OTHER,
        message="Cheap backlinks for your website!!!",
        status=Inquiry.Status.SPAM,
        spam_reason=Inquiry.SpamReason.STAFF,
        closed_at=now - timedelta(days=2),
        created_at=now - timedelta(days=2),
    )
    return ["Contact desk: 6 demo inquiries (new, open, waiting, privacy, closed, spam) in the staff admin."]
