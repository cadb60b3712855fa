import pytest

from legal.checks import check_acceptance_prefixes, check_notice_batch_size


def test_the_shipped_legal_settings_pass_the_checks():
    assert check_acceptance_prefixes(None) == []
    assert check_notice_batch_size(None) == []


@pytest.mark.parametrize("prefixes", [["/licenses"], ["licenses/"], [], ["/licenses/", ""]])
def test_acceptance_prefixes_must_be_slash_delimited_paths(settings, prefixes):
    settings.LEGAL_ACCEPTANCE_REQUIRED_PREFIXES = prefixes
    assert [e.id for e in check_acceptance_prefixes(None)] == ["legal.E001"]


@pytest.mark.parametrize("size", [0, -5, 50_000])
def test_the_notice_batch_size_must_be_sensible(settings, size):
    settings.LEGAL_NOTICE_BATCH_SIZE = size
    assert [e.id for e in check_notice_batch_size(None)] == ["legal.E002"]
