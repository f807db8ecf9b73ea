"""Checks shared by the browser tests, and a small independent calendar oracle for expected dates."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import Page, expect

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
JALALI_MONTHS_FA = (
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
THAI_MONTHS = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)


def persian_digits(text: str) -> str:
    return text.translate(PERSIAN_DIGITS)


def gregorian_to_jalali(day: dt.date) -> tuple[int, int, int]:
    """Solar Hijri (Jalali) date of a Gregorian date — the classic arithmetic (valid 1600–3000 CE); kept
    here on purpose instead of calling the app's calendar module, so the tests check it independently."""
    month_starts = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)
    gy2 = day.year + 1 if day.month > 2 else day.year
    days = (
        355666
        + 365 * day.year
        + (gy2 + 3) // 4
        - (gy2 + 99) // 100
        + (gy2 + 399) // 400
        + day.day
        + month_starts[day.month - 1]
    )
    jy = -1595 + 33 * (days // 12053)
    days %= 12053
    jy += 4 * (days // 1461)
    days %= 1461
    if days > 365:
        jy += (days - 1) // 365
        days = (days - 1) % 365
    if days < 186:
        return jy, 1 + days // 31, 1 + days % 31
    return jy, 7 + (days - 186) // 30, 1 + (days - 186) % 30


def jalali_short(day: dt.date) -> str:
    """What a Persian user types for `day`: ۱۴۰۵/۰۹/۰۲."""
    year, month, dom = gregorian_to_jalali(day)
    return persian_digits(f"{year:04d}/{month:02d}/{dom:02d}")


def buddhist_short(day: dt.date) -> str:
    """What a Thai user types for `day`: 23/11/2569."""
    return f"{day.day:02d}/{day.month:02d}/{day.year + 543}"


def page_today(page: Page) -> dt.date:
    """The Gregorian date the home page says is today (its <time datetime>)."""
    return dt.date.fromisoformat(page.locator("#pv-today time").get_attribute("datetime") or "")


# ------------------------------------------------------------------------------------------ page checks

_UNLABELLED_JS = """() => {
  const named = (el) => {
    if ((el.getAttribute("aria-label") || "").trim()) return true;
    const by = (el.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean);
    if (by.some((id) => (document.getElementById(id)?.textContent || "").trim())) return true;
    if (el.id) {
      for (const label of document.querySelectorAll(`label[for="${CSS.escape(el.id)}"]`)) {
        if (label.textContent.trim()) return true;
      }
    }
    return false;
  };
  return [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
    .filter((el) => !named(el))
    .map((el) => el.outerHTML.slice(0, 160));
}"""


def assert_labelled(page: Page) -> None:
    """Every form control has a non-empty `<label for>`, aria-label or aria-labelledby."""
    unlabelled = page.evaluate(_UNLABELLED_JS)
    assert not unlabelled, f"form controls without a label on {page.url}: {unlabelled}"


def assert_no_horizontal_overflow(page: Page) -> None:
    widths = page.evaluate(
        "() => ({scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth,"
        " wide: [...document.querySelectorAll('body *')].filter((el) => {"
        "   const r = el.getBoundingClientRect(); return r.right > window.innerWidth + 1 || r.left < -1;"
        " }).filter((el) => !el.closest('.table-responsive')"
        "   || ['absolute', 'fixed'].includes(getComputedStyle(el).position))"
        " .slice(0, 5).map((el) => el.outerHTML.slice(0, 120))})"
    )
    assert widths["scroll"] <= widths["inner"], (
        f"page wider than the screen on {page.url}: {widths['scroll']} > {widths['inner']}; "
        f"elements sticking out: {widths['wide']}"
    )


def assert_direction(page: Page, language: str) -> None:
    """`html[lang][dir]` and the matching Bootstrap stylesheet (RTL only for Persian)."""
    rtl = language == "fa"
    html = page.locator("html")
    expect(html).to_have_attribute("lang", language)
    expect(html).to_have_attribute("dir", "rtl" if rtl else "ltr")
    rtl_css = page.locator("link[rel=stylesheet][href*='bootstrap.rtl.min.css']")
    ltr_css = page.locator("link[rel=stylesheet][href*='bootstrap.min.css']")
    expect(rtl_css).to_have_count(1 if rtl else 0)
    expect(ltr_css).to_have_count(0 if rtl else 1)


def has_latin_digit(text: str) -> bool:
    return re.search(r"[0-9]", text) is not None
