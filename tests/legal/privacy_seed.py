"""Legal data for the privacy tests' person: an acceptance, a notice of change, a publication."""

from legal import services
from legal.models import ChangeNotice, Policy


def _publish(policy: Policy, by):
    draft = services.start_draft(policy=policy)
    draft.summary = "Clearer wording."
    draft.save(update_fields=["summary"])
    return services.publish_version(version=draft, by=by)


def seed(user) -> None:
    terms = Policy.objects.get(slug=Policy.Slug.TERMS)
    version = _publish(terms, user)
    services.accept_version(user=user, version=version)
    privacy = Policy.objects.get(slug=Policy.Slug.PRIVACY)
    notice_for = _publish(privacy, user)
    ChangeNotice.objects.create(user=user, version=notice_for, email_address=user.email)
