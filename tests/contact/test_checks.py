from contact import checks


def test_malformed_contact_rates_stop_start_up(settings):
    settings.CONTACT_RATE_LIMITS = ["5/10m", "lots"]
    settings.CONTACT_ACK_RATE_LIMIT = "3/d"
    [error] = checks.check_rates(None)
    assert error.id == "contact.E001"
    assert "CONTACT_RATE_LIMITS" in error.msg and "10/m" in error.msg


def test_the_default_rates_are_valid():
    assert checks.check_rates(None) == []


def test_a_deployment_without_a_support_address_is_refused(settings):
    assert checks.check_support_addresses(None) == []
    settings.SUPPORT_EMAILS = []
    [error] = checks.check_support_addresses(None)
    assert error.id == "contact.E002"
