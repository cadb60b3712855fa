import json
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone

from legal import services
from legal.models import Acceptance, ChangeNotice
from tests.legal.versions import release

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def terms_v2(terms, terms_v1):
    return release(
        terms,
        number=2,
        effective_at=timezone.now() - timedelta(days=2),
        body="## Licenses\n\nYou may run the software on two servers.",
        summary="Two servers per license.",
    )


@pytest.fixture
def terms_v3_scheduled(terms, terms_v2):
    return release(
        terms,
        number=3,
        effective_at=timezone.now() + timedelta(days=30),
        body="## Licenses\n\nYou may run the software on three servers.",
        summary="Three servers per license.",
    )


# --- The policy page ----------------------------------------------------------------------------


def test_the_policy_page_shows_the_version_in_force_with_its_date(client, terms_v2):
    response = client.get("/legal/terms/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert "two servers" in html
    assert "Last updated" in html and terms_v2.effective_at.strftime("%Y-%m-%d") in html
    assert 'href="/legal/terms/archive/"' in html
    assert "Two servers per license." in html


def test_a_scheduled_material_change_is_announced_before_it_takes_effect(client, terms_v3_scheduled):
    html = client.get("/legal/terms/").content.decode()
    assert "two servers" in html  # still the version in force
    assert "three servers" not in html
    assert "Coming change: version 3 takes effect on" in html
    assert terms_v3_scheduled.effective_at.strftime("%Y-%m-%d") in html
    assert "Three servers per license." in html
    assert "/legal/terms/compare/?old=2&amp;new=3" in html


def test_an_editorial_scheduled_change_is_not_announced_on_the_page(client, terms, terms_v2):
    release(terms, number=3, effective_at=timezone.now() + timedelta(days=3), material=False)
    assert "Coming change" not in client.get("/legal/terms/").content.decode()


def test_a_policy_without_a_published_version_is_not_found(client, terms):
    assert client.get("/legal/terms/").status_code == 404
    assert client.get("/legal/no-such-policy/").status_code == 404


def test_security_txt_policy_link_leads_to_the_disclosure_policy(client, settings, db):
    from legal import loader

    loader.load()
    response = client.get(settings.SECURITY_POLICY_PATH)
    assert response.status_code == 200
    assert b"Vulnerability Disclosure Policy" in response.content


def test_the_footer_links_the_policies(client, db):
    html = client.get("/").content.decode()
    for path in ("/legal/privacy/", "/legal/terms/", "/legal/vulnerability-disclosure/"):
        assert f'href="{path}"' in html


# --- Archive, versions, comparison ---------------------------------------------------------------


def test_every_published_version_has_its_own_page(client, terms_v1, terms_v2):
    old = client.get("/legal/terms/v1/").content.decode()
    assert "one server" in old and "archived version, no longer in force" in old
    assert "This is an archived" not in client.get("/legal/terms/v2/").content.decode()


def test_drafts_are_not_public(client, terms, terms_v1):
    services.start_draft(policy=terms)
    assert client.get("/legal/terms/v2/").status_code == 404
    assert "Version 2" not in client.get("/legal/terms/archive/").content.decode()


def test_the_archive_lists_every_version_with_its_summary(client, terms_v3_scheduled):
    html = client.get("/legal/terms/archive/").content.decode()
    for number in (1, 2, 3):
        assert f'href="/legal/terms/v{number}/"' in html
    assert "In force" in html and "Scheduled" in html
    assert "Three servers per license." in html


def test_two_versions_are_compared_with_marked_changes(client, terms_v2):
    response = client.get("/legal/terms/compare/", {"old": 1, "new": 2})
    html = response.content.decode()
    assert response.status_code == 200
    assert "version 1 compared with version 2" in html
    assert '<span class="diff-mark" aria-hidden="true">[-</span>one<' in html
    assert '<span class="diff-mark" aria-hidden="true">{+</span>two<' in html


def test_comparing_in_either_order_shows_old_to_new(client, terms_v2):
    html = client.get("/legal/terms/compare/", {"old": 2, "new": 1}).content.decode()
    assert "version 1 compared with version 2" in html


@pytest.mark.parametrize(
    "query", [{"old": 1, "new": 1}, {"old": 1, "new": 9}, {"old": "x", "new": 2}, {"old": 1}]
)
def test_bad_comparisons_explain_themselves(client, terms_v2, query):
    response = client.get("/legal/terms/compare/", query)
    assert response.status_code == 400
    assert b'class="error' in response.content or b"form-errors" in response.content


def test_the_compare_page_without_a_choice_offers_one(client, terms_v2):
    response = client.get("/legal/terms/compare/")
    assert response.status_code == 200
    assert b"Choose two published versions" in response.content and b'class="error' not in response.content


def test_the_json_list_describes_every_version(client, terms_v3_scheduled):
    response = client.get("/legal/terms/versions.json")
    data = json.loads(response.content)
    assert response["Content-Type"] == "application/json"
    assert data["current_version"] == 2
    assert data["last_updated"] == data["versions"][1]["effective_at"]
    assert [(v["number"], v["status"]) for v in data["versions"]] == [
        (3, "scheduled"),
        (2, "in-force"),
        (1, "superseded"),
    ]
    assert data["versions"][0]["summary"] == "Three servers per license."
    assert data["versions"][0]["url"] == "http://testserver/legal/terms/v3/"


def test_the_atom_feed_lists_changes(client, terms_v3_scheduled, privacy_v1):
    response = client.get("/legal/feed.atom")
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)
    titles = [entry.find(f"{ATOM}title").text for entry in feed.iter(f"{ATOM}entry")]
    assert "Terms of Service, version 3" in titles and "Privacy Policy, version 1" in titles
    policy_feed = ElementTree.fromstring(client.get("/legal/terms/feed.atom").content)
    assert all("Terms" in e.find(f"{ATOM}title").text for e in policy_feed.iter(f"{ATOM}entry"))


def test_each_feed_entry_links_the_version_and_says_what_changed(client, terms_v3_scheduled):
    feed = ElementTree.fromstring(client.get("/legal/terms/feed.atom").content)
    assert feed.find(f"{ATOM}title").text == "Terms of Service: changes"
    assert feed.find(f"{ATOM}link").get("href") == "http://testserver/legal/terms/"
    newest = next(feed.iter(f"{ATOM}entry"))
    assert newest.find(f"{ATOM}title").text == "Terms of Service, version 3"
    assert newest.find(f"{ATOM}link").get("href") == "http://testserver/legal/terms/v3/"
    assert newest.find(f"{ATOM}id").text == "http://testserver/legal/terms/v3/"
    summary = newest.find(f"{ATOM}summary").text
    assert summary.startswith("Material change, effective ") and summary.endswith(
        "Three servers per license."
    )


@pytest.mark.parametrize("path", ["/legal/feed.atom", "/legal/terms/feed.atom"])
def test_the_feeds_refuse_post(client, terms_v1, path):
    assert client.post(path).status_code == 405


@pytest.mark.parametrize(
    "path",
    ["/legal/", "/legal/terms/", "/legal/terms/archive/", "/legal/terms/v1/", "/legal/terms/versions.json"],
)
def test_public_pages_refuse_post(client, terms_v1, path):
    assert client.post(path).status_code == 405


# --- Notices on the site ------------------------------------------------------------------------


@pytest.fixture
def noticed_customer(customer, terms_v2):
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(pk=customer.pk).update(date_joined=timezone.now() - timedelta(days=90))
    services.send_change_notices()
    return customer


def test_a_signed_in_person_sees_the_notice_until_dismissing_it(client, noticed_customer):
    client.force_login(noticed_customer)
    html = client.get(reverse("accounts:dashboard")).content.decode()
    assert "Our Terms of Service changed on" in html
    assert "Review and accept" in html
    notice = ChangeNotice.objects.get(user=noticed_customer)
    response = client.post(reverse("legal:dismiss_notice", args=[notice.pk]), {"next": "/account/profile/"})
    assert response.status_code == 302 and response["Location"] == "/account/profile/"
    assert "Our Terms of Service changed on" not in client.get(reverse("accounts:dashboard")).content.decode()


def test_dismissing_needs_post_login_and_the_owner(client, noticed_customer, other_customer):
    notice = ChangeNotice.objects.get(user=noticed_customer)
    url = reverse("legal:dismiss_notice", args=[notice.pk])
    assert client.post(url).status_code == 302  # to the login page
    client.force_login(noticed_customer)
    assert client.get(url).status_code == 405
    client.force_login(other_customer)
    assert client.post(url).status_code == 404
    assert client.post(reverse("legal:dismiss_notice", args=[999999])).status_code == 404


def test_dismissing_never_redirects_to_another_site(client, noticed_customer):
    client.force_login(noticed_customer)
    notice = ChangeNotice.objects.get(user=noticed_customer)
    response = client.post(
        reverse("legal:dismiss_notice", args=[notice.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("accounts:dashboard")


# --- The re-acceptance gate ---------------------------------------------------------------------


@pytest.fixture
def customer_before_change(customer, terms_v1):
    Acceptance.objects.create(user=customer, version=terms_v1, source=Acceptance.Source.SIGNUP)
    return customer


def test_license_pages_wait_for_acceptance_of_a_material_terms_change(
    client, customer_before_change, terms_v2
):
    client.force_login(customer_before_change)
    response = client.get("/licenses/keys/?page=2")
    assert response.status_code == 302
    assert response["Location"] == "/legal/terms/accept/?next=%2Flicenses%2Fkeys%2F%3Fpage%3D2"


def test_other_pages_stay_open_while_acceptance_is_pending(client, customer_before_change, terms_v2):
    client.force_login(customer_before_change)
    for path in ("/account/", "/account/profile/", "/legal/terms/", "/legal/history/", "/"):
        assert client.get(path).status_code == 200, path


def test_up_to_date_and_anonymous_visitors_are_not_gated(client, customer_before_change, settings):
    settings.LEGAL_ACCEPTANCE_REQUIRED_PREFIXES = ["/account/"]
    assert client.get("/account/").status_code == 302  # to the login page, not the accept page
    assert "/legal/" not in client.get("/account/")["Location"]
    client.force_login(customer_before_change)
    assert client.get("/account/").status_code == 200


def test_accepting_records_the_version_and_continues(client, customer_before_change, terms_v2, settings):
    settings.LEGAL_ACCEPTANCE_REQUIRED_PREFIXES = ["/account/profile/"]
    client.force_login(customer_before_change)
    gate = client.get("/account/profile/")
    accept_page = client.get(gate["Location"])
    html = accept_page.content.decode()
    assert "Please review the new Terms of Service" in html
    assert "Two servers per license." in html
    assert "/legal/terms/compare/?old=1&amp;new=2" in html
    response = client.post(gate["Location"], {"version": 2, "accept": "on", "next": "/account/profile/"})
    assert response.status_code == 302 and response["Location"] == "/account/profile/"
    assert Acceptance.objects.filter(user=customer_before_change, version=terms_v2).exists()
    assert client.get("/account/profile/").status_code == 200


def test_the_accept_page_says_when_nothing_is_left_to_accept(client, customer_before_change):
    client.force_login(customer_before_change)
    html = client.get("/legal/terms/accept/?next=/account/profile/").content.decode()
    assert "<h1>Terms of Service: accepted</h1>" in html
    assert 'href="/account/profile/"' in html
    assert 'name="accept"' not in html


@pytest.mark.parametrize("form", [{"version": 2}, {}])
def test_accepting_without_the_tick_is_refused_with_a_message(client, customer_before_change, terms_v2, form):
    client.force_login(customer_before_change)
    response = client.post("/legal/terms/accept/", form)
    assert response.status_code == 400
    assert b"Tick the box to accept" in response.content
    assert not Acceptance.objects.filter(version=terms_v2).exists()


def test_accepting_a_version_that_is_no_longer_current_is_refused(client, customer_before_change, terms_v2):
    client.force_login(customer_before_change)
    response = client.post("/legal/terms/accept/", {"version": 1, "accept": "on"})
    assert response.status_code == 400
    assert b"A newer version took effect" in response.content
    assert not Acceptance.objects.filter(version=terms_v2).exists()


def test_the_accept_page_needs_a_login_and_a_policy_that_needs_acceptance(
    client, customer, terms_v1, privacy_v1
):
    response = client.get("/legal/terms/accept/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(customer)
    assert client.get("/legal/privacy/accept/").status_code == 404
    assert client.get("/legal/nothing/accept/").status_code == 404


def test_accept_never_redirects_to_another_site(client, customer_before_change, terms_v2):
    client.force_login(customer_before_change)
    response = client.post("/legal/terms/accept/", {"version": 2, "accept": "on", "next": "//evil.example/x"})
    assert response["Location"] == reverse("accounts:dashboard")


# --- History ------------------------------------------------------------------------------------


def test_people_see_their_own_acceptance_history_only(
    client, customer_before_change, other_customer, terms_v2
):
    Acceptance.objects.create(user=other_customer, version=terms_v2, source=Acceptance.Source.PROMPT)
    client.force_login(customer_before_change)
    html = client.get(reverse("legal:history")).content.decode()
    assert "Accepted at sign-up" in html
    assert 'href="/legal/terms/v1/"' in html
    assert "waits for your acceptance" in html
    assert "When asked after a change" not in html  # the other customer's record


def test_the_history_needs_a_login_and_refuses_post(client, customer):
    assert client.get(reverse("legal:history"))["Location"].startswith("/accounts/login/")
    client.force_login(customer)
    assert client.post(reverse("legal:history")).status_code == 405


def test_the_account_page_links_the_history(client, customer):
    client.force_login(customer)
    assert reverse("legal:history").encode() in client.get(reverse("accounts:dashboard")).content


@pytest.mark.parametrize(
    "path",
    [
        "/legal/nothing/",
        "/legal/nothing/archive/",
        "/legal/nothing/v1/",
        "/legal/nothing/compare/?old=1&new=2",
        "/legal/nothing/versions.json",
        "/legal/nothing/feed.atom",
        "/legal/terms/v0/",
        "/legal/terms/v99/",
    ],
)
def test_unknown_policies_and_versions_are_not_found(client, terms_v1, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/legal/",
        "/legal/terms/",
        "/legal/terms/v1/",
        "/legal/terms/archive/",
        "/legal/terms/compare/?old=1&new=2",
        "/legal/terms/compare/?old=1",
        "/legal/terms/accept/",
        "/legal/history/",
    ],
)
def test_pages_have_one_heading_and_nothing_inline_for_the_csp(client, customer, terms_v2, path):
    client.force_login(customer)
    html = client.get(path).content.decode()
    assert html.count("<h1") == 1
    assert "style=" not in html and "<style" not in html
    assert "<script" not in html


def test_the_sign_up_policy_links_follow_the_url_configuration():
    from django.urls import get_script_prefix, set_script_prefix

    from legal.forms import policy_acceptance_field

    before = get_script_prefix()
    set_script_prefix("/portal/")  # a deployment under a path prefix
    try:
        help_text = str(policy_acceptance_field().help_text)
    finally:
        set_script_prefix(before)
    assert 'href="/portal/legal/terms/"' in help_text
    assert 'href="/portal/legal/privacy/"' in help_text


def test_dismissing_a_notice_says_so(client, noticed_customer):
    client.force_login(noticed_customer)
    notice = ChangeNotice.objects.get(user=noticed_customer)
    response = client.post(reverse("legal:dismiss_notice", args=[notice.pk]), follow=True)
    assert "Notice dismissed." in response.content.decode()
