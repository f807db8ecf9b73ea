"""Calendars, date parsing/formatting round trips, report periods and number/money formatting."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from peyvand.core.calendars import (
    CalendarSystem,
    FormatContext,
    activate_format,
    current_format,
    date_format_hint,
    deactivate_format,
    default_calendar,
    default_digits,
    format_context,
    format_date,
    format_datetime,
    format_money,
    format_number,
    make_format,
    month_bounds,
    month_of,
    parse_date,
    quarter_bounds,
    quarter_of,
    year_bounds,
)

CALENDARS = [c.value for c in CalendarSystem]
DIGITS = ["latin", "persian", "thai"]
STYLES = ["short", "medium", "long"]
LANGUAGES = ["fa", "th", "en"]


def ctx(
    calendar: str = "gregorian", digits: str = "latin", language: str = "en", tz: str = "UTC"
) -> FormatContext:
    return FormatContext(calendar=calendar, digits=digits, language=language, time_zone=tz)


FA = ctx("jalali", "persian", "fa")
TH = ctx("buddhist", "latin", "th")
EN = ctx("gregorian", "latin", "en")


# ------------------------------------------------------------------------------------------ known dates


@pytest.mark.parametrize(
    ("day", "context", "expected"),
    [
        (dt.date(2026, 11, 23), ctx("jalali"), "1405/09/02"),
        (dt.date(2026, 11, 23), FA, "۱۴۰۵/۰۹/۰۲"),
        (dt.date(2026, 11, 23), TH, "23/11/2569"),
        (dt.date(2026, 11, 23), ctx("buddhist", "thai", "th"), "๒๓/๑๑/๒๕๖๙"),
        (dt.date(2026, 11, 23), EN, "2026-11-23"),
        (dt.date(2025, 3, 21), ctx("jalali"), "1404/01/01"),  # Nowruz 1404
        (dt.date(2025, 3, 20), ctx("jalali"), "1403/12/30"),  # 30 Esfand of leap year 1403
        (dt.date(1979, 2, 11), ctx("jalali"), "1357/11/22"),
        (dt.date(2000, 1, 1), ctx("buddhist"), "01/01/2543"),
    ],
)
def test_known_short_dates(day: dt.date, context: FormatContext, expected: str) -> None:
    assert format_date(day, context) == expected
    assert parse_date(expected, context) == day


@pytest.mark.parametrize(
    ("context", "style", "expected"),
    [
        (FA, "medium", "۲ آذر ۱۴۰۵"),
        (FA, "long", "دوشنبه ۲ آذر ۱۴۰۵"),
        (ctx("jalali", "latin", "en"), "medium", "2 Azar 1405"),
        (ctx("jalali", "latin", "en"), "long", "Monday, 2 Azar 1405"),
        (TH, "medium", "23 พ.ย. 2569"),
        (TH, "long", "วันจันทร์ที่ 23 พฤศจิกายน พ.ศ. 2569"),
        (ctx("buddhist", "latin", "en"), "long", "Monday, 23 November 2569 BE"),
        (EN, "medium", "Nov 23, 2026"),
        (EN, "long", "Monday, November 23, 2026"),
        (ctx("gregorian", "persian", "fa"), "medium", "۲۳ نوامبر ۲۰۲۶"),
    ],
)
def test_month_name_styles(context: FormatContext, style: str, expected: str) -> None:
    day = dt.date(2026, 11, 23)
    assert format_date(day, context, style) == expected
    assert parse_date(expected, context) == day


def test_every_jalali_month_name_in_persian() -> None:
    names = [format_date(month_bounds(1405, m, "jalali")[0], FA, "medium").split()[1] for m in range(1, 13)]
    expected = "فروردین اردیبهشت خرداد تیر مرداد شهریور مهر آبان آذر دی بهمن اسفند"
    assert names == expected.split(" ")


def test_thai_month_names_for_buddhist_era() -> None:
    january = format_date(dt.date(2026, 1, 5), TH, "long")
    assert "มกราคม" in january
    assert january.endswith("พ.ศ. 2569")


# ------------------------------------------------------------------------------------------ round trip

_DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("digits", DIGITS)
@pytest.mark.parametrize("calendar", CALENDARS)
@settings(max_examples=60, deadline=None)
@given(day=_DATES, language=st.sampled_from(LANGUAGES))
def test_parse_inverts_format(calendar: str, digits: str, style: str, day: dt.date, language: str) -> None:
    context = ctx(calendar, digits, language)
    assert parse_date(format_date(day, context, style), context) == day


@settings(max_examples=200, deadline=None)
@given(day=_DATES, calendar=st.sampled_from(CALENDARS), digits=st.sampled_from(DIGITS))
def test_parse_accepts_other_digits_and_separators(day: dt.date, calendar: str, digits: str) -> None:
    shown = format_date(day, ctx(calendar, digits, "fa"))
    reading = ctx(calendar, "latin", "en")  # digits of the reading context do not matter
    for separator in ("/", "-", ".", " ", " / "):
        typed = shown.replace("/", separator).replace("-", separator) if separator != "/" else shown
        assert parse_date(typed, reading) == day


@settings(max_examples=200, deadline=None)
@given(day=_DATES, calendar=st.sampled_from(CALENDARS))
def test_iso_is_always_accepted(day: dt.date, calendar: str) -> None:
    assert parse_date(day.isoformat(), ctx(calendar)) == day


def test_unpadded_and_mixed_digits() -> None:
    assert parse_date("۱۴۰۵-۹-۲", FA) == dt.date(2026, 11, 23)
    assert parse_date("١٤٠٥.٠٩.٠٢", FA) == dt.date(2026, 11, 23)
    assert parse_date(" 1405 9 2 ", FA) == dt.date(2026, 11, 23)
    assert parse_date("๒๓/๑๑/๒๕๖๙", TH) == dt.date(2026, 11, 23)
    assert parse_date("2 آذر ۱۴۰۵", FA) == dt.date(2026, 11, 23)
    assert parse_date("2 azar 1405", FA) == dt.date(2026, 11, 23)
    assert parse_date("23 พฤศจิกายน 2569", TH) == dt.date(2026, 11, 23)
    assert parse_date("23 November 2569", TH) == dt.date(2026, 11, 23)


def test_year_rules_decide_the_calendar() -> None:
    # Jalali context: year < 1700 is Jalali, otherwise Gregorian.
    assert parse_date("1699/01/01", ctx("jalali")) == dt.date(2320, 3, 21)
    assert parse_date("1700/01/01", ctx("jalali")) == dt.date(1700, 1, 1)
    # Buddhist context: year > 2400 is Buddhist era, otherwise Gregorian.
    assert parse_date("01/01/2401", TH) == dt.date(1858, 1, 1)
    assert parse_date("23/11/2026", TH) == dt.date(2026, 11, 23)
    # Gregorian context: always Gregorian.
    assert parse_date("1405-09-02", EN) == dt.date(1405, 9, 2)


# ------------------------------------------------------------------------------------------ leap years


def test_jalali_leap_years() -> None:
    assert parse_date("1403/12/30", ctx("jalali")) == dt.date(2025, 3, 20)  # 1403 is leap
    for impossible in ("1404/12/30", "1405/12/31", "1405/12/30"):
        with pytest.raises(ValueError, match="no date"):
            parse_date(impossible, ctx("jalali"))


def test_gregorian_and_buddhist_leap_years() -> None:
    assert parse_date("2024-02-29", EN) == dt.date(2024, 2, 29)
    assert parse_date("29/02/2567", TH) == dt.date(2024, 2, 29)
    assert parse_date("2000-02-29", EN) == dt.date(2000, 2, 29)
    for text, context in (("2026-02-29", EN), ("1900-02-29", EN), ("29/02/2569", TH)):
        with pytest.raises(ValueError, match="no date"):
            parse_date(text, context)


# ------------------------------------------------------------------------------------------ garbage


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "garbage",
        "1405/09",
        "1405/09/02/01",
        "12/11/26",  # two-digit year
        "1405/123/1",
        "2 Foo 1405",
        "2 آذر",
        "آذر دی 1405",
        "1405/09/02 abc",
        "1405/09/02 12:30",
    ],
)
@pytest.mark.parametrize("context", [FA, TH, EN], ids=["fa", "th", "en"])
def test_garbage_is_rejected(text: str, context: FormatContext) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        parse_date(text, context)


def test_day_first_is_refused_in_gregorian_context() -> None:
    with pytest.raises(ValueError, match="2026-11-15"):  # the message shows the expected format
        parse_date("11/12/2026", EN)


@pytest.mark.parametrize("text", ["1405/13/01", "1405/00/10", "1405/01/32", "1405/07/31", "0/0/0000"])
def test_impossible_jalali_dates_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text, FA)


def test_jalali_month_name_with_gregorian_year_is_rejected() -> None:
    with pytest.raises(ValueError):
        parse_date("2 آذر 2026", FA)


# ------------------------------------------------------------------------------------------ periods


def test_month_bounds_esfand() -> None:
    first, last = month_bounds(1403, 12, "jalali")
    assert (first, last) == (dt.date(2025, 2, 19), dt.date(2025, 3, 20))
    assert (last - first).days + 1 == 30  # leap year
    first, last = month_bounds(1404, 12, "jalali")
    assert (last - first).days + 1 == 29


def test_month_bounds_other_calendars() -> None:
    assert month_bounds(2024, 2, "gregorian") == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert month_bounds(2567, 2, "buddhist") == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert month_bounds(1405, 1, "jalali") == (dt.date(2026, 3, 21), dt.date(2026, 4, 20))
    with pytest.raises(ValueError, match="month"):
        month_bounds(1405, 13, "jalali")


def test_month_quarter_and_year_of() -> None:
    day = dt.date(2026, 11, 23)
    assert month_of(day, "jalali") == (1405, 9)
    assert month_of(day, "buddhist") == (2569, 11)
    assert month_of(day, "gregorian") == (2026, 11)
    assert quarter_of(day, "jalali") == (1405, 3)  # autumn: Mehr–Azar
    assert quarter_of(day, "gregorian") == (2026, 4)
    assert quarter_bounds(1405, 1, "jalali") == (dt.date(2026, 3, 21), dt.date(2026, 6, 21))
    assert year_bounds(1403, "jalali") == (dt.date(2024, 3, 20), dt.date(2025, 3, 20))


@settings(max_examples=300, deadline=None)
@given(day=_DATES, calendar=st.sampled_from(CALENDARS))
def test_periods_contain_their_days(day: dt.date, calendar: str) -> None:
    year, month = month_of(day, calendar)
    first, last = month_bounds(year, month, calendar)
    assert first <= day <= last
    assert month_of(first, calendar) == month_of(last, calendar) == (year, month)
    assert month_of(first - dt.timedelta(days=1), calendar) != (year, month)
    assert month_of(last + dt.timedelta(days=1), calendar) != (year, month)
    assert 28 <= (last - first).days + 1 <= 31
    q_year, quarter = quarter_of(day, calendar)
    q_first, q_last = quarter_bounds(q_year, quarter, calendar)
    assert q_first <= first <= last <= q_last


# ------------------------------------------------------------------------------------------ datetimes


def test_format_datetime_converts_to_the_context_time_zone() -> None:
    moment = dt.datetime(2026, 11, 23, 21, 0, tzinfo=dt.UTC)
    assert format_datetime(moment, ctx("jalali", "persian", "fa", "Asia/Tehran")) == "۱۴۰۵/۰۹/۰۳ ۰۰:۳۰"
    assert format_datetime(moment, ctx("buddhist", "latin", "th", "Asia/Bangkok")) == "24/11/2569 04:00"
    assert format_datetime(moment, EN) == "2026-11-23 21:00"
    assert format_datetime(dt.datetime(2026, 11, 23, 8, 5), EN) == "2026-11-23 08:05"  # naive: as is


def test_format_date_of_aware_datetime_uses_local_day() -> None:
    moment = dt.datetime(2026, 11, 23, 21, 0, tzinfo=dt.UTC)
    assert format_date(moment, ctx("gregorian", tz="Asia/Tehran")) == "2026-11-24"


# ------------------------------------------------------------------------------------------ context


def test_defaults_follow_language() -> None:
    assert (default_calendar("fa"), default_digits("fa")) == ("jalali", "persian")
    assert (default_calendar("th"), default_digits("th")) == ("buddhist", "latin")
    assert (default_calendar("en-us"), default_digits("en-us")) == ("gregorian", "latin")
    with translation.override("fa"):
        current = current_format()
        assert (current.language, current.calendar, current.digits) == ("fa", "jalali", "persian")
    with translation.override("th"):
        assert current_format().calendar == "buddhist"
    with translation.override("en"):
        assert current_format().calendar == "gregorian"


def test_format_context_nests_and_resets() -> None:
    with translation.override("en"), format_context(language="fa") as outer:
        assert current_format() == outer
        assert outer.calendar == "jalali"
        with format_context(calendar="gregorian") as inner:
            assert (inner.calendar, inner.digits, inner.language) == ("gregorian", "persian", "fa")
            assert format_date(dt.date(2026, 11, 23)) == "۲۰۲۶-۱۱-۲۳"
        assert current_format() == outer
        with format_context(language="th", digits="thai") as thai:
            assert (thai.calendar, thai.digits) == ("buddhist", "thai")
    with translation.override("en"):
        assert current_format().calendar == "gregorian"


def test_activate_and_deactivate() -> None:
    token = activate_format(TH)
    try:
        assert current_format() is TH
        assert date_format_hint() == "15/11/2569"
    finally:
        deactivate_format(token)
    assert current_format() is not TH


def test_format_context_validation() -> None:
    with pytest.raises(ValueError, match="calendar"):
        ctx("hebrew")
    with pytest.raises(ValueError, match="digit"):
        ctx(digits="roman")
    assert make_format(language="fa", calendar=CalendarSystem.GREGORIAN).calendar == "gregorian"
    assert type(ctx(CalendarSystem.JALALI).calendar) is str


def test_calendar_choices() -> None:
    assert CalendarSystem.values == ["gregorian", "jalali", "buddhist"]
    assert str(CalendarSystem.JALALI.label).startswith("Jalali")


# ------------------------------------------------------------------------------------------ numbers


def test_format_number() -> None:
    value = Decimal("1234567.5")
    assert format_number(value, FA) == "۱٬۲۳۴٬۵۶۷٫۵"
    assert format_number(value, ctx("jalali", "latin", "fa")) == "1,234,567.5"
    assert format_number(value, TH) == "1,234,567.5"
    assert format_number(value, ctx("buddhist", "thai", "th")) == "๑,๒๓๔,๕๖๗.๕"
    assert format_number(value, EN) == "1,234,567.5"
    assert format_number(3, FA, decimals=2) == "۳٫۰۰"
    assert format_number(Decimal("2.345"), EN, decimals=0) == "2"
    assert format_number(-1500, EN) == "-1,500"


def test_format_money() -> None:
    amount = Decimal("1234567.5")
    assert format_money(amount, "IRR", FA) == "\u200eریال\u00a0۱٬۲۳۴٬۵۶۸"  # IRR has no minor unit
    assert format_money(amount, "USD", FA) == "\u200e$\u00a0۱٬۲۳۴٬۵۶۷٫۵۰"
    assert format_money(amount, "THB", TH) == "฿1,234,567.50"
    assert format_money(amount, "THB", ctx("buddhist", "thai", "th")) == "฿๑,๒๓๔,๕๖๗.๕๐"
    assert format_money(amount, "USD", EN) == "$1,234,567.50"
