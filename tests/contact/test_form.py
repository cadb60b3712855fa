import re

import pytest
from django.urls import reverse

from contact.models import REFERENCE_ALPHABET, Inquiry
from outbox.models import OutboundEmail
from tests.licensing.conftest import held_by
from tests.pages import page_problems

from .conftest import valid_form

pytestmark = pytest.mark.django_db


def test_the_form_is_reachable_at_contact():
    assert reverse("contact:form") == "/contact/"


def test_form_page_has_one_heading_labelled_fields_and_a_privacy_notice(client):
    html = client.get(reverse("contact:form")).content.decode()
    assert html.count("<h1") == 1
    for field in ("name", "email", "company", "phone", "topic", "license_reference", "message"):
        assert f'for="id_{field}"' in html
    assert 'href="/legal/privacy/"' in html
    assert "24 months" in html
    assert "style=" not in html and "<script" not in html
    assert 'class="hp-field"' in html
    assert 'name="form_token"' in html


def test_every_contact_page_passes_the_page_checks(client, send, settings):
    assert page_problems(client.get(reverse("contact:form")).content.decode()) == []
    assert page_problems(send(email="bad", form_token="").content.decode()) == []
    assert page_problems(client.get(send()["Location"]).content.decode()) == []
    settings.CONTACT_RATE_LIMITS = ["2/10m"]
    assert page_problems(send().content.decode()) == []


def test_contact_is_in_the_navigation_and_the_footer(client):
    html = client.get(reverse("home")).content.decode()
    assert html.count(f'href="{reverse("contact:form")}"') == 2


def test_anonymous_visitor_sends_an_inquiry_and_sees_its_reference(client, send):
    response = send()
    assert response.status_code == 302
    inquiry = Inquiry.objects.get()
    assert inquiry.user is None
    assert inquiry.status == Inquiry.Status.NEW
    assert inquiry.name == "Ada Lovelace"
    assert inquiry.phone == "+442079460958"
    assert inquiry.message == "Camera 3 drops its stream every night at 02:00.\nWhat can we check?"

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert inquiry.reference in page.content.decode()


def test_sending_sets_no_cookie_for_an_anonymous_visitor(client, send):
    client.get(reverse("contact:form"))
    response = send()
    assert set(response.cookies) <= {"csrftoken"}
    assert set(client.get(response["Location"]).cookies) <= {"csrftoken"}


def test_references_are_short_typeable_and_not_sequential(send):
    for name in ("A", "B", "C"):
        send(name=name)
    references = list(Inquiry.objects.values_list("reference", flat=True))
    for reference in references:
        assert re.fullmatch(rf"[{REFERENCE_ALPHABET}]{{4}}-[{REFERENCE_ALPHABET}]{{4}}", reference)
    assert len(set(references)) == 3


def test_logged_in_customer_is_prefilled_and_linked(client, customer):
    customer.company = "Northwind"
    customer.phone = "+49301234567"
    customer.save()
    client.force_login(customer)
    form = client.get(reverse("contact:form")).context["form"]
    assert form["email"].value() == customer.email
    assert form["company"].value() == "Northwind"
    assert form["phone"].value() == "+49 30 1234567"

    client.post(reverse("contact:form"), valid_form(email=customer.email))
    assert Inquiry.objects.get().user == customer


def test_a_customer_is_offered_their_own_licenses_and_nobody_elses(client, customer, other_customer):
    from licensing import services
    from licensing.models import Plan, Product

    product = Product.objects.create(slug="vms", name="Kalytera VMS")
    plan = Plan.objects.create(
        product=product, code="pro", name="Pro", kind="subscription", duration_days=365, channels=16
    )
    system = services.Actor.system()
    mine = [services.issue_license(plan=plan, organization=held_by(customer), actor=system) for _ in range(2)]
    theirs = services.issue_license(plan=plan, organization=held_by(other_customer), actor=system)
    client.force_login(customer)
    html = client.get(reverse("contact:form")).content.decode()
    assert 'list="your-licenses"' in html and '<datalist id="your-licenses">' in html
    for issued in mine:
        assert f'<option value="{issued.license.reference}">{issued.license.reference} · Pro</option>' in html
    assert theirs.license.reference not in html
    assert not page_problems(html)


def test_without_licenses_no_suggestions_are_offered(client, customer):
    client.force_login(customer)
    html = client.get(reverse("contact:form")).content.decode()
    assert "datalist" not in html and 'list="your-licenses"' not in html


def test_license_link_preselects_the_topic_and_the_license(client):
    form = client.get(reverse("contact:form"), {"topic": "licensing", "license": "KLY-7K2M-9XQD"}).context[
        "form"
    ]
    assert form["topic"].value() == "licensing"
    assert form["license_reference"].value() == "KLY-7K2M-9XQD"


def test_a_license_alone_implies_the_licensing_topic(client):
    form = client.get(reverse("contact:form"), {"license": "KLY-1"}).context["form"]
    assert form["topic"].value() == "licensing"


@pytest.mark.parametrize(
    "query",
    [
        {"topic": "hacking", "license": "<script>alert(1)</script>"},
        {"topic": "", "license": "KLY 1"},
        {"license": "A" * 41},
        {"license": "-KLY"},
    ],
)
def test_odd_link_parameters_are_ignored(client, query):
    response = client.get(reverse("contact:form"), query)
    assert response.status_code == 200
    form = response.context["form"]
    assert not form["topic"].value()
    assert not form["license_reference"].value()
    assert "<script>alert" not in response.content.decode()


def test_license_reference_is_stored_when_valid(send):
    send(topic="licensing", license_reference="KLY-7K2M-9XQD")
    assert Inquiry.objects.get().license_reference == "KLY-7K2M-9XQD"


@pytest.mark.parametrize("reference", ["KLY 7K2M", "KLY_7K2M", "../etc", "K" * 41, "KLY--1"])
def test_malformed_license_reference_is_refused_with_a_message(send, reference):
    response = send(topic="licensing", license_reference=reference)
    assert response.status_code == 200
    assert response.context["form"].errors["license_reference"]
    assert not Inquiry.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "This field is required."),
        ("email", "not-an-address", "Enter a valid email address."),
        ("topic", "", "Choose the topic that fits best"),
        ("topic", "billing", "Select a valid choice."),
        ("message", "   ", "This field is required."),
        ("phone", "12345", "international format"),
        ("phone", "+49 30 12", "not valid"),
    ],
)
def test_bad_input_is_shown_back_with_a_clear_message(send, field, value, message):
    response = send(**{field: value})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Inquiry.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_sizes_are_limited_with_a_message_naming_the_limit(send):
    response = send(message="x" * 5001, name="N" * 101, company="C" * 201)
    errors = response.context["form"].errors
    assert "5000 characters (it has 5001)" in errors["message"][0]
    assert errors["name"] and errors["company"]
    assert not Inquiry.objects.exists()


def test_a_message_of_exactly_the_limit_is_accepted(send):
    assert send(message="x" * 5000).status_code == 302


def test_an_oversized_request_is_refused_before_it_is_parsed(client):
    response = client.post(
        reverse("contact:form"),
        data="message=" + "x" * (129 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert "5,000 characters" in response.content.decode()
    assert not Inquiry.objects.exists()


def test_other_methods_are_refused(client):
    assert client.put(reverse("contact:form")).status_code == 405
    assert client.delete(reverse("contact:form")).status_code == 405
    assert client.post(reverse("contact:sent")).status_code == 405


@pytest.mark.parametrize("token", ["", "garbage", "Ada:1abc:forged"])
def test_sent_page_needs_a_signed_reference(client, token):
    assert client.get(reverse("contact:sent"), {"r": token}).status_code == 404


def test_sent_page_cannot_be_made_to_show_arbitrary_text(client):
    from django.core import signing

    forged = signing.dumps("Call 0900-SCAM now", salt="another.salt")
    assert client.get(reverse("contact:sent"), {"r": forged}).status_code == 404


def test_form_without_csrf_token_is_refused(send):
    from django.test import Client

    response = send(client=Client(enforce_csrf_checks=True))
    assert response.status_code == 403
    assert not Inquiry.objects.exists()


# --- Odd input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "محمد الأحمد",  # right-to-left
        "שרה כהן",
        "Zoë 👩🏽‍💻 Ng",  # emoji with skin tone and zero-width joiner
        "Jean\u200cPierre",  # a zero-width non-joiner, as Persian writing needs
        "O'Brien & Søn <Ltd>",
    ],
)
def test_names_in_any_script_are_kept_as_written(send, name):
    assert send(name=name).status_code == 302
    assert Inquiry.objects.get().name == name


def test_long_unicode_messages_are_kept_exactly(send):
    message = ("مرحبا 👋🏾 שלום — 日本語のテキスト\u200dجوين " * 60)[:5000].strip()
    assert send(message=message).status_code == 302
    assert Inquiry.objects.get().message == message


def test_windows_line_ends_become_unix_ones(send):
    send(message="line one\r\nline two\rline three")
    assert Inquiry.objects.get().message == "line one\nline two\nline three"


@pytest.mark.parametrize("field", ["name", "message", "company"])
def test_nul_bytes_are_refused(send, field):
    response = send(**{field: "before\x00after"})
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.context["form"].errors[field]
    assert not Inquiry.objects.exists()


@pytest.mark.parametrize("name", ["\u200b\u200b", "\u200e \u200f", "\u2066\u2069"])
def test_a_name_of_invisible_characters_only_is_refused(send, name):
    response = send(name=name)
    assert response.status_code == 200
    assert response.context["form"].errors["name"]


def test_a_message_of_invisible_characters_only_is_refused(send):
    response = send(message="\u200b\u200d\ufeff")
    assert response.context["form"].errors["message"] == ["Write your message."]


def test_other_control_characters_in_the_message_are_refused(send):
    response = send(message="ring the bell\x07")
    assert "control" in response.context["form"].errors["message"][0]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("message", "pay to \u202eNAB"),
        ("name", "Eve\u2066"),
        ("name", "Jean\u200bPierre"),
        ("company", "A\x85B"),
    ],
)
def test_bidi_overrides_and_c1_controls_are_refused(send, field, value):
    response = send(**{field: value})
    errors = response.context["form"].errors[field]
    assert "invisible formatting characters" in errors[0]
    assert response.context["form"].errors.as_data()[field][0].code == "invalid_characters"


# --- Header injection -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Ada\r\nBcc: victim@elsewhere.example",
        "Ada\nSubject: You won",
        "Ada\rX-Injected: yes",
        "Ada\x85Bcc: victim@elsewhere.example",  # NEL
        "Ada\x0bBcc: victim@elsewhere.example",
    ],
)
def test_line_breaks_in_the_name_are_refused(send, name):
    response = send(name=name)
    assert response.status_code == 200
    assert "line breaks" in response.context["form"].errors["name"][0]
    assert not OutboundEmail.objects.exists()


def test_unicode_line_separators_in_the_name_become_spaces(send):
    send(name="Ada\u2028Bcc: victim@elsewhere.example\u2029")
    assert Inquiry.objects.get().name == "Ada Bcc: victim@elsewhere.example"


@pytest.mark.parametrize(
    "email",
    [
        "ada@analytical.example\r\nBcc: victim@elsewhere.example",
        "ada@analytical.example\nCc: victim@elsewhere.example",
        "ada@analytical.example, victim@elsewhere.example",
        "Ada <ada@analytical.example>",
        "ada@analytical.example%0ABcc:victim@elsewhere.example",
    ],
)
def test_header_injection_through_the_email_is_refused(send, email):
    response = send(email=email)
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert not OutboundEmail.objects.exists()


def test_no_queued_email_carries_a_header_or_recipient_the_sender_chose(send, deliver_outbox):
    send(name="Ada Bcc: victim@elsewhere.example", email="ADA@Analytical.Example")
    messages = deliver_outbox()
    assert len(messages) == 2
    for message in messages:
        assert "victim@elsewhere.example" not in message.to + message.cc + message.bcc
        rendered = message.message().as_string()
        assert "\nBcc:" not in rendered and "\nbcc:" not in rendered.lower()


def test_the_account_page_offers_the_contact_form(customer_client):
    html = customer_client.get(reverse("accounts:dashboard")).content.decode()
    assert f'href="{reverse("contact:form")}">Contact support' in html


def test_a_submission_takes_a_handful_of_queries(send, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        assert send().status_code == 302
