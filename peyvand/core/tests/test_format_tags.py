"""Template filters and the calendar date form field.

None of these tests is marked ``django_db``: pytest-django blocks database access, so any query made by
a filter or the field would fail the test ("filters must never hit the database").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.template import Context, Engine
from hypothesis import given, settings
from hypothesis import strategies as st

from peyvand.core.calendars import format_context
from peyvand.core.forms_fields import CalendarDateField, CalendarDateInput

ENGINE = Engine(libraries={"peyvand_format": "peyvand.core.templatetags.peyvand_format"})
DAY = dt.date(2026, 11, 23)


def render(source: str, **context: object) -> str:
    return ENGINE.from_string("{% load peyvand_format %}" + source).render(Context(context))


# ------------------------------------------------------------------------------------------ filters


def test_caldate_per_language() -> None:
    with format_context(language="fa"):
        assert render("{{ d|caldate }}", d=DAY) == "۱۴۰۵/۰۹/۰۲"
        assert render('{{ d|caldate:"medium" }}', d=DAY) == "۲ آذر ۱۴۰۵"
        assert render('{{ d|caldate:"long" }}', d=DAY) == "دوشنبه ۲ آذر ۱۴۰۵"
    with format_context(language="th"):
        assert render("{{ d|caldate }}", d=DAY) == "23/11/2569"
    with format_context(language="en"):
        assert render("{{ d|caldate }}", d=DAY) == "2026-11-23"


def test_caldate_empty_and_wrong_types() -> None:
    with format_context(language="fa"):
        assert render("[{{ d|caldate }}]", d=None) == "[]"
        assert render("[{{ d|caldate }}]") == "[]"
        assert render("[{{ d|caldate }}]", d="not a date") == "[not a date]"


def test_caldatetime() -> None:
    moment = dt.datetime(2026, 11, 23, 21, 0, tzinfo=dt.UTC)
    with format_context(language="fa", time_zone="Asia/Tehran"):
        assert render("{{ m|caldatetime }}", m=moment) == "۱۴۰۵/۰۹/۰۳ ۰۰:۳۰"
        assert render("{{ m|caldate }}", m=moment) == "۱۴۰۵/۰۹/۰۳"
        assert render("{{ d|caldatetime }}", d=DAY) == "۱۴۰۵/۰۹/۰۲"
    with format_context(language="th", time_zone="Asia/Bangkok"):
        assert render("{{ m|caldatetime }}", m=moment) == "24/11/2569 04:00"


def test_calnumber_and_money() -> None:
    with format_context(language="fa"):
        assert render("{{ n|calnumber }}", n=1234567) == "۱٬۲۳۴٬۵۶۷"
        assert render("{{ n|calnumber:2 }}", n=Decimal("12.5")) == "۱۲٫۵۰"
        assert render('{{ a|money:"IRR" }}', a=Decimal("1500000")) == "\u200eریال\u00a0۱٬۵۰۰٬۰۰۰"
        assert render("{{ a|money:c }}", a="99.5", c="USD") == "\u200e$\u00a0۹۹٫۵۰"
    with format_context(language="th"):
        assert render('{{ a|money:"THB" }}', a=Decimal("1234.5")) == "฿1,234.50"
    with format_context(language="th", digits="thai"):
        assert render('{{ a|money:"THB" }}', a=Decimal("1234.5")) == "฿๑,๒๓๔.๕๐"
    with format_context(language="en"):
        assert render("{{ n|calnumber }}", n=1234.5) == "1,234.5"
        assert render('{{ a|money:"USD" }}', a=10) == "$10.00"
        assert render("[{{ a|money:'USD' }}][{{ n|calnumber }}]", a=None, n="") == "[][]"
        assert render("{{ n|calnumber }}", n="n/a") == "n/a"


def test_digits_filter() -> None:
    with format_context(language="fa"):
        assert render("{{ p|digits }}", p="+98 912 123 4567") == "+۹۸ ۹۱۲ ۱۲۳ ۴۵۶۷"
        assert render("{{ p|digits }}", p=42) == "۴۲"
    with format_context(language="th", digits="thai"):
        assert render("{{ p|digits }}", p="081-234-5678") == "๐๘๑-๒๓๔-๕๖๗๘"
    with format_context(language="en"):
        assert render("{{ p|digits }}", p="۰۹۱۲") == "0912"


def test_filters_escape_their_input() -> None:
    with format_context(language="en"):
        assert render("{{ p|digits }}", p="<b>1</b>") == "&lt;b&gt;1&lt;/b&gt;"


def test_date_format_hint_tag() -> None:
    with format_context(language="fa"):
        assert render("{% date_format_hint %}") == "۱۴۰۵/۰۸/۲۴"
    with format_context(language="th"):
        assert render("{% date_format_hint %}") == "15/11/2569"
    with format_context(language="en"):
        assert render("{% date_format_hint %}") == "2026-11-15"


# ------------------------------------------------------------------------------------------ form field


class DateForm(forms.Form):
    when = CalendarDateField(required=False)


def test_widget_renders_current_calendar_with_hint() -> None:
    with format_context(language="fa"):
        html = str(DateForm(initial={"when": DAY})["when"])
    assert 'value="۱۴۰۵/۰۹/۰۲"' in html
    assert 'placeholder="۱۴۰۵/۰۸/۲۴"' in html
    assert 'dir="ltr"' in html
    assert 'inputmode="decimal"' in html


@pytest.mark.parametrize(
    ("language", "digits", "shown"),
    [
        ("fa", None, "۱۴۰۵/۰۹/۰۲"),
        ("th", None, "23/11/2569"),
        ("th", "thai", "๒๓/๑๑/๒๕๖๙"),
        ("en", None, "2026-11-23"),
    ],
)
def test_field_accepts_what_the_widget_renders(language: str, digits: str | None, shown: str) -> None:
    with format_context(language=language, digits=digits):
        assert CalendarDateInput().format_value(DAY) == shown
        form = DateForm(data={"when": shown})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["when"] == DAY
        assert not DateForm(data={"when": shown}, initial={"when": DAY}).has_changed()


def test_field_errors_carry_the_parser_message() -> None:
    with format_context(language="fa"):
        form = DateForm(data={"when": "1405/12/31"})
        assert not form.is_valid()
        assert "1405/12/31" in form.errors["when"][0]
        form = DateForm(data={"when": "tomorrow"})
        assert not form.is_valid()
        assert "۱۴۰۵/۰۸/۲۴" in form.errors["when"][0]  # shows an example of the format
        bound = str(form["when"])
        assert 'value="tomorrow"' in bound  # invalid input is shown back as typed


def test_field_empty_and_required() -> None:
    for blank in ("", "  "):
        form = DateForm(data={"when": blank})
        assert form.is_valid()
        assert form.cleaned_data["when"] is None

    class Required(forms.Form):
        when = CalendarDateField()

    assert not Required(data={"when": ""}).is_valid()


@settings(max_examples=150, deadline=None)
@given(
    day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
    language=st.sampled_from(["fa", "th", "en"]),
    calendar=st.sampled_from(["jalali", "buddhist", "gregorian"]),
    digits=st.sampled_from(["latin", "persian", "thai"]),
)
def test_field_round_trip(day: dt.date, language: str, calendar: str, digits: str) -> None:
    with format_context(language=language, calendar=calendar, digits=digits):
        shown = CalendarDateInput().format_value(day)
        assert shown is not None
        assert CalendarDateField().clean(shown) == day
