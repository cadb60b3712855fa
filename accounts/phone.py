import phonenumbers
from django.core.exceptions import ValidationError

PHONE_FORMAT_HELP = "International format, starting with + and the country code, e.g. +49 30 1234567."


def normalise_phone(value: str) -> str:
    """Return the number in E.164 form (``+4930123456``) or raise ``ValidationError``."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            f"Enter a phone number in {PHONE_FORMAT_HELP[0].lower()}{PHONE_FORMAT_HELP[1:]}",
            code="invalid_phone",
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            "This phone number is not valid for its country. Check the digits and the country code.",
            code="invalid_phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(value: str) -> str:
    if not value:
        return ""
    return phonenumbers.format_number(
        phonenumbers.parse(value, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
