"""License keys that people can type, read aloud and copy from an email.

Format: ``KLY-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX``: 27 random characters and one check
character in Crockford's base32 (no I, L, O or U, so nothing looks like something else),
in groups of four. 27 characters carry 135 bits; at least 134 survive the check rule below.

The check character makes the whole key, read as a base-32 number, divisible by 37.
Because 37 is a prime larger than any digit difference, changing one character or
swapping two neighbours always breaks divisibility, so such a typo is caught before
any database lookup. Bodies whose check value would be 32..36 (no base-32 digit) are
simply not issued.

Reading is forgiving in the usual Crockford way: lower case, spaces and dashes are
accepted, ``O`` reads as ``0``, ``I`` and ``L`` as ``1``; the ``KLY`` prefix is optional.
"""

import secrets

from licensing import crypto

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "KLY"
BODY_LENGTH = 27
GROUP = 4
_CHECK_MODULUS = 37
_VALUES = {char: value for value, char in enumerate(ALPHABET)}
_LOOK_ALIKES = {"O": "0", "I": "1", "L": "1"}
_READ_AS = str.maketrans(_LOOK_ALIKES)


def _either_case(chars: str) -> str:
    return "".join(sorted({*chars, *chars.lower()}))


# Every text ``normalize`` can read (ECMA and Python regex alike), for the API's schema: the
# optional prefix, then the 28 characters, with spaces and dashes anywhere. The check
# character is beyond a pattern: a key that fits it may still be refused as a typo.
_SEPARATORS = "[\\s-]*"
PATTERN = (
    f"^{_SEPARATORS}(?:"
    + "".join(f"[{_either_case(char)}]{_SEPARATORS}" for char in PREFIX)
    + f")?(?:[{_either_case(ALPHABET + ''.join(_LOOK_ALIKES))}]{_SEPARATORS}){{{BODY_LENGTH + 1}}}$"
)


class KeyFormatError(ValueError):
    """The text is not a well-formed license key; ``str()`` says how to fix it."""


def generate() -> str:
    """A new random key in display form."""
    while True:
        body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
        check = _check_value(body)
        if check < len(ALPHABET):
            return _display(body + ALPHABET[check])


def normalize(text: str) -> str:
    """The canonical display form of a typed key, or ``KeyFormatError`` with a helpful message."""
    compact = "".join(text.split()).replace("-", "").upper()
    if compact.startswith(PREFIX) and len(compact) == len(PREFIX) + BODY_LENGTH + 1:
        compact = compact[len(PREFIX) :]
    compact = compact.translate(_READ_AS)
    if len(compact) != BODY_LENGTH + 1:
        raise KeyFormatError(
            f"A license key has {BODY_LENGTH + 1} characters after {PREFIX}- "
            f"(in groups of {GROUP}); this one has {len(compact)}."
        )
    wrong = sorted({char for char in compact if char not in _VALUES})
    if wrong:
        raise KeyFormatError(f"A license key never contains {', '.join(wrong)}; check those characters.")
    if (_number(compact)) % _CHECK_MODULUS != 0:
        raise KeyFormatError(
            "This key has a typo: one character is wrong or two are swapped. Check it against your order."
        )
    return _display(compact)


def lookup_hash(key: str) -> str:
    """The keyed hash stored for lookup. ``key`` must be in display form (see ``normalize``)."""
    return crypto.keyed_hash("license-key", key)


def display_prefix(key: str) -> str:
    """``KLY-XXXX``: enough to tell keys apart in a list, far too little to use."""
    return key[: len(PREFIX) + 1 + GROUP]


def seal(key: str) -> str:
    return crypto.seal("license-key", key)


def unseal(sealed: str) -> str:
    return crypto.unseal("license-key", sealed)


def _check_value(body: str) -> int:
    # The check digit c must make number(body + c) = number(body) * 32 + c divisible by 37.
    return (-_number(body) * len(ALPHABET)) % _CHECK_MODULUS


def _number(chars: str) -> int:
    value = 0
    for char in chars:
        value = value * len(ALPHABET) + _VALUES[char]
    return value


def _display(compact: str) -> str:
    groups = [compact[i : i + GROUP] for i in range(0, len(compact), GROUP)]
    return "-".join([PREFIX, *groups])
