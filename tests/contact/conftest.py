import time

import pytest
from django.urls import reverse

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
