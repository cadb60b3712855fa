import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from community import services
from community.models import Post, Profile, Vote
from legal import services as legal
from legal.models import Policy
from licensing.services import activate_machine
from tests import personas
from tests.community.conftest import member
from tests.legal.versions import release


@pytest.fixture(autouse=True)
def terms(db):
    policy = Policy.objects.get(slug=Policy.Slug.TERMS)
    return release(policy, number=1, effective_at=timezone.now() - timezone.timedelta(days=10))


def accepted(user, terms):
    legal.accept_version(user=user, version=terms)
    return user


def reply_url(topic) -> str:
    return reverse("community:reply", args=[topic.pk])


# --- Reading ------------------------------------------------------------------------------------------


def test_anonymous_readers_get_every_public_page_without_a_cookie(client, question, helper):
    services.reply(author=helper, topic=question, body="Try **H.264**.")
    pages = [
        reverse("community:index"),
        question.category.get_absolute_url(),
        question.get_absolute_url(),
        reverse("community:search") + "?q=stream",
        reverse("community:category_feed", args=[question.category.slug]),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert not response.cookies, page
        assert "Set-Cookie" not in response.headers


def test_the_topic_page_has_one_h1_and_a_good_title(client, question):
    html = client.get(question.get_absolute_url()).content.decode()
    assert html.count("<h1") == 1
    assert "<title>Stream drops after upgrade · Cameras and devices" in html
    assert "asker@customer.example" not in html
    assert "Sign in to post" in html


def test_a_topic_address_without_its_slug_leads_to_the_full_one(client, question):
    response = client.get(reverse("community:topic_short", args=[question.pk]))
    assert response.status_code == 301 and response["Location"] == question.get_absolute_url()


def test_a_held_topic_is_not_found_by_others(client, category):
    newcomer = member("new@customer.example", "Newcomer", trusted=False)
    topic = services.start_topic(author=newcomer, category=category, title="Held", body="Wait")
    assert client.get(topic.get_absolute_url()).status_code == 404
    client.force_login(newcomer)
    assert "Waiting for a moderator" in client.get(topic.get_absolute_url()).content.decode()


def test_a_hidden_post_shows_its_reason_to_the_author_only(client, question, helper):
    post = services.reply(author=helper, topic=question, body="Spam text")
    services.hide_post(post=post, reason="Advertising")
    html = client.get(question.get_absolute_url()).content.decode()
    assert "Spam text" not in html and "Hidden by a moderator." in html
    client.force_login(helper)
    html = client.get(question.get_absolute_url()).content.decode()
    assert "Spam text" in html and "Advertising" in html


def test_markdown_is_sanitized(client, asker, category):
    topic = services.start_topic(
        author=asker,
        category=category,
        title="XSS",
        body="<script>alert(1)</script> [x](javascript:alert(1))",
    )
    html = client.get(topic.get_absolute_url()).content.decode()
    assert "<script>alert" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_badges_are_computed_staff_and_customers_with_a_license_in_use(
    client, question, helper, issue, support_user
):
    _, key = issue(helper)
    services.reply(author=helper, topic=question, body="Helper here")
    legal.record_signup_acceptances(user=support_user)
    services.choose_display_name(user=support_user, name="Sam Support")
    services.reply(author=support_user, topic=question, body="Staff here")
    html = client.get(question.get_absolute_url()).content.decode()
    assert "Customer</span>" not in html  # a license nobody activated is not in use
    activate_machine(key=key, fingerprint="a" * 64)
    html = client.get(question.get_absolute_url()).content.decode()
    assert html.count(">Customer</span>") == 1 and html.count(">Staff</span>") == 1


# --- Who may write: the permission matrix ------------------------------------------------------------


@pytest.fixture
def people(db, terms):
    unverified = personas.make_customer("unverified@customer.example")
    EmailAddress.objects.filter(user=unverified).update(verified=False)
    accepted(unverified, terms)
    services.choose_display_name(user=unverified, name="Unverified")
    not_accepted = personas.make_customer("late@customer.example")
    services.choose_display_name(user=not_accepted, name="Late")
    Profile.objects.filter(user=not_accepted).update(trusted_at=timezone.now())
    customer = accepted(member("cust@customer.example", "Cust"), terms)
    suspended = accepted(member("susp@customer.example", "Susp"), terms)
    Profile.objects.filter(user=suspended).update(
        suspended_until=timezone.now() + timezone.timedelta(days=3), suspension_reason="Spam"
    )
    moderator = accepted(personas.make_staff("mod@kalytera.example", "Community"), terms)
    other_staff = accepted(personas.make_staff("sam@kalytera.example", "Support"), terms)
    for staff, name in ((moderator, "Moderator Mo"), (other_staff, "Sam Support")):
        services.choose_display_name(user=staff, name=name)
    return {
        "unverified": unverified,
        "terms not accepted": not_accepted,
        "customer": customer,
        "suspended": suspended,
        "community staff": moderator,
        "other staff": other_staff,
    }


@pytest.mark.parametrize(
    ("who", "reads", "posts", "moderates"),
    [
        ("anonymous", 200, "login", 302),
        ("unverified", 200, 403, 404),
        ("terms not accepted", 200, "terms", 404),
        ("customer", 200, 302, 404),
        ("suspended", 200, 403, 404),
        ("community staff", 200, 302, 200),
        ("other staff", 200, 302, 403),
    ],
)
def test_permission_matrix(client, people, question, form_token, who, reads, posts, moderates):
    user = people.get(who)
    if user is not None:
        if user.is_staff:
            personas.give_totp(user)
        client.force_login(user)
    assert client.get(question.get_absolute_url()).status_code == reads

    response = client.post(reply_url(question), {"body": "My reply", "form_token": form_token})
    if posts == "login":
        assert response.status_code == 302 and reverse("account_login") in response["Location"]
    elif posts == "terms":
        assert response.status_code == 302 and reverse("legal:accept", args=["terms"]) in response["Location"]
    else:
        assert response.status_code == posts
    assert Post.objects.filter(body="My reply").exists() == (posts == 302)
    if posts == 403:
        assert (
            "Your email addresses" in response.content.decode() or "Contact us" in response.content.decode()
        )

    queue = client.get(reverse("admin:community_post_changelist") + "?queue=review")
    assert queue.status_code == moderates


def test_a_suspended_member_is_told_until_when_and_why(client, people, question, form_token):
    client.force_login(people["suspended"])
    html = client.post(reply_url(question), {"body": "x", "form_token": form_token}).content.decode()
    assert "Spam" in html and "UTC" in html and "licenses" in html


def test_a_first_post_asks_for_a_display_name(client, terms, question, form_token):
    newcomer = accepted(personas.make_customer("fresh@customer.example"), terms)
    client.force_login(newcomer)
    response = client.get(reverse("community:new_topic"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("community:name"))
    response = client.post(
        reverse("community:name"), {"display_name": "Fresh One", "next": "/community/write/new/"}
    )
    assert response.status_code == 302 and response["Location"] == "/community/write/new/"
    assert Profile.objects.get(user=newcomer).display_name == "Fresh One"


@pytest.mark.parametrize("name", ["reply", "vote", "answer", "remove", "follow_topic"])
def test_state_changes_are_post_only(client, people, question, name):
    client.force_login(people["customer"])
    pk = question.pk if name in ("reply", "follow_topic") else question.posts.get().pk
    assert client.get(reverse(f"community:{name}", args=[pk])).status_code == 405


def test_only_the_author_edits_or_removes(client, people, question):
    client.force_login(people["customer"])
    opening = question.posts.get()
    assert client.get(reverse("community:edit", args=[opening.pk])).status_code == 404
    assert client.post(reverse("community:remove", args=[opening.pk])).status_code == 404


def test_a_new_topic_through_the_form(client, people, category, product, form_token):
    client.force_login(people["customer"])
    form = client.get(reverse("community:new_topic") + f"?category={category.slug}")
    assert form.status_code == 200 and 'class="hp-field"' in form.content.decode()
    release_ = product.releases.get(version="6.2.0")
    response = client.post(
        reverse("community:new_topic"),
        {
            "title": "Export question",
            "category": category.pk,
            "release": release_.pk,
            "body": "How?",
            "form_token": form_token,
        },
    )
    assert response.status_code == 302
    topic = category.topics.get(title="Export question")
    assert topic.release == release_ and topic.is_listed


def test_the_honeypot_holds_the_post(client, people, category, form_token):
    client.force_login(people["customer"])
    client.post(
        reverse("community:new_topic"),
        {"title": "Buy", "category": category.pk, "body": "Cheap", "website": "x", "form_token": form_token},
    )
    assert category.topics.get(title="Buy").posts.get().status == Post.Status.HELD


def test_a_form_sent_too_fast_comes_back_with_what_to_do(client, people, category, settings):
    from contact import spam

    settings.CONTACT_MIN_FILL_SECONDS = 30
    client.force_login(people["customer"])
    response = client.post(
        reverse("community:new_topic"),
        {"title": "Quick", "category": category.pk, "body": "Fast", "form_token": spam.issue_token()},
    )
    assert response.status_code == 400 and "send it again" in response.content.decode()


def test_posting_is_rate_limited_per_account_with_a_retry_time(
    client, people, question, form_token, settings
):
    settings.COMMUNITY_POST_RATE_LIMITS = ["2/h"]
    client.force_login(people["customer"])
    for n in range(2):
        assert (
            client.post(reply_url(question), {"body": f"Reply {n}", "form_token": form_token}).status_code
            == 302
        )
    response = client.post(reply_url(question), {"body": "Reply 3", "form_token": form_token})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "Please wait about" in response.content.decode()


def test_marking_the_answer_and_voting_through_the_pages(client, people, question, helper):
    post = services.reply(author=helper, topic=question, body="Try H.264.")
    client.force_login(question.author)
    assert client.post(reverse("community:answer", args=[post.pk])).status_code == 302
    question.refresh_from_db()
    assert question.answer == post
    client.force_login(people["customer"])
    client.post(reverse("community:vote", args=[post.pk]))
    client.post(reverse("community:vote", args=[post.pk]))
    assert Vote.objects.filter(post=post).count() == 1
    assert client.post(reverse("community:answer", args=[post.pk])).status_code == 403


def test_a_member_reports_a_post(client, people, question):
    client.force_login(people["customer"])
    opening = question.posts.get()
    assert (
        client.post(reverse("community:report", args=[opening.pk]), {"reason": "Off topic"}).status_code
        == 302
    )
    assert opening.reports.get().reason == "Off topic"


def test_a_moderator_hides_a_post_from_the_queue_with_a_reason(client, people, question):
    client.force_login(people["customer"])
    opening = question.posts.get()
    client.post(reverse("community:report", args=[opening.pk]), {"reason": "Spam"})
    moderator = people["community staff"]
    personas.give_totp(moderator)
    client.force_login(moderator)
    queue = client.get(reverse("admin:community_post_changelist") + "?queue=reported")
    assert "Stream drops after upgrade" in queue.content.decode()
    change = reverse("admin:community_post_change", args=[opening.pk])
    refused = client.post(change, {"status": "hidden", "moderation_reason": "", **_inline_management()})
    assert refused.status_code == 200 and "Give the reason" in refused.content.decode()
    client.post(change, {"status": "hidden", "moderation_reason": "Advertising", **_inline_management()})
    opening.refresh_from_db()
    assert opening.status == Post.Status.HIDDEN and opening.moderation_reason == "Advertising"
    assert not opening.reports.filter(resolved_at__isnull=True).exists()


def _inline_management() -> dict:
    data = {}
    for prefix in ("reports", "revisions"):
        data.update(
            {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "0"}
        )
    return data


# --- Query counts -------------------------------------------------------------------------------------


def _grow(category, authors, *, topics: int, replies: int) -> None:
    for n in range(topics):
        topic = services.start_topic(
            author=authors[n % 2], category=category, title=f"Topic {n}", body="Body"
        )
        for r in range(replies):
            post = services.reply(author=authors[(n + r + 1) % 2], topic=topic, body=f"Reply {r}")
            Vote.objects.create(post=post, user=authors[(n + r) % 2])


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("signed_in", [False, True])
def test_query_counts_stay_constant_as_topics_replies_and_votes_grow(
    client, question, asker, helper, signed_in
):
    if signed_in:
        client.force_login(helper)
    _grow(question.category, [asker, helper], topics=2, replies=2)
    services.reply(author=helper, topic=question, body="One")
    pages = [reverse("community:index"), question.category.get_absolute_url(), question.get_absolute_url()]
    client.get(pages[0])  # the first request of a session records it (allauth's user sessions)
    before = [_queries(client, page) for page in pages]
    _grow(question.category, [asker, helper], topics=6, replies=5)
    for n in range(5):
        post = services.reply(author=[asker, helper][n % 2], topic=question, body=f"More {n}")
        Vote.objects.get_or_create(post=post, user=[helper, asker][n % 2])
    assert [_queries(client, page) for page in pages] == before


def test_the_category_feed_lists_visible_topics_with_display_names(client, question, category):
    newcomer = member("new@customer.example", "Newcomer", trusted=False)
    services.start_topic(author=newcomer, category=category, title="Held back", body="Wait")
    response = client.get(reverse("community:category_feed", args=[category.slug]))
    body = response.content.decode()
    assert response["Content-Type"].startswith("application/atom+xml")
    assert "Stream drops after upgrade" in body and "<name>Asker</name>" in body
    assert "Held back" not in body and "asker@customer.example" not in body


def test_the_search_page_needs_no_query(client, db):
    response = client.get(reverse("community:search"))
    assert response.status_code == 200 and not response.cookies


def test_without_a_display_name_the_topic_page_asks_for_one_before_the_reply(client, question):
    newcomer = personas.make_customer("fresh@customer.example")
    legal.record_signup_acceptances(user=newcomer)
    client.force_login(newcomer)
    html = client.get(question.get_absolute_url()).content.decode()
    assert "Choose a display name" in html and 'name="body"' not in html
    response = client.post(reply_url(question), {"body": "Hi"})
    assert response["Location"] == f"{reverse('community:name')}?next={question.get_absolute_url()}"


def test_readers_see_edited_and_do_not_see_held_replies_at_all(client, question, asker):
    services.edit_post(user=asker, post=question.posts.get(), body="Three cameras now.", title=question.title)
    newcomer = member("new@customer.example", "Newcomer", trusted=False)
    services.reply(author=newcomer, topic=question, body="Held reply")
    html = client.get(question.get_absolute_url()).content.decode()
    assert " · edited" in html and "Three cameras now." in html
    assert "Newcomer" not in html and "Held reply" not in html


def test_posting_is_rate_limited_per_client_address(client, people, question, form_token, settings):
    settings.COMMUNITY_ADDRESS_RATE_LIMITS = ["1/h"]
    client.force_login(people["customer"])
    assert client.post(reply_url(question), {"body": "First", "form_token": form_token}).status_code == 302
    client.force_login(people["community staff"])
    response = client.post(reply_url(question), {"body": "Second", "form_token": form_token})
    assert response.status_code == 429 and not Post.objects.filter(body="Second").exists()
