"""Every app's refusals share one base: a stable code and a sentence, written once."""

import pytest

from accounts.privacy.deletion import DeletionRefused
from accounts.privacy.exports import ExportLimitReached
from contact.services import ContactError
from kalytera.errors import DomainError
from legal.services import LegalError
from licensing.services.common import LicensingError

REFUSALS = [LicensingError, ContactError, LegalError, DeletionRefused, ExportLimitReached]


@pytest.mark.parametrize("error", REFUSALS)
def test_each_refusal_is_a_domain_error_with_a_code_and_a_sentence(error):
    refusal = error("some_code", "Do this instead.")
    assert isinstance(refusal, DomainError)
    assert (refusal.code, refusal.message) == ("some_code", "Do this instead.")
    assert str(refusal) == "Do this instead."
    assert "__init__" not in vars(error)  # the body lives in DomainError only
