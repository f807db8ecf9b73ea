"""Dates and numbers in the Gregorian, Jalali (Solar Hijri) and Thai Buddhist-era calendars.

This is the one module that turns dates and numbers into text for people and back. Storage is always a
Gregorian :class:`datetime.date` / aware :class:`datetime.datetime`; calendars only exist at the edges.

Formatting follows a :class:`FormatContext` (calendar, digits, language, time zone) held in a
:class:`contextvars.ContextVar`. When none is active, one is derived from Django's active language and time
zone: Persian → Jalali with Persian digits, Thai → Buddhist era with Latin digits, anything else →
Gregorian with Latin digits. Middleware can :func:`activate_format` a user's or workspace's preferences.

Invariants (checked by the tests):

* ``parse_date(format_date(d, ctx, style), ctx) == d`` for every calendar, digit system, style and
  language, for all dates 1900-01-01 … 2100-12-31 — in fact wherever the year rules of
  :func:`parse_date` can tell the year apart: Jalali years 100–1699 (721–2320 CE), Buddhist-era years
  above 2400 (1858 CE on) and Gregorian years 100–9999.
* :func:`parse_date` accepts any digits (Latin, Persian, Arabic-Indic, Thai), the separators ``/ - .``
  and spaces, and always accepts ISO ``YYYY-MM-DD``. It never guesses silently: input it cannot read
  exactly raises :class:`ValueError` with a translated message.
* Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache
from typing import Final, Literal
from zoneinfo import ZoneInfo

import jdatetime
from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.dates import get_day_names, get_month_names
from babel.numbers import format_currency, format_decimal
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from peyvand.core.text import DIGIT_SYSTEMS, localize_digits, normalize

__all__ = [
    "CalendarSystem",
    "DateStyle",
    "FormatContext",
    "activate_format",
    "current_format",
    "date_format_hint",
    "deactivate_format",
    "default_calendar",
    "default_digits",
    "format_context",
    "format_date",
    "format_datetime",
    "format_money",
    "format_number",
    "make_format",
    "month_bounds",
    "month_of",
    "parse_date",
    "quarter_bounds",
    "quarter_of",
    "year_bounds",
]


class CalendarSystem(models.TextChoices):
    """Calendars a workspace or user can choose; usable as a model field's ``choices``."""

    GREGORIAN = "gregorian", _("Gregorian")
    JALALI = "jalali", _("Jalali (Solar Hijri)")
    BUDDHIST = "buddhist", _("Buddhist era (Thai)")


DateStyle = Literal["short", "medium", "long"]
DATE_STYLES: Final[tuple[str, ...]] = ("short", "medium", "long")

#: Thai Buddhist era: BE year = CE year + 543 (the year has begun on 1 January since 1941).
BUDDHIST_ERA_OFFSET: Final = 543
#: In a Jalali context a numeric year below this is Jalali, from it on it is Gregorian (ISO input).
JALALI_YEAR_LIMIT: Final = 1700
#: In a Buddhist context a numeric year above this is Buddhist era, up to it it is Gregorian.
BUDDHIST_YEAR_LIMIT: Final = 2400

# A date whose day is > 12 in every calendar, so the hint shows the field order unambiguously:
# 2026-11-15 = 1405/08/24 (Jalali) = 15/11/2569 (BE).
_HINT_DATE: Final = dt.date(2026, 11, 15)


# ------------------------------------------------------------------------------------------ context


def _language_base(language: str) -> str:
    return language.replace("_", "-").split("-", 1)[0].lower()


def default_calendar(language: str) -> str:
    """Calendar used when none is chosen: ``fa`` → Jalali, ``th`` → Buddhist era, otherwise Gregorian."""
    base = _language_base(language)
    if base == "fa":
        return CalendarSystem.JALALI.value
    if base == "th":
        return CalendarSystem.BUDDHIST.value
    return CalendarSystem.GREGORIAN.value


def default_digits(language: str) -> str:
    """Digits used when none are chosen: Persian for ``fa``, Latin otherwise (Thai users mostly type 0-9)."""
    return "persian" if _language_base(language) == "fa" else "latin"


@dataclass(frozen=True, slots=True)
class FormatContext:
    """How to show dates and numbers: calendar, digit system, language (Django code) and IANA time zone."""

    calendar: str
    digits: str
    language: str
    time_zone: str

    def __post_init__(self) -> None:
        if self.calendar not in CalendarSystem.values:
            raise ValueError(f"unknown calendar {self.calendar!r}; expected one of {CalendarSystem.values}")
        if self.digits not in DIGIT_SYSTEMS:
            raise ValueError(f"unknown digit system {self.digits!r}; expected one of {sorted(DIGIT_SYSTEMS)}")
        # Store plain strings even when given CalendarSystem members.
        object.__setattr__(self, "calendar", str(CalendarSystem(self.calendar).value))


_active_format: ContextVar[FormatContext | None] = ContextVar("peyvand_format_context", default=None)


def make_format(
    *,
    language: str | None = None,
    calendar: str | None = None,
    digits: str | None = None,
    time_zone: str | None = None,
) -> FormatContext:
    """Build a context; anything not given is derived (language from Django, calendar/digits from language,
    time zone from Django's current time zone)."""
    lang = language or translation.get_language() or "en"
    return FormatContext(
        calendar=calendar or default_calendar(lang),
        digits=digits or default_digits(lang),
        language=lang,
        time_zone=time_zone or timezone.get_current_timezone_name(),
    )


def current_format() -> FormatContext:
    """The active context, or one derived from Django's active language and time zone right now."""
    ctx = _active_format.get()
    return ctx if ctx is not None else make_format()


def activate_format(ctx: FormatContext | None) -> Token[FormatContext | None]:
    """Make ``ctx`` current (``None``: derive from Django again); give the token to :func:`deactivate_format`.

    Code that activates a context per request must reset it afterwards: in WSGI servers the thread's
    context outlives the request.
    """
    return _active_format.set(ctx)


def deactivate_format(token: Token[FormatContext | None]) -> None:
    """Restore the context that was current before the matching :func:`activate_format`."""
    _active_format.reset(token)


@contextmanager
def format_context(
    *,
    language: str | None = None,
    calendar: str | None = None,
    digits: str | None = None,
    time_zone: str | None = None,
) -> Iterator[FormatContext]:
    """Temporarily use a context built from the current one.

    Giving ``language`` starts afresh from that language (its default calendar and digits unless also
    given); otherwise only the given fields of the current context change.
    """
    base = _active_format.get()
    if base is None or language is not None:
        ctx = make_format(
            language=language,
            calendar=calendar,
            digits=digits,
            time_zone=time_zone or (base.time_zone if base else None),
        )
    else:
        changes = {"calendar": calendar, "digits": digits, "time_zone": time_zone}
        ctx = replace(base, **{key: value for key, value in changes.items() if value is not None})
    token = activate_format(ctx)
    try:
        yield ctx
    finally:
        deactivate_format(token)


# ------------------------------------------------------------------------------------------ names

JALALI_MONTHS_FA: Final = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)
JALALI_MONTHS_LATIN: Final = (
    "Farvardin",
    "Ordibehesht",
    "Khordad",
    "Tir",
    "Mordad",
    "Shahrivar",
    "Mehr",
    "Aban",
    "Azar",
    "Dey",
    "Bahman",
    "Esfand",
)
# Other common spellings accepted when parsing.
_JALALI_MONTH_ALIASES: Final[dict[str, int]] = {
    "Amordad": 5,
    "امرداد": 5,
    "Dei": 10,
    "Day": 10,
    "Espand": 12,
}
# Era markers and filler words that may appear in medium/long dates and carry no information we need.
_FILLER_WORDS: Final = (
    "พ.ศ.",
    "พ.ศ",
    "ค.ศ.",
    "ค.ศ",
    "ที่",
    "วันที่",
    "BE",
    "B.E.",
    "AD",
    "A.D.",
    "CE",
    "C.E.",
    "AP",
    "SH",
    "ه.ش.",
    "هجری شمسی",
    "شمسی",
    "میلادی",
    "م.",
)


@lru_cache(maxsize=32)
def _babel_locale(language: str) -> Locale:
    for candidate in (language.replace("-", "_"), _language_base(language)):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return Locale.parse("en")


def _month_name(calendar: str, month: int, language: str, *, abbreviated: bool = False) -> str:
    if calendar == CalendarSystem.JALALI:
        return (JALALI_MONTHS_FA if _language_base(language) == "fa" else JALALI_MONTHS_LATIN)[month - 1]
    width: Literal["abbreviated", "wide"] = "abbreviated" if abbreviated else "wide"
    return str(get_month_names(width, locale=_babel_locale(language))[month])


def _weekday_name(day: dt.date, language: str) -> str:
    return str(get_day_names("wide", locale=_babel_locale(language))[day.weekday()])


def _parse_languages(language: str) -> tuple[str, ...]:
    return (language, "en") if _language_base(language) != "en" else (language,)


_MONTH_WIDTHS: Final[tuple[Literal["wide", "abbreviated"], ...]] = ("wide", "abbreviated")
_MONTH_CONTEXTS: Final[tuple[Literal["format", "stand-alone"], ...]] = ("format", "stand-alone")


@lru_cache(maxsize=32)
def _date_words(calendar: str, language: str) -> tuple[re.Pattern[str], dict[str, int]]:
    """A regex matching (normalized) month names, weekday names and filler words, and the month of each."""
    months: dict[str, int] = {}
    skips: set[str] = {normalize(word) for word in _FILLER_WORDS}

    def add_month(name: str, month: int) -> None:
        months.setdefault(normalize(name), month)

    if calendar == CalendarSystem.JALALI:
        for month, (fa_name, latin_name) in enumerate(
            zip(JALALI_MONTHS_FA, JALALI_MONTHS_LATIN, strict=True), 1
        ):
            add_month(fa_name, month)
            add_month(latin_name, month)
        for alias, month in _JALALI_MONTH_ALIASES.items():
            add_month(alias, month)
    for lang in _parse_languages(language):
        locale = _babel_locale(lang)
        if calendar != CalendarSystem.JALALI:
            for context in _MONTH_CONTEXTS:
                for width in _MONTH_WIDTHS:
                    for month, name in get_month_names(width, context, locale).items():
                        add_month(str(name), int(month))
        # Wide weekday names only: Thai abbreviations (จ. อ. พ.) would match inside other words.
        skips.update(normalize(str(name)) for name in get_day_names("wide", locale=locale).values())
        skips.update(normalize(str(name)) for name in locale.eras["abbreviated"].values())
    skips -= set(months)

    alternatives: list[str] = []
    for word in sorted(set(months) | skips, key=len, reverse=True):
        if not word:
            continue
        if re.search("[\u0e00-\u0e7f]", word):
            alternatives.append(re.escape(word))  # Thai has no spaces between words
        else:
            alternatives.append(rf"(?<![^\W\d_]){re.escape(word)}(?![^\W\d_])")
    return re.compile("|".join(alternatives)), months


# ------------------------------------------------------------------------------------------ dates


def _to_calendar(day: dt.date, calendar: str) -> tuple[int, int, int]:
    if calendar == CalendarSystem.JALALI:
        jday = jdatetime.date.fromgregorian(date=day)
        return jday.year, jday.month, jday.day
    if calendar == CalendarSystem.BUDDHIST:
        return day.year + BUDDHIST_ERA_OFFSET, day.month, day.day
    return day.year, day.month, day.day


def _from_calendar(year: int, month: int, day: int, calendar: str) -> dt.date:
    """Gregorian date for a calendar date; :class:`ValueError` if it does not exist."""
    if calendar == CalendarSystem.JALALI:
        gregorian: dt.date = jdatetime.date(year, month, day).togregorian()
        return gregorian
    if calendar == CalendarSystem.BUDDHIST:
        return dt.date(year - BUDDHIST_ERA_OFFSET, month, day)
    return dt.date(year, month, day)


def _local_date(value: dt.date, ctx: FormatContext) -> dt.date:
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(ZoneInfo(ctx.time_zone))
        return value.date()
    return value


def format_date(value: dt.date, ctx: FormatContext | None = None, style: str = "short") -> str:
    """Format a (Gregorian) date in the context's calendar, language and digits.

    ``short`` is numeric: Jalali ``1405/09/02``, Buddhist ``23/11/2569``, Gregorian ISO ``2026-11-23``.
    ``medium`` adds the month name (``2 آذر 1405``, ``23 พ.ย. 2569``; Gregorian: Babel's medium format) and
    ``long`` the weekday too (Gregorian: Babel's full format). Jalali month names are Persian in ``fa`` and
    transliterated (Farvardin … Esfand) otherwise. Aware datetimes are first converted to the context's
    time zone. Dates a calendar cannot express (Jalali before 622 CE) fall back to ISO Gregorian.
    """
    ctx = ctx or current_format()
    if style not in DATE_STYLES:
        raise ValueError(f"unknown date style {style!r}; expected one of {DATE_STYLES}")
    day = _local_date(value, ctx)
    calendar = ctx.calendar
    try:
        year, month, dom = _to_calendar(day, calendar)
    except ValueError:
        calendar, (year, month, dom) = CalendarSystem.GREGORIAN.value, (day.year, day.month, day.day)
        style = "short"

    base = _language_base(ctx.language)
    if style == "short":
        if calendar == CalendarSystem.JALALI:
            text = f"{year:04d}/{month:02d}/{dom:02d}"
        elif calendar == CalendarSystem.BUDDHIST:
            text = f"{dom:02d}/{month:02d}/{year:04d}"
        else:
            text = f"{year:04d}-{month:02d}-{dom:02d}"
    elif calendar == CalendarSystem.GREGORIAN:
        text = babel_format_date(
            day, "medium" if style == "medium" else "full", locale=_babel_locale(ctx.language)
        )
    else:
        buddhist = calendar == CalendarSystem.BUDDHIST
        month_name = _month_name(calendar, month, ctx.language, abbreviated=buddhist and style == "medium")
        text = f"{dom} {month_name} {year}"
        if style == "long":
            weekday = _weekday_name(day, ctx.language)
            if base == "th":
                text = f"{weekday}ที่ {dom} {month_name} {'พ.ศ. ' if buddhist else ''}{year}"
            elif base == "fa":
                text = f"{weekday} {text}"
            else:
                text = f"{weekday}, {text}{' BE' if buddhist else ''}"
    return localize_digits(text, ctx.digits)


def format_datetime(value: dt.datetime, ctx: FormatContext | None = None) -> str:
    """Short date plus ``HH:MM`` (24 h), in the context's time zone when ``value`` is aware."""
    ctx = ctx or current_format()
    if not isinstance(value, dt.datetime):
        return format_date(value, ctx)
    if timezone.is_aware(value):
        value = value.astimezone(ZoneInfo(ctx.time_zone))
    return f"{format_date(value.date(), ctx)} {localize_digits(value.strftime('%H:%M'), ctx.digits)}"


def date_format_hint(ctx: FormatContext | None = None) -> str:
    """An example of the short format for placeholders, e.g. ``۱۴۰۵/۰۸/۲۴`` (a day > 12 everywhere)."""
    return format_date(_HINT_DATE, ctx or current_format(), "short")


_SEPARATORS_RE: Final = re.compile(r"[\s/\-.,،٫٬\u2010-\u2015]*")
_NUMBER_RE: Final = re.compile(r"[0-9]+")


def _invalid(text: str, ctx: FormatContext) -> ValueError:
    return ValueError(
        gettext("“%(value)s” is not a date this field understands. Enter a date like %(example)s.")
        % {"value": text.strip(), "example": date_format_hint(ctx)}
    )


def _impossible(text: str, calendar: str) -> ValueError:
    return ValueError(
        gettext("There is no date “%(value)s” in the %(calendar)s calendar.")
        % {"value": text.strip(), "calendar": CalendarSystem(calendar).label}
    )


def parse_date(text: str, ctx: FormatContext | None = None) -> dt.date:
    """Read a date typed in the context's calendar; returns the Gregorian :class:`datetime.date`.

    Accepts everything :func:`format_date` produces in ``ctx`` (any style), in any digits (Latin, Persian,
    Arabic-Indic, Thai), with ``/ - .`` or spaces as separators and single-digit days/months.

    Numeric input is year-first when the first number has 3+ digits (``1405/9/2``, ``2026-11-23``) and
    day-first when the last one has (``23/11/2569``; not in a Gregorian context, where ``11/12/2026`` would
    be ambiguous). The calendar of the year:

    * Gregorian context: always Gregorian.
    * Jalali context: a year < 1700 is Jalali, any other is Gregorian (so ISO ``2026-11-23`` works).
    * Buddhist context: a year > 2400 is Buddhist era, any other is Gregorian.

    With a month name (medium/long styles), exactly a day and a year must remain besides weekday names and
    era markers, and the name decides the month. Raises :class:`ValueError` with a translated message for
    anything else, and for dates that do not exist (``1405/12/31``: 1405 is not a leap year).
    """
    ctx = ctx or current_format()
    pattern, month_names = _date_words(ctx.calendar, ctx.language)
    found_months: list[int] = []

    def take(match: re.Match[str]) -> str:
        month = month_names.get(match.group(0))
        if month is not None:
            found_months.append(month)
        return " "

    rest = pattern.sub(take, normalize(text))
    numbers = _NUMBER_RE.findall(rest)
    if not numbers or _SEPARATORS_RE.fullmatch(_NUMBER_RE.sub(" ", rest)) is None:
        raise _invalid(text, ctx)

    if found_months:
        if len(found_months) != 1 or len(numbers) != 2:
            raise _invalid(text, ctx)
        month_text = f"{found_months[0]:02d}"
        long_first = len(numbers[0]) >= 3
        year_text, day_text = (numbers[0], numbers[1]) if long_first else (numbers[1], numbers[0])
    else:
        if len(numbers) != 3:
            raise _invalid(text, ctx)
        if len(numbers[0]) >= 3:
            year_text, month_text, day_text = numbers
        elif len(numbers[2]) >= 3 and ctx.calendar != CalendarSystem.GREGORIAN:
            day_text, month_text, year_text = numbers
        else:
            raise _invalid(text, ctx)
    if not (3 <= len(year_text) <= 5 and len(month_text) <= 2 and len(day_text) <= 2):
        raise _invalid(text, ctx)
    year, month, day = int(year_text), int(month_text), int(day_text)

    if ctx.calendar == CalendarSystem.JALALI:
        calendar = CalendarSystem.JALALI if year < JALALI_YEAR_LIMIT else CalendarSystem.GREGORIAN
        if found_months and calendar != CalendarSystem.JALALI:
            raise _invalid(text, ctx)  # a Jalali month name with a Gregorian-looking year
    elif ctx.calendar == CalendarSystem.BUDDHIST:
        calendar = CalendarSystem.BUDDHIST if year > BUDDHIST_YEAR_LIMIT else CalendarSystem.GREGORIAN
    else:
        calendar = CalendarSystem.GREGORIAN
    try:
        return _from_calendar(year, month, day, calendar)
    except (ValueError, OverflowError):
        raise _impossible(text, calendar) from None


# ------------------------------------------------------------------------------------------ periods


def month_of(day: dt.date, calendar: str) -> tuple[int, int]:
    """``(year, month)`` of a Gregorian date in ``calendar`` (e.g. 2026-11-23 → (1405, 9) in Jalali)."""
    year, month, _day = _to_calendar(day, calendar)
    return year, month


def quarter_of(day: dt.date, calendar: str) -> tuple[int, int]:
    """``(year, quarter 1-4)`` in ``calendar``; Jalali quarters are the seasons (Farvardin–Khordad = 1)."""
    year, month = month_of(day, calendar)
    return year, (month - 1) // 3 + 1


def month_bounds(year: int, month: int, calendar: str) -> tuple[dt.date, dt.date]:
    """First and last Gregorian date of a calendar month (Esfand has 30 days in a Jalali leap year)."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, not {month}")
    first = _from_calendar(year, month, 1, calendar)
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    return first, _from_calendar(next_year, next_month, 1, calendar) - dt.timedelta(days=1)


def quarter_bounds(year: int, quarter: int, calendar: str) -> tuple[dt.date, dt.date]:
    """First and last Gregorian date of a calendar quarter."""
    if not 1 <= quarter <= 4:
        raise ValueError(f"quarter must be 1..4, not {quarter}")
    first, _last = month_bounds(year, 3 * quarter - 2, calendar)
    _first, last = month_bounds(year, 3 * quarter, calendar)
    return first, last


def year_bounds(year: int, calendar: str) -> tuple[dt.date, dt.date]:
    """First and last Gregorian date of a calendar year (Jalali: 1 Farvardin … 29/30 Esfand)."""
    return month_bounds(year, 1, calendar)[0], month_bounds(year, 12, calendar)[1]


# ------------------------------------------------------------------------------------------ numbers


def _numbering_system(ctx: FormatContext) -> str:
    # Persian digits go with the locale's own separators (٬ ٫); Latin digits with the Latin ones (, .).
    return "latn" if ctx.digits == "latin" else "default"


def format_number(
    value: int | float | Decimal, ctx: FormatContext | None = None, decimals: int | None = None
) -> str:
    """Group and punctuate a number for the context's language (Babel), then localize its digits.

    ``decimals=None`` shows up to three fraction digits as needed; an int shows exactly that many.
    ``format_number(1234567.5)`` is ``1,234,567.5`` in English and ``۱٬۲۳۴٬۵۶۷٫۵`` in Persian.
    """
    ctx = ctx or current_format()
    pattern = None if decimals is None else "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    text = format_decimal(
        value, format=pattern, locale=_babel_locale(ctx.language), numbering_system=_numbering_system(ctx)
    )
    return localize_digits(text, ctx.digits)


def format_money(amount: Decimal, currency: str, ctx: FormatContext | None = None) -> str:
    """Format an amount in an ISO 4217 currency with the locale's pattern and the currency's usual decimals
    (IRR none, THB/USD two), then localize digits: ``‎ریال ۱٬۲۳۴٬۵۶۸`` (fa), ``฿1,234.50`` (th)."""
    ctx = ctx or current_format()
    text = format_currency(
        amount, currency, locale=_babel_locale(ctx.language), numbering_system=_numbering_system(ctx)
    )
    return localize_digits(text, ctx.digits)
