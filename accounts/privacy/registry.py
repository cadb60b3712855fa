"""Personal data held by the accounts app, by allauth (registered here for it) and by the outbox.

Each section lists what the person sees and downloads, and erases the same rows when
the account is purged. Secrets (password hash, TOTP seeds, recovery codes, passkey
keys) are never shown: only the kind of method and its dates.
"""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session

from accounts.models import DataExport, DeletionRequest, PrivacyChoices, SecurityEvent, User
from accounts.privacy.deletion import end_sessions
from kalytera.personal_data import PersonalData, register
from outbox.models import OutboundEmail


def _when(value) -> str | None:
    return value.isoformat() if value else None


# --- The account ---------------------------------------------------------------------------------


def _collect_account(user: User) -> list[dict]:
    return [
        {
            "email": user.email,
            "company": user.company,
            "phone": user.phone,
            "joined": _when(user.date_joined),
            "last_sign_in": _when(user.last_login),
            "confirmed_16_or_older": _when(user.age_confirmed_at),
            "active": user.is_active,
            "staff_groups": sorted(user.groups.values_list("name", flat=True)),
        }
    ]


def _erase_account(user: User) -> None:
    # Rows that point at the user with on_delete=CASCADE go with it; every app has
    # erased or de-personalised its own rows before this runs (erase runs in reverse order).
    User.objects.filter(pk=user.pk).delete()


register(
    PersonalData(
        key="account",
        title="Account and profile",
        explanation=(
            "Your sign-in address and the optional company and phone number from your profile. "
            "We use them to let you sign in, to send service notices and to answer your inquiries."
        ),
        models=(User,),
        collect=_collect_account,
        erase=_erase_account,
        order=10,
    )
)


def _collect_addresses(user: User) -> list[dict]:
    return [
        {"email": address.email, "verified": address.verified, "primary": address.primary}
        for address in EmailAddress.objects.filter(user=user).order_by("-primary", "email")
    ]


register(
    PersonalData(
        key="email_addresses",
        title="Email addresses",
        explanation=(
            "The address you sign in with and, while you change it, the new address awaiting confirmation."
        ),
        models=(EmailAddress,),
        collect=_collect_addresses,
        erase=lambda user: EmailAddress.objects.filter(user=user).delete(),
        order=20,
    )
)


def _collect_choices(user: User) -> list[dict]:
    choices = PrivacyChoices.objects.filter(user=user).first()
    if choices is None:
        return []
    return [
        {
            "processing_restricted_since": _when(choices.restricted_at),
            "optional_email_declined_since": _when(choices.objected_at),
        }
    ]


register(
    PersonalData(
        key="privacy_choices",
        title="Your privacy choices",
        explanation="Whether you restricted the processing of your data or declined optional email.",
        models=(PrivacyChoices,),
        collect=_collect_choices,
        erase=lambda user: PrivacyChoices.objects.filter(user=user).delete(),
        order=25,
    )
)


# --- Sign-in and security ---------------------------------------------------------------------------


def _collect_sessions(user: User) -> list[dict]:
    return [
        {
            "signed_in": _when(session.created_at),
            "last_seen": _when(session.last_seen_at),
            "ip_address": session.ip,
            "browser": session.user_agent,
        }
        for session in UserSession.objects.filter(user=user).order_by("-created_at")
    ]


def _erase_sessions(user: User) -> None:
    end_sessions(user, search_store=True)


register(
    PersonalData(
        key="sessions",
        title="Where you are signed in",
        explanation=(
            "Each browser signed in to your account, with its IP address and browser name, "
            "so that you can recognise and end sessions. Removed when a session ends or expires."
        ),
        models=(UserSession, Session),
        collect=_collect_sessions,
        erase=_erase_sessions,
        order=30,
    )
)


def _collect_authenticators(user: User) -> list[dict]:
    rows = []
    for authenticator in Authenticator.objects.filter(user=user).order_by("created_at"):
        row = {
            "method": authenticator.get_type_display(),
            "added": _when(authenticator.created_at),
            "last_used": _when(authenticator.last_used_at),
        }
        if authenticator.type == Authenticator.Type.WEBAUTHN:
            row["name"] = authenticator.wrap().name
        rows.append(row)
    return rows


register(
    PersonalData(
        key="mfa",
        title="Two-factor authentication",
        explanation=(
            "The second factors you set up: the kind of method and when it was added and last used. "
            "The secrets themselves are stored to check your codes but are never shown or exported."
        ),
        models=(Authenticator,),
        collect=_collect_authenticators,
        erase=lambda user: Authenticator.objects.filter(user=user).delete(),
        order=40,
    )
)


def _collect_events(user: User) -> list[dict]:
    return [
        {
            "when": _when(event.created_at),
            "event": event.get_kind_display(),
            "detail": event.detail,
            "ip_address": event.ip,
            "browser": event.user_agent,
        }
        for event in SecurityEvent.objects.filter(user=user).order_by("-created_at", "-pk")
    ]


register(
    PersonalData(
        key="security_events",
        title="Security timeline",
        explanation=(
            "Sign-ins, failed sign-ins, sign-in codes, changes to your password, email address and "
            "two-factor methods, and privacy requests, with the IP address and browser they came from. "
            "Kept for 12 months to help you and us spot misuse of your account."
        ),
        models=(SecurityEvent,),
        collect=_collect_events,
        erase=lambda user: SecurityEvent.objects.filter(user=user).delete(),
        order=50,
    )
)


# --- Privacy requests ---------------------------------------------------------------------------------


def _collect_exports(user: User) -> list[dict]:
    return [
        {
            "requested": _when(export.requested_at),
            "status": export.get_status_display(),
            "available_until": _when(export.expires_at),
        }
        for export in DataExport.objects.filter(user=user).defer("content").order_by("-requested_at")
    ]


register(
    PersonalData(
        key="data_exports",
        title="Copies of your data",
        explanation="The copies of your data you asked for. Each is deleted when its download period ends.",
        models=(DataExport,),
        collect=_collect_exports,
        erase=lambda user: DataExport.objects.filter(user=user).delete(),
        order=60,
    )
)


def _collect_deletion(user: User) -> list[dict]:
    return [
        {"requested": _when(deletion.requested_at), "purge_after": _when(deletion.purge_after)}
        for deletion in DeletionRequest.objects.filter(user=user)
    ]


register(
    PersonalData(
        key="deletion_request",
        title="Account deletion",
        explanation="Your request to delete the account, while it waits for the end of the grace period.",
        models=(DeletionRequest,),
        collect=_collect_deletion,
        erase=lambda user: DeletionRequest.objects.filter(user=user).delete(),
        order=65,
        kept_after_deletion=(
            "A note that an account was deleted and on which day. It holds no address and no name: "
            "only a keyed fingerprint of the account number and address, so that the deletion can be "
            "applied again if we ever have to restore a backup."
        ),
    )
)


# --- Email sent to the person (the outbox) ----------------------------------------------------------------


def _addresses(user: User) -> set[str]:
    return {user.email, *EmailAddress.objects.filter(user=user).values_list("email", flat=True)}


def _emails_to(user: User):
    """Outbox rows with one of the user's addresses among the recipients."""
    addresses = _addresses(user)
    candidates = OutboundEmail.objects.none()
    for address in addresses:
        candidates = candidates | OutboundEmail.objects.filter(recipients__icontains=address)
    # icontains also matches longer addresses that contain this one: compare exactly.
    return [
        email
        for email in candidates.distinct().order_by("-created_at")
        if {r.strip().lower() for r in email.recipients} & addresses
    ]


def _collect_emails(user: User) -> list[dict]:
    return [
        {
            "queued": _when(email.created_at),
            "kind": email.get_category_display(),
            "subject": email.subject,
            "status": email.get_status_display(),
            "sent": _when(email.sent_at),
        }
        for email in _emails_to(user)
    ]


def _erase_emails(user: User) -> None:
    OutboundEmail.objects.filter(pk__in=[email.pk for email in _emails_to(user)]).delete()


register(
    PersonalData(
        key="emails",
        title="Email we sent you",
        explanation=(
            "The messages we sent or are about to send you: kind, subject and delivery status. "
            "Message bodies are deleted once delivered; the rest after seven days."
        ),
        models=(OutboundEmail,),
        collect=_collect_emails,
        erase=_erase_emails,
        order=70,
    )
)


# --- Staff work (only for staff accounts) --------------------------------------------------------------


def _collect_staff_actions(user: User) -> list[dict]:
    return [
        {
            "when": _when(entry.action_time),
            "action": entry.get_action_flag_display(),
            "object": f"{entry.content_type.name if entry.content_type else ''}: {entry.object_repr}",
        }
        for entry in LogEntry.objects.filter(user=user)
        .select_related("content_type")
        .order_by("-action_time")
    ]


def _erase_staff_actions(user: User) -> None:
    LogEntry.objects.filter(user=user).delete()
    # Entries other staff wrote about this account name it (its address): keep the fact, not the name.
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    ).update(object_repr="deleted account", change_message="")


register(
    PersonalData(
        key="staff_actions",
        title="Changes made in the staff admin",
        explanation="For staff accounts: what you changed in the staff admin, kept as an audit trail.",
        models=(LogEntry,),
        collect=_collect_staff_actions,
        erase=_erase_staff_actions,
        order=90,
        staff_only=True,
    )
)
