"""The one text normalizer for search, duplicate detection and sorting (English, Persian, Thai).

Everything that compares user-typed text — search boxes, duplicate detection, the normalized search column —
goes through :func:`normalize` (or :func:`normalize_compact`) on *both* sides. :func:`sort_key` gives a
language-aware collation key for ``sorted()`` where the database cannot collate (SQLite, in-memory lists).

Folding policy (see ``tests/data/i18n-search/README.md``):

* Unicode NFKC, then ``str.casefold`` (``Straße`` == ``STRASSE``).
* Arabic letter spellings become Persian ones: ``ي ى`` → ``ی``, ``ك`` → ``ک``, ``ة ۀ`` → ``ه``,
  ``أ إ ٱ`` → ``ا``. ``آ`` is **not** folded (it is a letter of its own in Persian).
* Removed entirely: Arabic harakat and Quranic marks, tatweel, ZWNJ, ZWJ, ZWSP, word joiner, BOM, soft hyphen
  and bidi control marks. ``می‌خواهم`` (with ZWNJ) therefore equals ``میخواهم``.
* Every decimal digit (Persian, Arabic-Indic, Thai, any other Unicode ``Nd``) becomes ASCII.
* Thai spelling variants that render identically are folded with ``pythainlp.util.normalize`` (doubled
  ``เ`` → ``แ``, nikhahit + sara aa → sara am, repeated vowels/tone marks, zero-width spaces). Thai tone marks
  stay significant and leading-vowel typos (``ไก่`` / ``ใก่``) are *not* folded.
* Accents are removed from Latin letters only (NFD, drop combining marks that follow a Latin base letter,
  recompose); a few stroke letters without a decomposition are folded too (``ø ł đ ħ ŧ ı``). Combining marks
  on Thai, Persian, Cyrillic, … letters are left alone (except Arabic harakat, see above).
* Runs of whitespace collapse to one ASCII space; leading/trailing whitespace is stripped.

Invariants (checked by the tests, including Hypothesis properties):

* ``normalize(normalize(x)) == normalize(x)`` (idempotent).
* ``normalize(x)`` contains no non-ASCII decimal digit, no ZWNJ/ZWJ/ZWSP/bidi mark, no tatweel, no harakat,
  no ``ي ى ك ة ۀ أ إ``, never two consecutive spaces, and never starts or ends with a space.
* ``normalize_compact(x) == normalize(x).replace(" ", "")``.
* ``normalize(to_ascii_digits(x)) == normalize(x)`` and ``normalize(localize_digits(x, d)) == normalize(x)``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Final

from pythainlp.util import normalize as _thai_normalize

__all__ = [
    "DIGIT_SYSTEMS",
    "SortKey",
    "localize_digits",
    "normalize",
    "normalize_compact",
    "sort_key",
    "to_ascii_digits",
]

#: Digit systems the UI can display, mapped to their ten digits (0–9).
DIGIT_SYSTEMS: Final[dict[str, str]] = {
    "latin": "0123456789",
    "persian": "۰۱۲۳۴۵۶۷۸۹",
    "thai": "๐๑๒๓๔๕๖๗๘๙",
}

_ARABIC_INDIC_DIGITS: Final = "٠١٢٣٤٥٦٧٨٩"
_LOCALIZE_TABLES: Final[dict[str, dict[int, int]]] = {
    name: str.maketrans("0123456789", digits) for name, digits in DIGIT_SYSTEMS.items()
}

# Fast path for the digit systems we actually meet; any other Unicode decimal digit is handled by a regex.
_DIGIT_TABLE: Final[dict[int, str]] = {
    ord(ch): str(value)
    for digits in (DIGIT_SYSTEMS["persian"], DIGIT_SYSTEMS["thai"], _ARABIC_INDIC_DIGITS)
    for value, ch in enumerate(digits)
}
_NON_ASCII_DIGIT_RE: Final = re.compile(r"(?![0-9])\d")

# Invisible formatting characters that must not influence matching. Removed *before* anything else looks at
# the text, so that e.g. a ZWNJ between a Latin letter and its accent cannot hide the accent.
_INVISIBLE_CHARS: Final = (
    "\u00ad"  # soft hyphen
    "\u061c"  # Arabic letter mark
    "\u0640"  # tatweel (kashida)
    "\u180e"  # Mongolian vowel separator
    "\u200b\u200c\u200d\u200e\u200f"  # ZWSP, ZWNJ, ZWJ, LRM, RLM
    "\u202a\u202b\u202c\u202d\u202e"  # LRE, RLE, PDF, LRO, RLO
    "\u2060\u2061\u2062\u2063\u2064"  # word joiner, invisible operators
    "\u2066\u2067\u2068\u2069"  # LRI, RLI, FSI, PDI
    "\ufeff"  # BOM / zero-width no-break space
)
_INVISIBLE_TABLE: Final[dict[int, None]] = dict.fromkeys(map(ord, _INVISIBLE_CHARS))


def _code_range(first: int, last: int) -> range:
    return range(first, last + 1)


# Arabic harakat, Quranic annotation marks and other Arabic-script combining marks.
_ARABIC_MARKS: Final[tuple[int, ...]] = (
    *_code_range(0x0610, 0x061A),
    *_code_range(0x064B, 0x065F),  # fathatan … includes hamza above/below (0654/0655) and madda (0653)
    0x0670,  # superscript (dagger) alef
    *_code_range(0x06D6, 0x06DC),
    *_code_range(0x06DF, 0x06E4),
    0x06E7,
    0x06E8,
    *_code_range(0x06EA, 0x06ED),
    *_code_range(0x08D3, 0x08E1),
    *_code_range(0x08E3, 0x08FF),
)

# Arabic spellings → Persian letters. Applied after NFKC, which has already composed أ إ آ ۀ and mapped
# presentation forms (ﻙ, ﻱ, …) to these base letters.
_ARABIC_TO_PERSIAN: Final[dict[str, str]] = {
    "\u064a": "\u06cc",  # ي → ی
    "\u0649": "\u06cc",  # ى → ی
    "\u0643": "\u06a9",  # ك → ک
    "\u0629": "\u0647",  # ة → ه
    "\u06c0": "\u0647",  # ۀ → ه
    "\u0623": "\u0627",  # أ → ا
    "\u0625": "\u0627",  # إ → ا
    "\u0671": "\u0627",  # ٱ → ا
}

# Latin letters with a stroke or without a dot have no canonical decomposition; fold them by hand
# (lower case only: this runs after casefold).
_LATIN_EXTRA_FOLD: Final[dict[str, str]] = {
    "ø": "o",
    "ł": "l",
    "đ": "d",
    "ħ": "h",
    "ŧ": "t",
    "ı": "i",
}

_LETTER_TABLE: Final[dict[int, str | None]] = {
    **{ord(k): v for k, v in _ARABIC_TO_PERSIAN.items()},
    **{ord(k): v for k, v in _LATIN_EXTRA_FOLD.items()},
    **dict.fromkeys(_ARABIC_MARKS),
    **_DIGIT_TABLE,
}

_WHITESPACE_RE: Final = re.compile(r"\s+")
_THAI_RE: Final = re.compile("[\u0e00-\u0e7f]")


@lru_cache(maxsize=4096)
def _is_latin_letter(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("LATIN ")


def _strip_latin_accents(text: str) -> str:
    """Drop combining marks that belong to a Latin base letter; leave marks on other scripts intact.

    Thai marks are never dropped, even after a Latin letter: pythainlp may move a Thai tone mark next to a
    Latin letter (``"aะ่"`` → ``"a่ะ"``), and dropping it on the next pass would break idempotence.
    """
    decomposed = unicodedata.normalize("NFD", text)
    out: list[str] = []
    latin_base = False
    for ch in decomposed:
        if unicodedata.combining(ch) or unicodedata.category(ch) == "Mn":
            if latin_base and not "\u0e00" <= ch <= "\u0e7f":
                continue
        else:
            latin_base = _is_latin_letter(ch)
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def to_ascii_digits(text: str) -> str:
    """Replace every Unicode decimal digit (Persian ``۱``, Arabic-Indic ``١``, Thai ``๑``, …) by ASCII.

    Nothing else in ``text`` changes; ASCII input is returned unchanged.
    """
    if text.isascii():
        return text
    text = text.translate(_DIGIT_TABLE)
    return _NON_ASCII_DIGIT_RE.sub(lambda m: str(unicodedata.decimal(m.group())), text)


def localize_digits(text: str, digits: str) -> str:
    """Write every decimal digit of ``text`` (in any script) with the digits of ``digits``.

    ``digits`` is a key of :data:`DIGIT_SYSTEMS` (``"latin"``, ``"persian"`` or ``"thai"``); anything else
    raises :class:`ValueError`. ``localize_digits(x, "latin") == to_ascii_digits(x)``.
    """
    if digits not in DIGIT_SYSTEMS:
        raise ValueError(f"unknown digit system {digits!r}; expected one of {sorted(DIGIT_SYSTEMS)}")
    ascii_text = to_ascii_digits(text)
    if digits == "latin":
        return ascii_text
    return ascii_text.translate(_LOCALIZE_TABLES[digits])


def _normalize_once(text: str) -> str:
    s = unicodedata.normalize("NFKC", text)
    s = s.translate(_INVISIBLE_TABLE)
    s = s.casefold()
    if not s.isascii():
        s = _strip_latin_accents(s)
        # NFKC again: casefold and accent stripping can produce compatibility characters or composable
        # sequences; Arabic folding below relies on composed أ/إ/ۀ.
        s = unicodedata.normalize("NFKC", s)
        s = s.translate(_LETTER_TABLE)
        if not s.isascii():
            s = _NON_ASCII_DIGIT_RE.sub(lambda m: str(unicodedata.decimal(m.group())), s)
    s = _WHITESPACE_RE.sub(" ", s).strip()
    if _THAI_RE.search(s):
        # pythainlp expects single spaces: it removes dangling marks at the start and after a space.
        s = _WHITESPACE_RE.sub(" ", _thai_normalize(s)).strip()
    return s


def normalize(text: str) -> str:
    """Return the search/duplicate-detection form of ``text`` (see the module docstring for the policy).

    Two strings "match" for search when ``normalize(query) in normalize(stored)`` and are duplicates when
    ``normalize(a) == normalize(b)``. The result is idempotent, single-spaced, stripped and uses ASCII digits.
    Short strings (names, words) are cached: imports and re-indexing see the same first names again and again.
    """
    if len(text) <= 64:
        return _normalize_cached(text)
    return _normalize_uncached(text)


@lru_cache(maxsize=65536)
def _normalize_cached(text: str) -> str:
    return _normalize_uncached(text)


def _normalize_uncached(text: str) -> str:
    s = _normalize_once(text)
    if s.isascii():
        return s  # ASCII output is already a fixed point: NFKC, casefold and the tables leave it alone.
    # One pass can expose new work for another step (pythainlp moves a tone mark and canonical reordering
    # then makes it "dangling", Thai sara am is decomposed by NFKC and recomposed by pythainlp, ...).
    # Iterate to a fixed point; real text converges after the second pass.
    for _ in range(6):
        again = _normalize_once(s)
        if again == s:
            break
        s = again
    return s


def normalize_compact(text: str) -> str:
    """:func:`normalize` with all spaces removed too (``"رضا زاده"`` matches ``"رضازاده"``)."""
    return normalize(text).replace(" ", "")


# --------------------------------------------------------------------------------------------- sorting

#: (primary weights, secondary accent marks per letter, tertiary case/variant flags, original text)
SortKey = tuple[tuple[int, ...], tuple[tuple[int, ...], ...], tuple[int, ...], str]

_PERSIAN_ALPHABET: Final = tuple("آابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی")
# Index 0..31 for the alphabet; hamza forms sort as one letter right after ا; other Arabic-script letters
# (Urdu, Kurdish, …) sort after ی in code point order.
_PERSIAN_INDEX: Final[dict[str, int]] = {
    "آ": 0,
    "ا": 1,
    "ء": 2,
    "ؤ": 2,
    "ئ": 2,
    **{letter: 3 + i for i, letter in enumerate(_PERSIAN_ALPHABET[2:])},
}
# Arabic spellings that sort with a Persian letter but after it (tertiary difference).
_VARIANT_LETTERS: Final = frozenset(_ARABIC_TO_PERSIAN) - {"أ", "إ"}

_THAI_IGNORED_PRIMARY_RE: Final = re.compile("[\u0e47-\u0e4c]")  # maitaikhu, tone marks, thanthakhat
_THAI_LEADING_VOWEL_RE: Final = re.compile("([\u0e40-\u0e44])([\u0e01-\u0e2e])")

_SCRIPT_ORDERS: Final[dict[str, tuple[str, ...]]] = {
    "fa": ("arabic", "latin"),
    "th": ("thai", "latin"),
}
_DEFAULT_SCRIPT_ORDER: Final[tuple[str, ...]] = ("latin",)

# Primary weight layout: group * _GROUP + within-group weight. Groups 0-2 are space, punctuation/symbols,
# digits; then the language's preferred scripts; then every other letter in code point (≈ script) order.
_GROUP: Final = 1 << 34
_BLOCK_SHIFT: Final = 12


def _script_of(ch: str) -> str:
    cp = ord(ch)
    if 0x0600 <= cp <= 0x08FF:
        return "arabic"
    if 0x0E00 <= cp <= 0x0E7F:
        return "thai"
    if cp < 0x80 or _is_latin_letter(ch):
        return "latin"
    return "other"


def _within_script(ch: str, script: str) -> int:
    if script == "arabic":
        return _PERSIAN_INDEX.get(ch, 100 + ord(ch) - 0x0600)
    if script == "thai":
        # Thai code point order is dictionary order for consonants (ฤ after ร, ฦ after ล) and vowels.
        return ord(ch) - 0x0E00
    return ord(ch)


def _primary_weight(ch: str, order: tuple[str, ...]) -> int:
    if ch == " ":
        return 0
    category = unicodedata.category(ch)
    if "0" <= ch <= "9":
        return 2 * _GROUP + ord(ch)
    if category[0] in "PSZC":
        return 1 * _GROUP + ord(ch)
    script = _script_of(ch)
    if script in order:
        return (3 + order.index(script)) * _GROUP + _within_script(ch, script)
    # Any other script: code point order of the script's block, then the order inside the script.
    block = ord(ch) if script == "other" else (0x0600 if script == "arabic" else 0x0E00)
    return (
        (3 + len(order)) * _GROUP + (block << _BLOCK_SHIFT) + _within_script(ch, script) % (1 << _BLOCK_SHIFT)
    )


def _language_base(language: str) -> str:
    return language.replace("_", "-").split("-", 1)[0].lower()


def sort_key(text: str, language: str = "en") -> SortKey:
    """Collation key for ``sorted(items, key=lambda s: sort_key(s, "fa"))``.

    Levels, compared in order (like ICU):

    1. *Primary*: letters of :func:`normalize` (case, Latin accents, Arabic/Persian spelling variants and
       harakat ignored). Within Persian script the Persian alphabet order ``آ ا ب پ ت ث ج چ … ک گ … و ه ی``;
       within Thai, dictionary order (leading vowels ``เ แ โ ใ ไ`` are read after their consonant, tone marks
       are ignored at this level). Spaces < punctuation/symbols < digits < letters. Script order depends on
       ``language``: ``fa`` puts Persian script first, ``th`` puts Thai first, then Latin, then other
       scripts in code point order; any other language puts Latin first.
    2. *Secondary*: accents / Thai tone marks / harakat — unaccented sorts first (``Zoe`` < ``zoë``).
    3. *Tertiary*: lower case before upper case (``ali`` < ``Ali``), Persian spelling before Arabic
       spelling (``کریم`` < ``كريم``), ASCII digits before other digits.
    4. The original text, so that the order is total and deterministic.

    Invariant: strings with equal :func:`normalize` forms are adjacent after sorting.
    """
    order = _SCRIPT_ORDERS.get(_language_base(language), _DEFAULT_SCRIPT_ORDER)

    primary_text = normalize(text)
    if _THAI_RE.search(primary_text):
        primary_text = _THAI_IGNORED_PRIMARY_RE.sub("", primary_text)
        primary_text = _THAI_LEADING_VOWEL_RE.sub(r"\2\1", primary_text)
    primary = tuple(_primary_weight(ch, order) for ch in primary_text)

    visible = unicodedata.normalize("NFKC", text).translate(_INVISIBLE_TABLE)
    secondary: list[tuple[int, ...]] = []
    tertiary: list[int] = []
    marks: list[int] = []
    for ch in unicodedata.normalize("NFD", visible.casefold()):
        if unicodedata.combining(ch) or unicodedata.category(ch) == "Mn":
            marks.append(ord(ch))
        else:
            secondary.append(tuple(marks))
            marks = []
    secondary.append(tuple(marks))
    for ch in unicodedata.normalize("NFC", visible):
        if ch.isspace():
            continue
        variant = ch.isupper() or ch in _VARIANT_LETTERS or (ch.isdigit() and not ch.isascii())
        tertiary.append(1 if variant else 0)
    return primary, tuple(secondary), tuple(tertiary), text


# ------------------------------------------------------------------------------ stored sort keys

_KEY_ALPHABET: Final = "0123456789abcdefghijklmnopqrstuv"  # 32 symbols, ascending in every collation
_KEY_LETTERS: Final = 40  # letters of the name that decide the stored order; ties fall back to the id


def _base32(value: int, width: int) -> str:
    value = min(value, (1 << (5 * width)) - 1)
    out = []
    for _position in range(width):
        out.append(_KEY_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out))


def _primary_symbols(weight: int, preferred_groups: range) -> str:
    # One symbol for the group, then a fixed width per group: the language's own scripts need 4 symbols
    # (20 bits); spaces, punctuation, digits and other scripts carry a code point shifted by 12 bits.
    group, within = divmod(weight, _GROUP)
    return _KEY_ALPHABET[group] + _base32(within, 4 if group in preferred_groups else 7)


@lru_cache(maxsize=65536)
def sort_key_text(text: str, language: str = "en") -> str:
    """:func:`sort_key` as a short ASCII string for a database column (order by it, then by id).

    Three levels of the first 40 letters, separated by ``!``: primary weights (a group symbol and a fixed
    width number), secondary accent marks (three symbols per letter, ``000`` for none) and tertiary case or
    spelling-variant flags. Only ``0-9 a-v !`` occur, so byte order equals key order in every collation,
    and a name that is a prefix of another sorts first (``Ali`` < ``Alice``).
    """
    order = _SCRIPT_ORDERS.get(_language_base(language), _DEFAULT_SCRIPT_ORDER)
    preferred = range(3, 3 + len(order))
    primary, secondary, tertiary, _text = sort_key(text, language)
    head = "".join(_primary_symbols(weight, preferred) for weight in primary[:_KEY_LETTERS])
    marks = "".join(
        _base32(marks[0] - 0x2FF, 3) if marks else "000" for marks in secondary[: _KEY_LETTERS + 1]
    )
    flags = "".join("1" if flag else "0" for flag in tertiary[:_KEY_LETTERS])
    return f"{head}!{marks}!{flags}"


SORT_KEY_MAX_LENGTH: Final = _KEY_LETTERS * 8 + 1 + (_KEY_LETTERS + 1) * 3 + 1 + _KEY_LETTERS
