"""Phone numbers, validated and normalised to E.164 with libphonenumber."""

from __future__ import annotations

import phonenumbers

from ..problems import Problem


def normalise(raw: str, region: str = "CN") -> str:
    """E.164, or a ``validation_error`` naming the field."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise Problem(
            422,
            "validation_error",
            "The phone number is not valid.",
            errors={"phone": ["Not a valid phone number."]},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
