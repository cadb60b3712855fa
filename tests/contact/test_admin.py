import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from contact import services
from contact.models import Inquiry, ThreadEntry
from outbox.models import OutboundEmail
from tests.outbox import emails_to

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:contact_inquiry_changelist"
SUPPORT_CODENAMES = {
    "view_inquiry",
    "change_inquiry",
    "delete_inquiry",
    "view_threadentry",
    "add_threadentry",
}


def make_inquiry(**fields) -> Inquiry:
    defaults = {
        "name": "Ada Lovelace",
        "email": "ada@analytical.example",
        "topic": Inquiry.Topic.SUPPORT,
        "message": "The stream stops at night.",
    }
    return services.submit_inquiry(**{**defaults, **fields})


def change_url(inquiry: Inquiry) -> str:
    return reverse("admin:contact_inquiry_change", args=[inquiry.pk])


@pytest.fixture
def desk(staff_client_for, support_user):
    return staff_client_for(support_user)


# --- Who may use the desk -------------------------------------------------------------------------


def test_support_group_has_exactly_the_contact_permissions():
    support = Group.objects.get(name="Support")
    # Besides the desk, support may only look at pending account deletions (people ask about them).
    deletions = {("accounts", "view_deletionrequest"), ("accounts", "view_deletionrecord")}
    assert {(p.content_type.app_label, p.codename) for p in support.permissions.all()} == {
        ("contact", codename) for codename in SUPPORT_CODENAMES
    } | deletions


@pytest.mark.parametrize("group", ["Licensing", "Legal"])
def test_other_staff_groups_hold_no_contact_permission(group):
    assert not Permission.objects.filter(group__name=group, content_type__app_label="contact").exists()


def test_support_staff_see_the_desk(desk):
    inquiry = make_inquiry()
    assert desk.get(reverse(CHANGELIST)).status_code == 200
    assert desk.get(change_url(inquiry)).status_code == 200


def test_support_staff_see_nothing_else(desk):
    assert desk.get(reverse("admin:accounts_user_changelist")).status_code == 403
    index = desk.get(reverse("admin:index")).content.decode()
    assert "Inquiries" in index and "Users" not in index


def test_nobody_adds_inquiries_in_the_admin(desk, staff_client_for, superuser):
    assert desk.get(reverse("admin:contact_inquiry_add")).status_code == 403
    assert staff_client_for(superuser).get(reverse("admin:contact_inquiry_add")).status_code == 403


@pytest.mark.parametrize("persona", ["licensing_user", "legal_user"])
def test_other_staff_groups_are_refused(request, staff_client_for, persona):
    client = staff_client_for(request.getfixturevalue(persona))
    inquiry = make_inquiry()
    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert client.get(change_url(inquiry)).status_code == 403
    response = client.post(change_url(inquiry), {"status": "closed", "reply": "hi"})
    assert response.status_code == 403
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.NEW


def test_staff_without_a_group_are_refused(staff_client_for):
    from tests import personas

    client = staff_client_for(personas.make_staff("nogroup@kalytera.example", None))
    assert client.get(reverse(CHANGELIST)).status_code == 403


def test_customers_do_not_learn_the_desk_exists(customer_client):
    assert customer_client.get(reverse(CHANGELIST)).status_code == 404
    assert customer_client.get(change_url(make_inquiry())).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 302
    assert "login" in response["Location"]
    inquiry = make_inquiry()
    response = client.post(change_url(inquiry), {"status": "closed"})
    assert response.status_code == 302
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.NEW


def test_support_staff_without_mfa_are_sent_to_set_it_up(client, support_user):
    client.force_login(support_user)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_index")


# --- The list -------------------------------------------------------------------------------------


def test_the_list_shows_status_topic_assignee_age_and_help(desk, support_user):
    inquiry = make_inquiry()
    services.assign(inquiries=Inquiry.objects.all(), to=support_user)
    html = desk.get(reverse(CHANGELIST)).content.decode()
    for text in (inquiry.reference, "Open", "Technical support", support_user.email, "0\xa0minutes"):
        assert text in html
    assert "Closed inquiries are deleted 730 days after closing" in html
    assert "contact/admin.css" in html


def test_privacy_requests_show_their_deadline_and_when_overdue(desk):
    privacy = make_inquiry(topic=Inquiry.Topic.PRIVACY)
    Inquiry.objects.filter(pk=privacy.pk).update(created_at=timezone.now() - timedelta(days=40))
    privacy.refresh_from_db()
    html = desk.get(reverse(CHANGELIST)).content.decode()
    assert f"{privacy.response_due:%Y-%m-%d} (overdue)" in html
    assert "inquiry-overdue" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status__exact": "new"}, {"new one", "sales one"}),
        ({"status__exact": "open"}, {"mine"}),
        ({"topic__exact": "sales"}, {"sales one"}),
        ({"mine": "me"}, {"mine"}),
        ({"mine": "nobody"}, {"new one", "sales one"}),
        ({"q": "sales@"}, {"sales one"}),
        ({"q": "stream"}, {"new one", "sales one", "mine"}),
    ],
)
def test_filters_and_search(desk, support_user, query, expected):
    make_inquiry(name="new one")
    make_inquiry(name="sales one", topic=Inquiry.Topic.SALES, email="sales@buyer.example")
    mine = make_inquiry(name="mine")
    services.assign(inquiries=Inquiry.objects.filter(pk=mine.pk), to=support_user)
    response = desk.get(reverse(CHANGELIST), query)
    assert {i.name for i in response.context["cl"].result_list} == expected


def test_search_by_reference(desk):
    make_inquiry(name="other")
    wanted = make_inquiry(name="wanted")
    response = desk.get(reverse(CHANGELIST), {"q": wanted.reference})
    assert [i.name for i in response.context["cl"].result_list] == ["wanted"]


# --- Bulk actions ---------------------------------------------------------------------------------


def act(client, action: str, inquiries: list[Inquiry]):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [i.pk for i in inquiries], "index": 0},
    )


def test_assign_to_me(desk, support_user):
    a, b, untouched = make_inquiry(), make_inquiry(), make_inquiry()
    response = act(desk, "assign_to_me", [a, b])
    assert response.status_code == 302
    assert set(Inquiry.objects.filter(assignee=support_user)) == {a, b}
    assert set(Inquiry.objects.filter(status="open")) == {a, b}
    untouched.refresh_from_db()
    assert untouched.assignee is None


def test_bulk_close_and_mark_as_spam(desk):
    a, b, c = make_inquiry(), make_inquiry(), make_inquiry()
    act(desk, "close", [a, b])
    act(desk, "mark_as_spam", [c])
    assert dict(Inquiry.objects.values_list("pk", "status")) == {a.pk: "closed", b.pk: "closed", c.pk: "spam"}
    assert not Inquiry.objects.filter(closed_at=None).exists()


def test_actions_on_the_change_page(desk, support_user):
    inquiry = make_inquiry()
    html = desk.get(change_url(inquiry)).content.decode()
    assert "Assign to me" in html
    response = desk.post(
        change_url(inquiry),
        {"CHANGE_FORM-action": "assign_to_me", "_selected_action": [inquiry.pk], "index": 0},
    )
    assert response.status_code == 302
    inquiry.refresh_from_db()
    assert inquiry.assignee == support_user


def test_actions_are_post_only(desk):
    inquiry = make_inquiry()
    desk.get(reverse(CHANGELIST), {"action": "close", "_selected_action": inquiry.pk})
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.NEW


def test_csv_export_of_a_selection(desk, support_user):
    a = make_inquiry(name="Zoë ”quoted”, Ltd", message="line one\nline two", phone="+442079460958")
    b = make_inquiry(name='=HYPERLINK("http://evil.example")', company="+SUM(A1)", message="@cmd")
    make_inquiry(name="not selected")
    services.assign(inquiries=Inquiry.objects.filter(pk=a.pk), to=support_user)
    response = act(desk, "export_csv", [a, b])
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="inquiries-')
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["Reference"] for row in rows] == [a.reference, b.reference]
    assert rows[0]["Name"] == "Zoë ”quoted”, Ltd"
    assert rows[0]["Message"] == "line one\nline two"
    assert rows[0]["Assignee"] == support_user.email
    assert rows[0]["Status"] == "Open"
    assert rows[0]["Phone"] == "+442079460958"
    # Spreadsheet programs must not run formulas a sender typed.
    assert rows[1]["Name"].startswith("'=")
    assert rows[1]["Company"] == "'+SUM(A1)"
    assert rows[1]["Message"] == "'@cmd"


# --- The inquiry page: thread, replies, notes -----------------------------------------------------


def test_the_page_shows_the_original_message_and_the_thread(desk, support_user):
    inquiry = make_inquiry(message="First line <b>bold?</b>\nSecond line")
    services.add_note(inquiry=inquiry, author=support_user, body="Internal: check firmware")
    services.send_reply(inquiry=inquiry, author=support_user, body="Please update.")
    html = desk.get(change_url(inquiry)).content.decode()
    assert "First line &lt;b&gt;bold?&lt;/b&gt;<br>Second line" in html
    assert "Internal note by sam@kalytera.example" in html
    assert "Internal: check firmware" in html
    assert "Reply to the sender by sam@kalytera.example (email: pending)" in html
    assert html.index("First line") < html.index("Internal: check") < html.index("Please update.")


def test_privacy_request_page_shows_the_deadline(desk):
    inquiry = make_inquiry(topic=Inquiry.Topic.PRIVACY)
    html = desk.get(change_url(inquiry)).content.decode()
    assert "Answer by" in html
    assert f"{inquiry.response_due:%Y-%m-%d}" in html


def save(client, inquiry: Inquiry, **fields):
    inquiry.refresh_from_db()
    data = {"status": inquiry.status, "assignee": inquiry.assignee_id or "", "reply": "", "note": ""}
    data.update(fields)
    return client.post(change_url(inquiry), data)


def test_a_reply_from_the_page_is_emailed_and_recorded(desk, support_user):
    inquiry = make_inquiry()
    response = save(desk, inquiry, reply="We fixed it in 7.2.")
    assert response.status_code == 302
    [entry] = inquiry.thread.all()
    assert (entry.kind, entry.author, entry.body) == (
        ThreadEntry.Kind.REPLY,
        support_user,
        "We fixed it in 7.2.",
    )
    reply = emails_to("ada@analytical.example")[-1]
    assert "We fixed it in 7.2." in reply.body_text
    assert entry.email == reply
    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.assignee) == (Inquiry.Status.WAITING, support_user)


def test_a_note_from_the_page_is_never_sent(desk):
    inquiry = make_inquiry()
    before = OutboundEmail.objects.count()
    assert save(desk, inquiry, note="Called them; they will send logs.").status_code == 302
    assert OutboundEmail.objects.count() == before
    assert inquiry.thread.get().kind == ThreadEntry.Kind.NOTE


def test_reply_note_and_status_in_one_save(desk):
    inquiry = make_inquiry()
    save(desk, inquiry, status="closed", reply="Solved, closing.", note="Done")
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.CLOSED and inquiry.closed_at is not None
    assert [e.kind for e in inquiry.thread.all()] == ["note", "reply"]


def test_a_status_change_on_the_page_keeps_the_retention_clock_right(desk):
    inquiry = make_inquiry()
    save(desk, inquiry, status="spam")
    inquiry.refresh_from_db()
    assert inquiry.closed_at is not None
    save(desk, inquiry, status="open")
    inquiry.refresh_from_db()
    assert inquiry.closed_at is None


def test_replying_to_spam_is_refused_with_a_message(desk):
    inquiry = make_inquiry(trapped=True)
    response = save(desk, inquiry, reply="Hello?")
    assert response.status_code == 200
    assert "Spam is not answered" in response.content.decode()
    assert not OutboundEmail.objects.exists()
    assert not inquiry.thread.exists()


def test_the_sender_details_cannot_be_edited(desk):
    inquiry = make_inquiry()
    save(desk, inquiry, name="Changed", email="changed@example.com", message="changed")
    inquiry.refresh_from_db()
    assert (inquiry.name, inquiry.email, inquiry.message) == (
        "Ada Lovelace",
        "ada@analytical.example",
        "The stream stops at night.",
    )


def test_only_support_staff_can_be_assigned(desk, support_user, licensing_user, superuser):
    inquiry = make_inquiry()
    choices = desk.get(change_url(inquiry)).context["adminform"].form.fields["assignee"].queryset
    assert set(choices) == {support_user, superuser}
    response = save(desk, inquiry, assignee=licensing_user.pk)
    assert response.status_code == 200
    inquiry.refresh_from_db()
    assert inquiry.assignee is None


def test_writing_to_the_thread_needs_its_own_permission(staff_client_for, support_user):
    support_user.groups.clear()
    support_user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="contact", codename__in=["view_inquiry", "change_inquiry"]
        )
    )
    client = staff_client_for(support_user)
    inquiry = make_inquiry()
    assert 'name="reply"' not in client.get(change_url(inquiry)).content.decode()
    save(client, inquiry, status="open", reply="sneaky", note="sneaky")
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.OPEN
    assert not inquiry.thread.exists()
    assert len(emails_to("ada@analytical.example")) == 1  # the acknowledgement only


def test_view_only_staff_see_the_thread_but_change_nothing(staff_client_for, support_user):
    support_user.groups.clear()
    support_user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="contact", codename="view_inquiry")
    )
    client = staff_client_for(support_user)
    inquiry = make_inquiry()
    assert "The stream stops at night." in client.get(change_url(inquiry)).content.decode()
    assert save(client, inquiry, status="closed").status_code == 403
    assert 'value="close"' not in client.get(reverse(CHANGELIST)).content.decode()
    act(client, "close", [inquiry])
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.NEW


def test_support_staff_can_delete_an_inquiry_with_its_thread(desk, support_user):
    inquiry = make_inquiry()
    services.add_note(inquiry=inquiry, author=support_user, body="erasure requested by phone")
    url = reverse("admin:contact_inquiry_delete", args=[inquiry.pk])
    assert desk.get(url).status_code == 200
    assert desk.post(url, {"post": "yes"}).status_code == 302
    assert not Inquiry.objects.exists()
    assert not ThreadEntry.objects.exists()


def test_the_list_costs_the_same_queries_for_few_or_many_inquiries(desk, support_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert desk.get(reverse(CHANGELIST)).status_code == 200
        return len(captured)

    make_inquiry(user=support_user)
    services.assign(inquiries=Inquiry.objects.all(), to=support_user)
    queries()  # the first request of a session records it in the session list
    few = queries()
    for _ in range(20):
        make_inquiry(user=support_user)
    services.assign(inquiries=Inquiry.objects.all(), to=support_user)
    assert queries() == few


def test_the_inquiry_page_warns_when_the_sender_restricted_processing(desk, customer):
    from accounts.privacy import restriction

    inquiry = make_inquiry(email=customer.email, user=customer)
    assert restriction.RESTRICTED_NOTE not in desk.get(change_url(inquiry)).content.decode()
    restriction.set_choices(user=customer, restrict=True, object_to_optional_mail=False)
    page = desk.get(change_url(inquiry)).content.decode()
    assert f"Sent while logged in as {customer.email}. {restriction.RESTRICTED_NOTE}" in page


def test_the_inquiry_page_shows_no_none_and_no_user_editing_next_to_the_assignee(desk):
    inquiry = make_inquiry()
    html = desk.get(change_url(inquiry)).content.decode()
    assert ">None<" not in html
    assert 'id="add_id_assignee"' not in html and 'id="delete_id_assignee"' not in html
    assert 'id="change_id_assignee"' not in html
