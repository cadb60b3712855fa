"""What the community holds about a person, and what happens to it when the account goes.

On deletion we **remove the person's posts** (their text, earlier versions and search
entries), exactly as if they had removed each one themselves, and keep only the empty
place of each post in its thread, shown as "Removed" without a name or a link. Topics they
started keep the replies of others under the neutral title "Removed topic". Votes, follows,
reports, the display name and its history are deleted.

Why not keep the text under "former member" (the other choice)? A post is personal data
of its author even without a name: people write about their site, their employer, their
cameras and themselves, and a display name or a writing style leads back to them. GDPR
Art. 17(1)(a)/(b) gives the right to erasure once the data are no longer needed for the
purpose they were given for (taking part in the community ends with the account) or
consent is withdrawn. The exceptions of Art. 17(3) do not carry a vendor forum: (a)
freedom of expression and information is the author's, who is asking us to stop, and a
commercial vendor's wish to keep useful answers is a legitimate interest, which Art. 17(1)(c)
with Art. 21 makes yield unless it is compelling; (b) no law obliges us to keep posts; (e)
we do not need them for legal claims. Keeping the text would therefore need a balancing
test per post that we could not defend at scale, while removing it costs readers some
answers and the threads stay readable around the gap. Moderators who hid a post keep
nothing either: the hidden text goes with the rest. Reports others made about the
person's posts go with the posts' text (the rows stay, pointing at the emptied post).
"""

from django.db.models import F

from community import services
from community.models import DisplayNameChange, Follow, Post, Profile, Report, Topic, Vote
from kalytera.personal_data import PersonalData, register


def _when(value) -> str | None:
    return value.isoformat() if value else None


def _collect_profile(user) -> list[dict]:
    profile = Profile.objects.filter(user=user).first()
    if profile is None:
        return []
    return [
        {
            "display_name": profile.display_name,
            "since": _when(profile.created_at),
            "posts_appear_without_review_since": _when(profile.trusted_at),
            "suspended_until": _when(profile.suspended_until),
            "suspension_reason": profile.suspension_reason,
            "earlier_names": [
                {"name": change.old_name, "changed": _when(change.changed_at)}
                for change in profile.name_changes.all()
            ],
        }
    ]


def _erase_profile(user) -> None:
    DisplayNameChange.objects.filter(profile__user=user).delete()
    Profile.objects.filter(user=user).delete()


register(
    PersonalData(
        key="community_profile",
        title="Community display name",
        explanation=(
            "The name you chose to post under in the community, which everyone can see, and your earlier "
            "names, which only moderators see. Your email address is never shown there."
        ),
        models=(Profile, DisplayNameChange),
        collect=_collect_profile,
        erase=_erase_profile,
        order=80,
    )
)


def _collect_posts(user) -> list[dict]:
    return [
        {
            "topic": post.topic.title,
            "kind": "topic" if post.is_opening else "reply",
            "written": _when(post.created_at),
            "edited": _when(post.edited_at),
            "status": post.get_status_display(),
            "moderation_reason": post.moderation_reason,
            "text": post.body,
            "earlier_versions": [
                {"replaced": _when(rev.replaced_at), "title": rev.title, "text": rev.body}
                for rev in post.revisions.all()
            ],
            "votes_received": post.vote_count,
        }
        for post in Post.objects.filter(author=user)
        .select_related("topic")
        .prefetch_related("revisions")
        .order_by("created_at")
    ]


def _erase_posts(user) -> None:
    for post in Post.objects.filter(author=user).exclude(status=Post.Status.REMOVED):
        services.remove_post(user=user, post=post)
    Post.objects.filter(author=user).update(author=None)
    Topic.objects.filter(author=user).update(author=None)


register(
    PersonalData(
        key="community_posts",
        title="Community topics and replies",
        explanation=(
            "What you wrote in the community, with its earlier versions and any moderation note. Everyone "
            "can read your visible posts under your display name; moderators also see earlier versions."
        ),
        models=(Post, Topic),
        collect=_collect_posts,
        erase=_erase_posts,
        order=81,
        kept_after_deletion=(
            "The text of your posts is removed. Each post's place in its thread stays, marked as removed, "
            "without your name or any link to your account, so that other people's replies remain readable."
        ),
    )
)


def _collect_votes(user) -> list[dict]:
    return [
        {"reply_in": vote.post.topic.title, "voted": _when(vote.created_at)}
        for vote in Vote.objects.filter(user=user).select_related("post__topic").order_by("created_at")
    ]


def _erase_votes(user) -> None:
    for post_id in Vote.objects.filter(user=user).values_list("post_id", flat=True):
        Post.objects.filter(pk=post_id, vote_count__gt=0).update(vote_count=F("vote_count") - 1)
    Vote.objects.filter(user=user).delete()


register(
    PersonalData(
        key="community_votes",
        title="Community votes",
        explanation="The replies you voted for. Others see only the number of votes, never who voted.",
        models=(Vote,),
        collect=_collect_votes,
        erase=_erase_votes,
        order=82,
    )
)


def _collect_follows(user) -> list[dict]:
    return [
        {
            "follows": f"topic: {follow.topic.title}"
            if follow.topic
            else f"category: {follow.category.name}",  # type: ignore[union-attr]
            "since": _when(follow.created_at),
            "last_notice_covers_until": _when(follow.notified_until),
        }
        for follow in Follow.objects.filter(user=user)
        .select_related("topic", "category")
        .order_by("created_at")
    ]


register(
    PersonalData(
        key="community_follows",
        title="Community topics and categories you follow",
        explanation="What you follow, so that we can email you about new posts (optional email).",
        models=(Follow,),
        collect=_collect_follows,
        erase=lambda user: Follow.objects.filter(user=user).delete(),
        order=83,
    )
)


def _collect_reports(user) -> list[dict]:
    return [
        {"post_in": report.post.topic.title, "reason": report.reason, "reported": _when(report.created_at)}
        for report in Report.objects.filter(reporter=user)
        .select_related("post__topic")
        .order_by("created_at")
    ]


register(
    PersonalData(
        key="community_reports",
        title="Posts you reported",
        explanation=(
            "Posts you reported to the moderators and why. Only moderators see reports; "
            "the author never learns who reported."
        ),
        models=(Report,),
        collect=_collect_reports,
        erase=lambda user: Report.objects.filter(reporter=user).delete(),
        order=84,
    )
)
