"""What the legal app holds about a person: acceptances, notices of changes, and (for staff) publications."""

from kalytera.personal_data import PersonalData, register
from legal.models import Acceptance, ChangeNotice, PolicyVersion


def _acceptances(user) -> list[dict]:
    return [
        {
            "policy": a.version.policy.name,
            "version": a.version.number,
            "action": "accepted" if a.version.policy.requires_acceptance else "acknowledged",
            "source": a.get_source_display(),
            "at": a.accepted_at.isoformat(),
        }
        for a in Acceptance.objects.filter(user=user).select_related("version__policy")
    ]


def _erase_acceptances(user) -> None:
    Acceptance.objects.filter(user=user).delete()


def _notices(user) -> list[dict]:
    return [
        {
            "policy": n.version.policy.name,
            "version": n.version.number,
            "sent_to": n.email_address,
            "queued_at": n.queued_at.isoformat(),
            "dismissed_at": n.dismissed_at.isoformat() if n.dismissed_at else None,
        }
        for n in ChangeNotice.objects.filter(user=user).select_related("version__policy")
    ]


def _erase_notices(user) -> None:
    ChangeNotice.objects.filter(user=user).delete()


def _publications(user) -> list[dict]:
    return [
        {
            "policy": v.policy.name,
            "version": v.number,
            "published_at": v.published_at and v.published_at.isoformat(),
        }
        for v in PolicyVersion.objects.filter(published_by=user).select_related("policy")
    ]


def _erase_publications(user) -> None:
    # The versions stay published (they are the public record); only the link to the person goes.
    PolicyVersion.objects.filter(published_by=user).update(published_by=None)


register(
    PersonalData(
        key="legal_acceptances",
        title="Policy acceptances",
        explanation="Which versions of the Terms of Service you accepted and which Privacy Policy "
        "versions you acknowledged, and when: our record that you agreed to the terms in force.",
        models=(Acceptance,),
        collect=_acceptances,
        erase=_erase_acceptances,
        order=60,
    )
)
register(
    PersonalData(
        key="legal_notices",
        title="Notices of policy changes",
        explanation="The notices of material policy changes we emailed you (address and date), "
        "and when you dismissed them on the site: our proof that you were told.",
        models=(ChangeNotice,),
        collect=_notices,
        erase=_erase_notices,
        order=61,
    )
)
register(
    PersonalData(
        key="legal_publications",
        title="Policy versions you published",
        explanation="For legal staff: the policy versions you published.",
        models=(PolicyVersion,),
        collect=_publications,
        erase=_erase_publications,
        order=62,
        kept_after_deletion="The versions stay published as part of the public archive, without your name.",
        staff_only=True,
    )
)
