"""Access and portability: the "Your data" page and the JSON export."""

import io
import json
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import DataExport, SecurityEvent
from accounts.privacy import exports
from kalytera import personal_data
from tests.outbox import emails_to

pytestmark = pytest.mark.django_db


def download(client, export: DataExport) -> dict:
    response = client.get(reverse("privacy:download_export", args=[export.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "private, no-store"
    return json.loads(b"".join(response) if response.streaming else response.content)


def test_export_holds_every_section_with_the_persons_data(sudo_client, person_with_data):
    customer = person_with_data

    assert sudo_client.post(reverse("privacy:request_export")).status_code == 302
    export = DataExport.objects.filter(user=customer).latest("requested_at")
    document = download(sudo_client, export)

    assert document["format"] == "kalytera-personal-data/1"
    by_key = {section["key"]: section for section in document["sections"]}
    assert list(by_key) == [section.key for section in personal_data.sections()]
    empty = [key for key, section in by_key.items() if not section["rows"]]
    assert empty == [], f"Give the person data in these sections (tests/<app>/privacy_seed.py): {empty}"
    account = by_key["account"]["rows"][0]
    assert account["email"] == customer.email
    assert account["company"] == "Carla Cameras GmbH"
    assert account["phone"] == "+493012345678"
    assert {row["email"] for row in by_key["email_addresses"]["rows"]} == {
        customer.email,
        "carla.new@customer.example",
    }
    assert by_key["mfa"]["rows"][0]["method"] == "TOTP Authenticator"
    assert by_key["sessions"]["rows"][0]["ip_address"] == "203.0.113.7"
    assert by_key["privacy_choices"]["rows"][0]["optional_email_declined_since"]
    assert "Data export requested" in {row["event"] for row in by_key["security_events"]["rows"]}


def test_the_page_and_the_export_show_the_same_content(sudo_client, person_with_data):
    customer = person_with_data
    sudo_client.post(reverse("privacy:request_export"))
    document = download(sudo_client, DataExport.objects.filter(user=customer).latest("requested_at"))
    page = sudo_client.get(reverse("privacy:your_data")).content.decode()
    assert page.count("<h1") == 1
    # Opening the page adds to the first two; the copy describes itself while being built.
    changing = {"sessions", "security_events", "data_exports"}
    for section in document["sections"]:
        assert f'id="{section["key"]}"' in page
        for row in section["rows"] if section["key"] not in changing else []:
            for value in row.values():
                assert escape(exports.as_text(value)) in page, (section["key"], value)


def test_export_requires_reauthentication(customer_client):
    response = customer_client.post(reverse("privacy:request_export"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not DataExport.objects.exists()


def test_download_requires_reauthentication(customer_client, customer):
    export = exports.request_export(user=customer)
    response = customer_client.get(reverse("privacy:download_export", args=[export.pk]))
    assert response["Location"].startswith(reverse("account_reauthenticate"))


def test_one_export_a_day(sudo_client, customer):
    sudo_client.post(reverse("privacy:request_export"))
    response = sudo_client.post(reverse("privacy:request_export"), follow=True)
    assert b"one copy of your data a day" in response.content
    assert DataExport.objects.filter(user=customer).count() == 1


def test_a_second_export_the_same_day_is_refused_with_its_code(customer):
    exports.request_export(user=customer)
    with pytest.raises(exports.ExportLimitReached) as refusal:
        exports.request_export(user=customer)
    assert refusal.value.code == "export_limit"


def test_the_daily_limit_is_a_database_constraint(customer):
    today = timezone.now().date()
    DataExport.objects.create(user=customer, requested_on=today, expires_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        DataExport.objects.create(user=customer, requested_on=today, expires_at=timezone.now())


def test_a_large_export_is_built_by_a_task_and_announced_by_email(
    customer, settings, django_capture_on_commit_callbacks
):
    settings.PRIVACY_EXPORT_INLINE_MAX_ROWS = 0
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        export = exports.request_export(user=customer)
        assert DataExport.objects.get(pk=export.pk).status == DataExport.Status.PENDING
    # The immediate task backend ran the task once the transaction committed.
    assert callbacks
    export.refresh_from_db()
    assert export.status == DataExport.Status.READY
    assert export.size_bytes == len(export.content.encode())
    assert json.loads(export.content)["sections"]
    assert "ready" in emails_to(customer.email)[-1].subject


def test_an_export_whose_task_was_lost_is_built_by_the_periodic_job(customer, other_customer, settings):
    settings.PRIVACY_EXPORT_INLINE_MAX_ROWS = 0
    lost = exports.request_export(user=customer)  # the commit never ran its task
    fresh = exports.request_export(user=other_customer)
    DataExport.objects.filter(pk=lost.pk).update(requested_at=timezone.now() - timedelta(minutes=16))
    call_command("resume_data_exports", stdout=io.StringIO())
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert (lost.status, fresh.status) == (DataExport.Status.READY, DataExport.Status.PENDING)
    assert "ready" in emails_to(customer.email)[-1].subject
    assert ("resume_data_exports", 600) in settings.PERIODIC_JOBS


def test_a_task_building_an_export_twice_changes_nothing(customer, settings):
    export = exports.request_export(user=customer)
    content = DataExport.objects.get(pk=export.pk).content
    assert exports.build_export(export_id=export.pk, notify=True) is False
    assert DataExport.objects.get(pk=export.pk).content == content


def test_expired_exports_are_deleted_and_no_longer_downloadable(sudo_client, customer):
    export = exports.request_export(user=customer)
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now())
    assert sudo_client.get(reverse("privacy:download_export", args=[export.pk])).status_code == 404

    call_command("purge_expired_exports", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not DataExport.objects.exists()


def test_someone_elses_export_is_not_found(sudo_client, other_customer):
    export = exports.request_export(user=other_customer)
    assert sudo_client.get(reverse("privacy:download_export", args=[export.pk])).status_code == 404


def test_downloading_is_on_the_security_timeline(sudo_client, customer):
    export = exports.request_export(user=customer)
    download(sudo_client, export)
    assert SecurityEvent.objects.filter(
        user=customer, kind=SecurityEvent.Kind.DATA_EXPORT_DOWNLOADED
    ).exists()


@pytest.mark.parametrize("name", ["privacy:center", "privacy:your_data", "privacy:security_timeline"])
def test_pages_need_a_signed_in_person(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_anonymous_export_request_goes_to_login(client):
    response = client.post(reverse("privacy:request_export"))
    assert response["Location"].startswith(reverse("account_login"))


def test_export_request_by_get_is_refused(sudo_client):
    assert sudo_client.get(reverse("privacy:request_export")).status_code == 405


def test_download_by_post_is_refused(sudo_client, customer):
    export = exports.request_export(user=customer)
    assert sudo_client.post(reverse("privacy:download_export", args=[export.pk])).status_code == 405


def test_privacy_center_links_correction_pages(customer_client):
    html = customer_client.get(reverse("privacy:center")).content.decode()
    assert reverse("accounts:profile") in html
    assert reverse("account_email") in html
    assert html.count("<h1") == 1
    assert "style=" not in html and "<script" not in html


def test_account_page_links_the_privacy_center(customer_client):
    assert reverse("privacy:center") in customer_client.get(reverse("accounts:dashboard")).content.decode()


@pytest.mark.parametrize("name", ["privacy:center", "privacy:your_data"])
def test_read_only_pages_refuse_post(customer_client, name):
    assert customer_client.post(reverse(name)).status_code == 405


def test_an_unknown_export_is_not_found(sudo_client):
    assert sudo_client.get(reverse("privacy:download_export", args=[999999])).status_code == 404


def test_no_section_of_your_data_is_a_table_wider_than_a_page(sudo_client, person_with_data):
    page = sudo_client.get(reverse("privacy:your_data")).content.decode()
    for table in re.findall(r"<table.*?</table>", page, re.S):
        header = re.search(r"<thead>(.*?)</thead>", table, re.S).group(1)
        assert header.count("<th") <= exports.WIDEST_TABLE
    assert '<li class="record">' in page  # the wide sections are cards, one per row
