"""Template filters that show dates and numbers in the current :class:`~peyvand.core.calendars.FormatContext`.

``{{ contact.created_at|caldatetime }}``, ``{{ deal.close_date|caldate:"long" }}``, ``{{ n|calnumber }}``,
``{{ deal.amount|money:deal.currency }}``, ``{{ phone|digits }}``, ``{% date_format_hint %}``.

The filters only format values they are given: they never query the database. Empty values (``None``,
``""``) render as an empty string; values of the wrong type render unchanged rather than raising.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import template

from peyvand.core.calendars import (
    current_format,
    date_format_hint,
    format_date,
    format_datetime,
    format_money,
    format_number,
)
from peyvand.core.text import localize_digits

register = template.Library()


@register.filter
def caldate(value: object, style: str = "short") -> object:
    """A date (or datetime, converted to the context's time zone) in the current calendar and digits."""
    if value in (None, ""):
        return ""
    if not isinstance(value, dt.date):
        return value
    return format_date(value, current_format(), style or "short")


@register.filter
def caldatetime(value: object) -> object:
    """Short date plus ``HH:MM`` in the context's time zone; a plain date shows as :func:`caldate`."""
    if value in (None, ""):
        return ""
    if isinstance(value, dt.datetime):
        return format_datetime(value, current_format())
    if isinstance(value, dt.date):
        return format_date(value, current_format())
    return value


def _to_number(value: object) -> int | float | Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


@register.filter
def calnumber(value: object, decimals: object = None) -> object:
    """A number grouped for the current language, in the current digits; ``|calnumber:2`` fixes decimals."""
    if value in (None, ""):
        return ""
    number = _to_number(value)
    if number is None:
        return value
    places = None if decimals in (None, "") else int(str(decimals))
    return format_number(number, current_format(), places)


@register.filter
def money(value: object, currency: object = "") -> object:
    """An amount with its ISO 4217 currency (``{{ amount|money:"IRR" }}``) in the current language and digits.

    Without a currency the amount is shown as a plain number with two decimals.
    """
    if value in (None, ""):
        return ""
    number = _to_number(value)
    if number is None:
        return value
    amount = number if isinstance(number, Decimal) else Decimal(str(number))
    if not currency:
        return format_number(amount, current_format(), 2)
    return format_money(amount, str(currency), current_format())


@register.filter
def digits(value: object) -> str:
    """Write the digits of any value (phone numbers, codes, …) in the current digit system."""
    if value is None:
        return ""
    return localize_digits(str(value), current_format().digits)


@register.simple_tag(name="date_format_hint")
def date_format_hint_tag() -> str:
    """``{% date_format_hint %}``: an example date in the current short format, for ``placeholder`` attributes
    (e.g. ``۱۴۰۵/۰۸/۲۴``)."""
    return date_format_hint(current_format())
