"""What the advisories app holds about a person: the security notices we emailed them, and, for
Security staff, the advisories and incident notices they published or sent."""

from django.db.models import Q

from advisories.models import AdvisoryNotice, AdvisoryRevision, IncidentDelivery, IncidentNotice
from kalytera.personal_data import PersonalData, register


def _notices(user) -> list[dict]:
    advisories = [
        {
            "kind": "security advisory",
            "about": str(notice.revision),
            "sent_to": notice.email_address,
            "machines": notice.machines,
            "queued_at": notice.queued_at.isoformat(),
        }
        for notice in AdvisoryNotice.objects.filter(user=user).select_related("revision__advisory")
    ]
    incidents = [
        {
            "kind": "incident notice",
            "about": delivery.incident.title,
            "sent_to": delivery.email_address,
            "queued_at": delivery.queued_at and delivery.queued_at.isoformat(),
        }
        for delivery in IncidentDelivery.objects.filter(user=user).select_related("incident")
    ]
    return advisories + incidents


def _erase_notices(user) -> None:
    AdvisoryNotice.objects.filter(user=user).delete()
    IncidentDelivery.objects.filter(user=user).delete()


def _staff_work(user) -> list[dict]:
    published = [
        {"published": str(revision), "at": revision.published_at and revision.published_at.isoformat()}
        for revision in AdvisoryRevision.objects.filter(published_by=user).select_related("advisory")
    ]
    incidents = [
        {"incident_notice": incident.title, "sent_at": incident.sent_at and incident.sent_at.isoformat()}
        for incident in IncidentNotice.objects.filter(Q(created_by=user) | Q(sent_by=user))
    ]
    return published + incidents


def _erase_staff_work(user) -> None:
    AdvisoryRevision.objects.filter(published_by=user).update(published_by=None)
    IncidentNotice.objects.filter(created_by=user).update(created_by=None)
    IncidentNotice.objects.filter(sent_by=user).update(sent_by=None)


register(
    PersonalData(
        key="security_notices",
        title="Security notices sent to you",
        explanation="The security advisories we emailed you because a machine on a license you look after "
        "ran an affected version (address, date, number of machines), and the security incident notices "
        "sent to you: our proof that you were told.",
        models=(AdvisoryNotice, IncidentDelivery),
        collect=_notices,
        erase=_erase_notices,
        order=63,
    )
)
register(
    PersonalData(
        key="security_publications",
        title="Advisories and incident notices you published",
        explanation="For Security staff: the advisory revisions you published and the incident notices "
        "you composed or sent.",
        models=(AdvisoryRevision, IncidentNotice),
        collect=_staff_work,
        erase=_erase_staff_work,
        order=64,
        kept_after_deletion="Advisories stay published and incident notices stay on record, "
        "without your name.",
        staff_only=True,
    )
)
