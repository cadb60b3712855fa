"""Demo content: four categories and a few threads by the demo customer, a colleague and staff."""

from django.utils import timezone

from accounts import services as accounts
from accounts.demo import DEMO_CUSTOMER, DEMO_MANAGER, DEMO_PASSWORD, DEMO_STAFF, DEMO_VIEWER
from accounts.models import User
from community import services
from community.models import Category, Profile, Topic
from legal import services as legal
from licensing.models import Release

DEMO_NEWCOMER = "newcomer@kalytera.example"

CATEGORIES = [
    ("Installation", "installation", "Installing and upgrading Kalytera VMS servers and clients."),
    ("Cameras and devices", "cameras", "Connecting cameras, encoders and I/O devices."),
    ("Licensing", "licensing", "Activating servers, moving licenses, offline activation."),
    ("Release feedback", "release-feedback", "What you think of a new version, and what you miss."),
]
NAMES = {
    DEMO_CUSTOMER: "Carla from Northwind",
    DEMO_MANAGER: "Mika_M",
    DEMO_VIEWER: "Vera V.",
    DEMO_STAFF: "Kalytera Team",
}


def seed(stdout) -> list[str]:
    for position, (name, slug, description) in enumerate(CATEGORIES):
        Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )
    people = {email: User.objects.filter(email=email).first() for email in NAMES}
    if None in people.values() or Topic.objects.exists():
        return ["Community: /community/"]
    for email, user in people.items():
        if not Profile.objects.filter(user=user).exists():
            services.choose_display_name(user=user, name=NAMES[email])
    Profile.objects.filter(user__in=people.values()).update(trusted_at=timezone.now())
    carla, mika, vera, team = (people[e] for e in (DEMO_CUSTOMER, DEMO_MANAGER, DEMO_VIEWER, DEMO_STAFF))
    release = Release.objects.order_by("-released_on").first()

    question = services.start_topic(
        author=carla,
        category=Category.objects.get(slug="cameras"),
        title="Camera stream drops every few minutes after upgrading",
        body=(
            "Since the upgrade, two of our ONVIF dome cameras lose their stream every few minutes. "
            "The other twelve are fine. Has anyone seen this?\n\n- Firmware: 5.4.1\n- Stream: H.265, 4 MP"
        ),
        release=release,
    )
    services.reply(
        author=mika,
        topic=question,
        body="Same here with H.265. Switching those cameras to H.264 helped for now.",
    )
    answer = services.reply(
        author=team,
        topic=question,
        body=(
            "Thank you for the details. These cameras send a keyframe interval longer than the stream "
            "timeout. Set the camera's **GOP length** to at most twice the frame rate, or raise "
            "*Stream timeout* in the camera's settings to 20 seconds."
        ),
    )
    services.vote(user=carla, post=answer)
    services.vote(user=mika, post=answer)
    services.mark_answer(user=carla, post=answer)
    services.follow(user=carla, topic=question)

    offline = services.start_topic(
        author=vera,
        category=Category.objects.get(slug="licensing"),
        title="How do I activate a server that has no internet connection?",
        body="Our recording server sits in an isolated network. Is there an offline activation?",
    )
    services.reply(
        author=mika,
        topic=offline,
        body=(
            "Yes: on the license page choose “Activate offline”, upload the request file from the "
            "server and copy the certificate back."
        ),
    )
    services.start_topic(
        author=mika,
        category=Category.objects.get(slug="release-feedback"),
        title="Wish: export several cameras into one evidence package",
        body=(
            "Exporting camera by camera takes long for incidents that span a parking lot. "
            "One package for several cameras would help."
        ),
        release=release,
    )
    services.follow(user=mika, category=Category.objects.get(slug="cameras"))

    # Work for the moderation queue: a new member's first post waits for review, and a report.
    newcomer = User.objects.filter(email=DEMO_NEWCOMER).first() or accounts.create_verified_user(
        email=DEMO_NEWCOMER, password=DEMO_PASSWORD
    )
    legal.record_signup_acceptances(user=newcomer)
    services.choose_display_name(user=newcomer, name="KeyDeals")
    services.reply(
        author=newcomer, topic=offline, body="Cheap license keys, no activation needed: keys.example"
    )
    mikas_reply = question.posts.get(author=mika)
    services.report_post(
        user=vera, post=mikas_reply, reason="Switching to H.264 loses the H.265 storage savings."
    )
    return [
        "Community: /community/ (threads by the demo customer, a colleague and the Kalytera Team); "
        "a held post and a report wait in Community > Posts > Needs review"
    ]
