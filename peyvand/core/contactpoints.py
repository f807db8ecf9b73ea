"""Phone numbers and e-mail addresses as people type them, turned into the one form Peyvand stores.

Phones are stored as E.164 (``+989121234567``) whatever digits they were typed in (Persian, Arabic-Indic,
Thai, ASCII), with or without ``+``, ``00`` or the national ``0``; the workspace's country decides what a
national number means. E-mail addresses are stored trimmed with the domain lower-cased.
"""

from __future__ import annotations

import functools
import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from peyvand.core.text import to_ascii_digits

# Numbers normalize_phone has just parsed, by E.164, for phone_search_forms (an import derives the search
# forms of every number right after normalizing it); bounded, dropped when read.
_PARSED: dict[str, phonenumbers.PhoneNumber] = {}
_PARSED_MAX = 10_000

_PHONE_NOISE = re.compile(r"[\s\-–—.()/\u200c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def normalize_phone(raw: str, region: str = "") -> str:
    """E.164 form of `raw`; ValidationError (with a message naming the problem) when it is not a number.

    `region` is the ISO country of national numbers (``0912…`` in IR). Without a region only international
    numbers (``+`` or ``00``) are accepted.
    """
    text = _PHONE_NOISE.sub("", to_ascii_digits(raw or "").strip())
    text = text.replace("\uff0b", "+")
    if not text:
        raise ValidationError(_("Enter a phone number."), code="required")
    if text.startswith("00"):
        # Not every country's exit code is 00 (Thailand's is 001); "00" + country code is what people type.
        text = "+" + text[2:]
    if not re.fullmatch(r"\+?\d{3,17}", text):
        raise ValidationError(
            _("“%(value)s” is not a phone number."), code="invalid_phone", params={"value": raw}
        )
    try:
        number = phonenumbers.parse(text, (region or "").upper() or None)
    except phonenumbers.NumberParseException as error:
        if not region and not text.startswith("+"):
            raise ValidationError(
                _("“%(value)s”: write the number with its country code (e.g. +98…)."),
                code="invalid_phone",
                params={"value": raw},
            ) from error
        raise ValidationError(
            _("“%(value)s” is not a phone number."), code="invalid_phone", params={"value": raw}
        ) from error
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("“%(value)s” is not a valid phone number."), code="invalid_phone", params={"value": raw}
        )
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[e164] = number
    return e164


def phone_search_forms(e164: str) -> list[str]:
    """The digit strings a person may search a stored phone by: E.164 digits and the national form."""
    number = _PARSED.pop(e164, None)
    if number is None:
        try:
            number = phonenumbers.parse(e164, None)
        except phonenumbers.NumberParseException:
            return [e164]
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return [e164.lstrip("+"), re.sub(r"\D", "", national)]


@functools.lru_cache(maxsize=8192)  # a list page shows 50 numbers; parsing one costs ~50 µs
def format_phone(e164: str, region: str = "") -> str:
    """A stored phone for display: national format for the workspace's country, international otherwise."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if region and phonenumbers.region_code_for_number(number) == region.upper():
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


EMAIL_MAX_LENGTH = 254


def normalize_email(raw: str) -> str:
    """A trimmed address with a lower-case domain; ValidationError naming the address if it is not one."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("Enter an e-mail address."), code="required")
    local, at, domain = text.rpartition("@")
    if at:
        text = f"{local}@{domain.lower()}"
    if len(text) > EMAIL_MAX_LENGTH:  # what mail servers accept (RFC 5321) and what the columns hold
        raise ValidationError(
            _("“%(value)s” is too long for an e-mail address (%(limit)s characters at most)."),
            code="invalid_email",
            params={"value": f"{text[:40]}…", "limit": EMAIL_MAX_LENGTH},
        )
    try:
        validate_email(text)
    except ValidationError as error:
        raise ValidationError(
            _("“%(value)s” is not an e-mail address."), code="invalid_email", params={"value": raw}
        ) from error
    return text


def normalize_domain(raw: str) -> str:
    """`https://www.Example.com/about` → `example.com` (empty stays empty)."""
    text = (raw or "").strip().lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = text.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    text = text.rsplit("@", 1)[-1].split(":", 1)[0]
    if text.startswith("www."):
        text = text[4:]
    return text.strip(".")
