"""Who may do what in the community. Reading needs nothing; everything else is decided here.

Each refusal is a sentence that says what to do next, and the address of the page where
the person can do it: the pages show both, and the services raise them as errors.
"""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.urls import reverse

from community.models import Post, Profile, Topic
from legal import services as legal
from legal.models import Policy

MODERATE_PERMISSION = "community.change_post"


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    next_url: str = ""
    next_label: str = ""


def posting_refusal(user, *, next_path: str = "") -> Refusal | None:
    """Why ``user`` may not post now, or ``None``.

    Posting needs a signed-in account with a verified address that accepted the Terms in
    force and is not suspended. Licenses and support are never affected by any of this.
    """
    if not user.is_authenticated:
        login = reverse("account_login")
        return Refusal(
            "community.sign_in",
            "Sign in to post. Anyone can read; asking and answering needs a free account.",
            f"{login}?next={next_path}" if next_path else login,
            "Sign in",
        )
    if not EmailAddress.objects.filter(user=user, verified=True).exists():
        return Refusal(
            "community.verify_email",
            "Confirm your email address first: open the link we sent you, or send a new one.",
            reverse("account_email"),
            "Your email addresses",
        )
    terms = Policy.objects.filter(slug=Policy.Slug.TERMS).first()
    if terms is not None and legal.pending_acceptance(user=user, policy=terms) is not None:
        return Refusal(
            "community.accept_terms",
            "Accept the current Terms of Service to post. Reading stays open to you.",
            reverse("legal:accept", args=[terms.slug]),
            "Read and accept the Terms",
        )
    profile = Profile.objects.filter(user=user).first()
    if profile is not None and profile.is_suspended():
        reason = f" Reason: {profile.suspension_reason}" if profile.suspension_reason else ""
        return Refusal(
            "community.suspended",
            f"You cannot post in the community until {profile.suspended_until:%Y-%m-%d %H:%M} UTC.{reason} "
            "Your licenses and support are not affected; write to us through the contact form if you "
            "think this is a mistake.",
            reverse("contact:form"),
            "Contact us",
        )
    return None


def is_moderator(user) -> bool:
    return bool(user.is_authenticated and user.is_staff and user.has_perm(MODERATE_PERMISSION))


def may_mark_answer(user, topic: Topic) -> bool:
    """The topic's author or a staff member (who often gives the answer themselves)."""
    return bool(user.is_authenticated and (topic.author_id == user.pk or user.is_staff))


def may_edit(user, post: Post) -> bool:
    """Authors edit their own visible or held posts; a hidden or removed post stays as it is."""
    return bool(
        user.is_authenticated
        and post.author_id == user.pk
        and post.status in (Post.Status.VISIBLE, Post.Status.HELD)
    )


def may_see(user, post: Post) -> bool:
    """Whether ``user`` sees the text of ``post`` (everyone sees that a post is there)."""
    if post.status == Post.Status.VISIBLE:
        return True
    if post.status == Post.Status.REMOVED:
        return False
    return bool(user.is_authenticated and (post.author_id == user.pk or is_moderator(user)))
