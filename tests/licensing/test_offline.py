"""Air-gapped servers: requests carried to the license page, certificates and receipts carried back."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kalytera_client import identity, offline
from licensing import certificates
from licensing.models import Activation, LicenseEvent

MACHINE = identity.derive("air-gapped-server", {"board": "B-1", "disk": "D-1", "nic": "N-1"})


def answer_in(response) -> str:
    """The certificate or receipt shown on the success page (the text its download link holds)."""
    html = response.content.decode()
    shown = re.search(r'<pre class="document"[^>]*><code[^>]*>(.*?)</code></pre>', html, re.S)
    assert shown is not None, "the page shows no document"
    return unescape(shown.group(1))


def url(license):
    return reverse("licensing:offline", kwargs={"license_id": license.public_id})


def test_an_activation_request_gives_a_certificate_for_that_machine(customer_client, owned_license):
    license, _ = owned_license
    text = offline.activation_request(MACHINE, name="Vault NVR", product_version="6.2.0")
    response = customer_client.post(url(license), {"request_text": text})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Machine activated</h1>" in html and "Vault NVR" in html
    assert 'download="kalytera-certificate.lic"' in html
    assert response["Cache-Control"] == "private, no-store"
    claims = certificates.verify(answer_in(response))
    assert claims["fingerprint"] == MACHINE.fingerprint
    activation = Activation.objects.get(license=license)
    assert (activation.label, activation.product_version) == ("Vault NVR", "6.2.0")
    event = license.events.get(kind=LicenseEvent.Kind.ACTIVATED)
    assert (event.actor, event.actor_user) == ("customer", license.organization.personal_for)


def test_a_request_works_once(customer_client, owned_license):
    license, _ = owned_license
    text = offline.activation_request(MACHINE)
    customer_client.post(url(license), {"request_text": text})
    again = customer_client.post(url(license), {"request_text": text})
    assert again.status_code == 200
    assert "used already" in again.content.decode()


def test_an_uploaded_deactivation_request_frees_the_seat_with_a_receipt(customer_client, owned_license):
    license, _ = owned_license
    customer_client.post(url(license), {"request_text": offline.activation_request(MACHINE)})
    upload = SimpleUploadedFile("request.txt", offline.deactivation_request(MACHINE).encode())
    response = customer_client.post(url(license), {"request_file": upload})
    assert "<h1>Machine deactivated</h1>" in response.content.decode()
    assert 'download="kalytera-deactivation-receipt.lic"' in response.content.decode()
    receipt = certificates.verify(answer_in(response), expected_type=certificates.DEACTIVATION_RECEIPT)
    assert receipt["fingerprint"] == MACHINE.fingerprint
    assert not Activation.objects.get().is_active


def test_the_same_seat_limit_applies_as_online(customer_client, make_plan, issue, customer):
    license, _ = issue(customer, plan_=make_plan(max_machines=1))
    customer_client.post(url(license), {"request_text": offline.activation_request(MACHINE)})
    other = identity.derive("second-server")
    refused = customer_client.post(url(license), {"request_text": offline.activation_request(other)})
    assert "The one seat of this license is taken" in refused.content.decode()
    assert Activation.objects.filter(license=license, is_active=True).count() == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Paste the request"),
        ("hello", "not a Kalytera request"),
        ("cut", "copy all of it"),
        ("end missing", "The request is cut off"),
        ("mid-line", "The request is cut off"),
        ("old", "more than 30 days old"),
    ],
)
def test_unusable_requests_are_explained(customer_client, owned_license, text, message):
    license, _ = owned_license
    request = offline.activation_request(MACHINE, now=timezone.now() - timedelta(days=40))
    good = offline.activation_request(MACHINE)
    lines = good.splitlines()
    text = {
        "cut": "\n".join([*lines[:2], *lines[-1:]]),
        "end missing": "\n".join(lines[:2]),
        "mid-line": good[: len(good) // 2],
        "old": request,
    }.get(text, text)
    response = customer_client.post(url(license), {"request_text": text})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Activation.objects.exists()


def test_the_offline_page_belongs_to_the_owner_only(client, owned_license, other_customer):
    license, _ = owned_license
    assert client.get(url(license)).status_code == 302  # anonymous: to the login page
    client.force_login(other_customer)
    assert client.get(url(license)).status_code == 404
    assert client.post(url(license), {"request_text": offline.activation_request(MACHINE)}).status_code == 404
    assert not Activation.objects.exists()


def test_the_offline_page_explains_itself_on_get(customer_client, owned_license):
    license, _ = owned_license
    html = customer_client.get(url(license)).content.decode()
    assert html.count("<h1") == 1
    assert 'enctype="multipart/form-data"' in html
    assert not Activation.objects.exists()


def test_a_request_for_a_machine_of_another_license_changes_nothing(
    customer_client, owned_license, issue, customer
):
    license, _ = owned_license
    other, _ = issue(customer)
    customer_client.post(url(other), {"request_text": offline.activation_request(MACHINE)})
    foreign = offline.deactivation_request(MACHINE)
    response = customer_client.post(url(license), {"request_text": foreign})
    assert "not active on this license" in response.content.decode()
    assert Activation.objects.get(license=other).is_active
    assert not license.events.filter(kind=LicenseEvent.Kind.DEACTIVATED).exists()


def test_a_replayed_deactivation_request_changes_nothing(customer_client, owned_license):
    license, _ = owned_license
    customer_client.post(url(license), {"request_text": offline.activation_request(MACHINE)})
    text = offline.deactivation_request(MACHINE)
    customer_client.post(url(license), {"request_text": text})
    customer_client.post(url(license), {"request_text": offline.activation_request(MACHINE)})
    again = customer_client.post(url(license), {"request_text": text})
    assert "used already" in again.content.decode()
    assert Activation.objects.filter(license=license, is_active=True).count() == 1


def test_the_offline_page_and_the_api_run_the_same_service_code(
    customer_client, owned_license, client, monkeypatch
):
    from licensing.services import machines

    license, key = owned_license
    calls = []
    real = machines._activate
    monkeypatch.setattr(machines, "_activate", lambda **kw: calls.append(kw["actor"].kind) or real(**kw))
    customer_client.post(url(license), {"request_text": offline.activation_request(MACHINE)})
    body = {"license_key": key, "fingerprint": identity.derive("online-server").fingerprint}
    assert client.post("/api/v1/activations", body, content_type="application/json").status_code == 201
    assert calls == ["customer", "machine"]


@given(st.data())
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_edited_requests_are_refused_with_a_message_and_change_nothing(customer_client, owned_license, data):
    license, _ = owned_license
    text = offline.activation_request(MACHINE)
    position = data.draw(st.integers(0, len(text) - 1))
    replacement = data.draw(st.text(min_size=0, max_size=3))
    # The form strips surrounding whitespace, as the customer's paste may carry some.
    edited = (text[:position] + replacement + text[position + data.draw(st.integers(0, 3)) :]).strip()
    try:
        offline.parse_request(edited, expected_type=offline.ACTIVATION_REQUEST)
        return  # an edit of whitespace only: still the same, valid request
    except offline.OfflineRequestError:
        pass
    try:
        offline.parse_request(edited, expected_type=offline.DEACTIVATION_REQUEST)
        return
    except offline.OfflineRequestError:
        pass
    response = customer_client.post(url(license), {"request_text": edited})
    assert response.status_code == 200
    assert 'class="form-errors"' in response.content.decode()
    assert not Activation.objects.filter(license=license).exists()


def test_an_upload_past_the_cap_is_refused_with_413(customer_client, owned_license):
    from django.conf import settings

    license, _ = owned_license
    upload = SimpleUploadedFile("request.txt", b"x" * (settings.UPLOAD_MAX_BYTES * 4))
    response = customer_client.post(url(license), {"request_file": upload})
    assert response.status_code == 413
    assert "too large to be a Kalytera request" in response.content.decode()
