import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from licensing import crypto, keys

KEY_SHAPE = re.compile(r"^KLY(-[0-9A-HJKMNP-TV-Z]{4}){7}$")


def test_generated_keys_are_grouped_and_use_the_unambiguous_alphabet():
    for _ in range(50):
        key = keys.generate()
        assert KEY_SHAPE.match(key), key
        assert keys.normalize(key) == key


def test_keys_carry_at_least_128_bits_of_randomness():
    assert keys.BODY_LENGTH * 5 - 1 >= 128  # rejection of 5 of 37 check values costs under one bit
    assert len({keys.generate() for _ in range(2000)}) == 2000


def test_every_single_character_typo_is_caught():
    key = keys.generate()
    compact = key.replace("-", "")[3:]
    for position in range(len(compact)):
        for char in keys.ALPHABET:
            if char == compact[position]:
                continue
            typo = compact[:position] + char + compact[position + 1 :]
            with pytest.raises(keys.KeyFormatError, match="typo"):
                keys.normalize(typo)


@given(st.integers(min_value=0, max_value=10_000))
def test_every_adjacent_transposition_is_caught(seed):
    key = keys.generate()
    compact = key.replace("-", "")[3:]
    position = seed % (len(compact) - 1)
    if compact[position] == compact[position + 1]:
        return
    swapped = compact[:position] + compact[position + 1] + compact[position] + compact[position + 2 :]
    with pytest.raises(keys.KeyFormatError, match="typo"):
        keys.normalize(swapped)


def test_typing_is_forgiving_about_case_spaces_and_look_alike_letters():
    key = keys.generate()
    sloppy = key.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert keys.normalize(sloppy) == key
    assert keys.normalize(key.replace("-", "")[3:]) == key  # without the prefix


@pytest.mark.parametrize(
    ("text", "message"),
    [("KLY-1234", "28 characters"), ("KLY-UUUU-" + "0" * 24, "never contains U"), ("", "28 characters")],
)
def test_malformed_keys_are_explained(text, message):
    with pytest.raises(keys.KeyFormatError, match=message):
        keys.normalize(text)


def test_the_lookup_hash_depends_on_the_pepper(settings):
    key = keys.generate()
    first = keys.lookup_hash(key)
    settings.LICENSING_PEPPER = "another-pepper-another-pepper-another"
    assert keys.lookup_hash(key) != first
    assert key not in first


def test_sealed_keys_open_only_with_the_same_secret(settings):
    key = keys.generate()
    sealed = keys.seal(key)
    assert key not in sealed
    assert keys.unseal(sealed) == key
    settings.LICENSING_ENCRYPTION_SECRET = "a-different-secret-a-different-secret"
    with pytest.raises(crypto.SealError):
        keys.unseal(sealed)


def test_a_value_sealed_for_one_purpose_cannot_be_opened_as_another():
    sealed = crypto.seal("fingerprint", "abc")
    with pytest.raises(crypto.SealError):
        crypto.unseal("license-key", sealed)


def test_hashing_without_a_pepper_refuses_to_work(settings):
    settings.LICENSING_PEPPER = ""
    with pytest.raises(ImproperlyConfigured, match="LICENSING_PEPPER"):
        keys.lookup_hash(keys.generate())


@given(st.from_regex(keys.PATTERN, fullmatch=True))
def test_text_that_fits_the_published_pattern_is_refused_only_as_a_typo(text):
    try:
        keys.normalize(text)
    except keys.KeyFormatError as exc:
        assert "typo" in str(exc)


def test_every_issued_key_and_its_sloppy_forms_fit_the_published_pattern():
    import re

    key = keys.generate()
    for form in (key, key.lower().replace("-", " "), key.replace("-", "")[3:], f" {key}\n"):
        assert re.fullmatch(keys.PATTERN, form), form
    for wrong in ("KLY-1234", "KLY-UUUU-" + "0" * 24, key + "0"):
        assert not re.fullmatch(keys.PATTERN, wrong), wrong
