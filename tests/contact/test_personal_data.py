import pytest
from allauth.account.models import EmailAddress

from contact import services
from contact.models import Inquiry, ThreadEntry
from kalytera import personal_data

pytestmark = pytest.mark.django_db


def section():
    [found] = [s for s in personal_data.sections() if s.key == "contact.inquiries"]
    return found


def inquiry_from(email: str, user=None, message: str = "Hello") -> Inquiry:
    return services.submit_inquiry(name="Carla", email=email, topic="support", message=message, user=user)


def test_inquiries_and_their_thread_are_registered():
    assert {Inquiry, ThreadEntry} <= personal_data.covered_models()


def test_collect_finds_inquiries_of_the_account_and_of_its_verified_addresses(customer, support_user):
    linked = inquiry_from("typed-another@elsewhere.example", user=customer, message="while logged in")
    by_address = inquiry_from(customer.email.upper(), message="before signing up")
    EmailAddress.objects.create(user=customer, email="unverified@customer.example", verified=False)
    inquiry_from("unverified@customer.example", message="unproven address")
    inquiry_from("someone@else.example", message="not theirs")
    services.send_reply(inquiry=by_address, author=support_user, body="Our answer")
    services.add_note(inquiry=by_address, author=support_user, body="internal remark")

    rows = section().collect(customer)
    assert {row["reference"] for row in rows} == {linked.reference, by_address.reference}
    answered = next(row for row in rows if row["reference"] == by_address.reference)
    assert answered["message"] == "before signing up"
    assert [reply["text"] for reply in answered["replies"]] == ["Our answer"]
    assert "internal remark" not in str(rows)


def test_erase_deletes_them_and_can_run_twice(customer, support_user):
    mine = inquiry_from(customer.email, user=customer)
    services.add_note(inquiry=mine, author=support_user, body="note")
    other = inquiry_from("someone@else.example")
    section().erase(customer)
    section().erase(customer)
    assert list(Inquiry.objects.all()) == [other]
    assert not ThreadEntry.objects.exists()


def test_a_deleted_staff_member_leaves_the_thread_in_place(support_user):
    inquiry = inquiry_from("someone@else.example")
    services.add_note(inquiry=inquiry, author=support_user, body="note")
    support_user.delete()
    assert inquiry.thread.get().author is None
