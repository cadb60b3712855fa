import time
from importlib import import_module

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.services import STAFF_GROUPS
from contact import spam


def valid_form(**overrides) -> dict:
    """What a person sends, with a time token from a while ago (as if they took their time)."""
    data = {
        "name": "Ada Lovelace",
        "email": "ada@analytical.example",
        "company": "Analytical Engines Ltd",
        "phone": "+44 20 7946 0958",
        "topic": "support",
        "license_reference": "",
        "message": "Camera 3 drops its stream every night at 02:00.\nWhat can we check?",
        "website": "",
        "form_token": spam.issue_token(now=time.time() - 30),
    }
    data.update(overrides)
    return data


@pytest.fixture
def send(client):
    """Post the contact form (valid unless overridden) and return the response."""

    def post(client=client, **overrides):
        return client.post(reverse("contact:form"), valid_form(**overrides))

    return post


@pytest.fixture
def staff_groups(transactional_db) -> None:
    """The staff groups and the Support permissions, as the data migrations made them.

    Tests that commit (live server, app servers) empty the database after themselves,
    and with it the rows data migrations wrote; this puts those rows back.
    """
    grant = import_module("contact.migrations.0002_support_permissions")
    for name in STAFF_GROUPS:
        Group.objects.get_or_create(name=name)
    Group.objects.get(name="Support").permissions.add(
        *Permission.objects.filter(content_type__app_label="contact", codename__in=grant.SUPPORT_PERMISSIONS)
    )
