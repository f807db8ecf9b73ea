"""The text normalizer and collation key against the shared i18n cases, plus Hypothesis properties."""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peyvand.core.text import (
    DIGIT_SYSTEMS,
    localize_digits,
    normalize,
    normalize_compact,
    sort_key,
    to_ascii_digits,
)

DATA = Path(__file__).parent / "data" / "i18n-search"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


SEARCH_ROWS = _rows("search_cases.csv")
SORT_ROWS = _rows("sort_cases.csv")


def _matches(stored: str, query: str, mode: str) -> bool:
    if mode == "contains":
        return normalize(query) in normalize(stored)
    if mode == "equals":
        return normalize(stored) == normalize(query)
    if mode == "equals_compact":
        return normalize_compact(stored) == normalize_compact(query)
    raise AssertionError(f"unknown mode {mode}")


@pytest.mark.parametrize("row", SEARCH_ROWS, ids=[row["id"] for row in SEARCH_ROWS])
def test_search_case(row: dict[str, str]) -> None:
    expected = row["expected_match"] == "true"
    assert _matches(row["stored"], row["query"], row["mode"]) is expected


@pytest.mark.parametrize("row", SEARCH_ROWS, ids=[row["id"] for row in SEARCH_ROWS])
def test_search_case_naive_column_shows_the_pitfall(row: dict[str, str]) -> None:
    """The data's naive column is what plain casefold gives (so the normalizer is what makes rows pass)."""
    stored, query = row["stored"].casefold(), row["query"].casefold()
    naive = query in stored if row["mode"] == "contains" else stored == query
    assert naive is (row["naive_casefold_result"] == "true")


def _expected_order(field: str) -> list[str]:
    # "a|b|c (comment)" → [a, b, c]
    return re.sub(r"\s*\(.*\)\s*$", "", field).split("|")


@pytest.mark.parametrize("row", SORT_ROWS, ids=[row["id"] for row in SORT_ROWS])
def test_sort_case(row: dict[str, str]) -> None:
    language = row["lang"].split("+")[0]
    items = row["input (| separated)"].split("|")
    expected = _expected_order(row["expected order"])
    assert sorted(items, key=lambda s: sort_key(s, language)) == expected
    shuffled = items[:]
    random.Random(7).shuffle(shuffled)
    assert sorted(shuffled, key=lambda s: sort_key(s, language)) == expected


# ------------------------------------------------------------------------------------------ specifics


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Ali   \t Rezaei\n", "ali rezaei"),
        ("Café Zoë Ångström", "cafe zoe angstrom"),
        ("Łukasz Søren Đorđe", "lukasz soren dorde"),
        ("ＡＢＣ１２３", "abc123"),  # NFKC: full-width
        ("ﻙﻴﻚ", "کیک"),  # NFKC presentation forms, then Arabic → Persian letters
        ("می\u200cخواهم", "میخواهم"),  # ZWNJ removed
        ("علی\u200f", "علی"),  # RLM removed
        ("أحمد إيران", "احمد ایران"),
        ("مدرسة", "مدرسه"),
        ("۱۲۳٤٥٦๗๘๙", "123456789"),
        ("เเปลก", "แปลก"),  # doubled sara e → sara ae
        ("ก่ํา", "ก่ำ"),  # nikhahit + sara aa → sara am
        ("ก่่", "ก่"),  # repeated tone mark
        ("สวัสดี\u200bครับ", "สวัสดีครับ"),  # ZWSP
        ("Привет Й", "привет й"),  # Cyrillic breve kept
    ],
)
def test_normalize_examples(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_madda_alef_is_not_folded() -> None:
    assert normalize("آرش") != normalize("ارش")
    assert normalize("آرش") == "آرش"


def test_thai_tone_marks_and_leading_vowels_stay_significant() -> None:
    assert normalize("ไก่") != normalize("ไก้")
    assert normalize("ไก่") != normalize("ไก")
    assert normalize("ไก่") != normalize("ใก่")


def test_thai_and_persian_marks_survive_latin_accent_removal() -> None:
    assert normalize("บริษัทไทยพาณิชย์จำกัด") == "บริษัทไทยพาณิชย์จำกัด"
    assert normalize("é ก่") == "e ก่"


def test_thai_substring_search_without_spaces() -> None:
    assert normalize("ไทย") in normalize("บริษัทไทยพาณิชย์จำกัด")


def test_compact_removes_spaces() -> None:
    assert normalize_compact(" رضا  زاده ") == "رضازاده"


def test_digit_helpers() -> None:
    assert to_ascii_digits("۰۹۱۲ ٠٩١٢ ๐๙๑๒ 0912") == "0912 0912 0912 0912"
    assert localize_digits("1405/09/02", "persian") == "۱۴۰۵/۰۹/۰۲"
    assert localize_digits("๒๓/11/٢٥٦٩", "thai") == "๒๓/๑๑/๒๕๖๙"
    assert localize_digits("۱۴۰۵", "latin") == "1405"
    assert set(DIGIT_SYSTEMS) == {"latin", "persian", "thai"}
    with pytest.raises(ValueError, match="unknown digit system"):
        localize_digits("1", "roman")


def test_sort_key_accepts_regional_language_codes() -> None:
    names = ["Somchai", "สมชาย", "กมล"]
    assert sorted(names, key=lambda s: sort_key(s, "th-TH")) == ["กมล", "สมชาย", "Somchai"]
    assert sorted(names, key=lambda s: sort_key(s, "en-us")) == ["Somchai", "กมล", "สมชาย"]


def test_sort_key_latin_is_case_and_accent_insensitive_at_primary_level() -> None:
    names = ["émile", "Zack", "adam", "Édith", "eve", "Adam"]
    assert sorted(names, key=lambda s: sort_key(s, "en")) == ["adam", "Adam", "Édith", "émile", "eve", "Zack"]


def test_sort_key_persian_digits_and_spaces() -> None:
    names = ["علی رضا", "علیرضا", "علی", "۲ شرکت", "1 شرکت"]
    assert sorted(names, key=lambda s: sort_key(s, "fa")) == ["1 شرکت", "۲ شرکت", "علی", "علی رضا", "علیرضا"]


# ------------------------------------------------------------------------------------------ properties

_INTERESTING = list(
    "aAeEéÉ\u0301\u0308ßİıŁø Zz09٠٩۰۹๐๙\t\n\u00a0\u200b\u200c\u200d\u200e\u200f\u061c\u0640"
    "\u064b\u064e\u0650\u0651\u0652\u0653\u0654\u0655\u0670يىكةۀأإآاهیکئءؤ"
    "กขฤฦอเแโใไะัาำิีึืฺุู็่้๊๋์ํ๎ๅๆฯ"
    "ﻙﻱＡﬁǅΣςσͅΐЙй"
)
any_text = st.text(max_size=40)
mixed_text = st.text(st.sampled_from(_INTERESTING), max_size=40)
texts = st.one_of(any_text, mixed_text)

_PROPERTY_SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_PROPERTY_SETTINGS
@given(texts)
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@_PROPERTY_SETTINGS
@given(texts, st.sampled_from(sorted(DIGIT_SYSTEMS)))
def test_normalize_ignores_digit_system(text: str, digits: str) -> None:
    assert normalize(localize_digits(text, digits)) == normalize(text)
    assert normalize(to_ascii_digits(text)) == normalize(text)


@_PROPERTY_SETTINGS
@given(texts)
def test_normalize_output_invariants(text: str) -> None:
    out = normalize(text)
    assert out == out.strip()
    assert "  " not in out
    assert not re.search(r"\s", out.replace(" ", ""))
    assert not re.search(r"(?![0-9])\d", out)
    forbidden = "\u200b\u200c\u200d\u200e\u200f\u061c\u0640يىكةۀأإ\u064e\u0650\u0651"
    assert not any(ch in out for ch in forbidden)
    assert normalize_compact(text) == out.replace(" ", "")


@_PROPERTY_SETTINGS
@given(st.lists(texts, max_size=12), st.sampled_from(["fa", "th", "en"]))
def test_sort_key_is_a_deterministic_total_order(items: list[str], language: str) -> None:
    ordered = sorted(items, key=lambda s: sort_key(s, language))
    assert sorted(reversed(items), key=lambda s: sort_key(s, language)) == ordered
    # Strings with the same normalized form are adjacent (they share the primary key).
    forms = [normalize(item) for item in ordered]
    for form in set(forms):
        positions = [i for i, f in enumerate(forms) if f == form]
        assert positions == list(range(positions[0], positions[-1] + 1))
