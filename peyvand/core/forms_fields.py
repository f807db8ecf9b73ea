"""Form field and widget for dates in the user's calendar: the input accepts exactly what it displays.

:class:`CalendarDateInput` renders a :class:`datetime.date` with
:func:`~peyvand.core.calendars.format_date` (short style) in the format context current *at render time*;
:class:`CalendarDateField` reads the submitted text with :func:`~peyvand.core.calendars.parse_date` in the
context current *at clean time* (the same request, so the same context). Cleaned values are Gregorian dates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from peyvand.core.calendars import current_format, date_format_hint, format_date, parse_date

__all__ = ["CalendarDateField", "CalendarDateInput"]


class CalendarDateInput(forms.TextInput):
    """A text input showing a date in the current calendar and digits, with a format example as placeholder.

    Numeric dates are rendered ``dir="ltr"`` so ``۱۴۰۵/۰۸/۲۴`` keeps its order inside right-to-left pages;
    ``inputmode="decimal"`` gives phones a keypad with a separator (``.``/``٫``), which the parser accepts.
    """

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        defaults: dict[str, Any] = {"dir": "ltr", "inputmode": "decimal", "autocomplete": "off"}
        super().__init__({**defaults, **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, dt.date):
            return format_date(value, current_format(), "short")
        result: str | None = super().format_value(value)
        return result

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        widget_attrs.setdefault("placeholder", date_format_hint(current_format()))
        return context


class CalendarDateField(forms.Field):
    """A date typed in the current calendar (any digits); cleans to a Gregorian :class:`datetime.date`.

    Invalid input raises :class:`~django.forms.ValidationError` (code ``"invalid"``) carrying the translated
    message from :func:`~peyvand.core.calendars.parse_date`, which includes an example of the format.
    """

    widget = CalendarDateInput

    def to_python(self, value: Any) -> dt.date | None:
        if isinstance(value, str):
            value = value.strip()
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return parse_date(str(value), current_format())
        except ValueError as error:
            raise forms.ValidationError(str(error), code="invalid") from error
