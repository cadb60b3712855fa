from allauth.account.models import EmailAddress

from contact.models import Inquiry, ThreadEntry
from kalytera.personal_data import PersonalData, register
from outbox.models import OutboundEmail


def _inquiries_of(user):
    # Inquiries sent while logged in, and those sent from an address the person has proven is theirs.
    verified = list(EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True))
    return Inquiry.objects.of_person(user=user, emails=verified)


def collect(user) -> list[dict]:
    rows = []
    for inquiry in _inquiries_of(user).prefetch_related("thread"):
        rows.append(
            {
                "reference": inquiry.reference,
                "received": inquiry.created_at.isoformat(),
                "topic": inquiry.get_topic_display(),
                "status": inquiry.get_status_display(),
                "name": inquiry.name,
                "email": inquiry.email,
                "company": inquiry.company,
                "phone": inquiry.phone,
                "license_reference": inquiry.license_reference,
                "message": inquiry.message,
                "replies": [
                    {"sent": entry.created_at.isoformat(), "text": entry.body}
                    for entry in inquiry.thread.all()
                    if entry.kind == ThreadEntry.Kind.REPLY
                ],
            }
        )
    return rows


def erase(user) -> None:
    inquiries = _inquiries_of(user)
    # Support's notification of an inquiry names the sender (subject, Reply-To) but is addressed
    # to support, so the outbox section does not see it; every contact email names the reference.
    for reference in inquiries.values_list("reference", flat=True):
        OutboundEmail.objects.filter(subject__contains=reference).delete()
    # The thread (replies and internal notes) goes with each inquiry.
    inquiries.delete()


register(
    PersonalData(
        key="contact.inquiries",
        title="Messages to our support team",
        explanation=(
            "What you sent through the contact form while logged in or from your verified email "
            "address, and our replies. We use it only to answer you."
        ),
        models=(Inquiry, ThreadEntry),
        collect=collect,
        erase=erase,
        order=40,
    )
)
