"""vCard in and out: read .vcf files (2.1 with quoted-printable, 3.0, 4.0) as import rows, and write contacts
as vCard 4.0 (RFC 6350: escaped text, CRLF, lines folded at 75 octets without splitting a character)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.utils.translation import gettext as _

from peyvand.core.errors import ValidationFailedError

MAX_CARD_LINES = 2000


def _value(prop: Any) -> Any:
    return getattr(prop, "value", "")


def _types(prop: Any) -> list[str]:
    params = getattr(prop, "params", {}) or {}
    kinds: list[str] = []
    for key, values in params.items():
        if key.upper() == "TYPE":
            for value in values:
                kinds.extend(v.strip().casefold() for v in str(value).split(","))
        elif not values:  # vCard 2.1 writes bare types: TEL;CELL;PREF
            kinds.append(key.casefold())
    singletons = getattr(prop, "singletonparams", []) or []
    kinds.extend(str(v).casefold() for v in singletons)
    return kinds


def _label(kinds: list[str]) -> str:
    for kind in ("cell", "mobile", "work", "home", "fax"):
        if kind in kinds:
            return "mobile" if kind == "cell" else kind
    return ""


def _is_preferred(prop: Any, kinds: list[str]) -> bool:
    params = getattr(prop, "params", {}) or {}
    return "pref" in kinds or any(k.upper() == "PREF" for k in params)


def _bday(text: str) -> str:
    digits = re.sub(r"[^0-9]", "", str(text))
    if len(digits) >= 8:
        try:
            return datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8])).isoformat()
        except ValueError:
            return str(text)
    return str(text)


def card_to_row(card: Any) -> dict[str, Any]:
    """One vCard as an import row: the same targets a mapped table row has (lists for e-mails/phones)."""
    contents = card.contents
    row: dict[str, Any] = {"email": [], "phone": [], "tags": [], "note": []}
    if "n" in contents:
        name = _value(contents["n"][0])
        row["first_name"] = " ".join(
            filter(None, [getattr(name, "given", ""), getattr(name, "additional", "")])
        )
        row["last_name"] = str(getattr(name, "family", "") or "")
        row["first_name"] = " ".join(str(row["first_name"]).split())
    if not (row.get("first_name") or row.get("last_name")) and "fn" in contents:
        row["full_name"] = str(_value(contents["fn"][0]))
    for prop in contents.get("email", []):
        row["email"].append(
            (str(_value(prop)).strip(), _label(_types(prop)), _is_preferred(prop, _types(prop)))
        )
    for prop in contents.get("tel", []):
        text = str(_value(prop)).strip()
        text = re.sub(r"^tel:", "", text, flags=re.IGNORECASE).split(";", 1)[0]
        kinds = _types(prop)
        row["phone"].append((text, _label(kinds), _is_preferred(prop, kinds)))
    if "org" in contents:
        org = _value(contents["org"][0])
        row["company"] = str(org[0] if isinstance(org, list) and org else org).strip()
    if "title" in contents:
        row["job_title"] = str(_value(contents["title"][0])).strip()
    if "bday" in contents:
        row["birthday"] = _bday(_value(contents["bday"][0]))
    if "url" in contents:
        row["website"] = str(_value(contents["url"][0])).strip()
    if "uid" in contents:
        row["external_id"] = str(_value(contents["uid"][0])).strip()[:100]
    if "adr" in contents:
        address = _value(contents["adr"][0])
        row["street"] = str(getattr(address, "street", "") or "")
        row["city"] = str(getattr(address, "city", "") or "")
        row["region"] = str(getattr(address, "region", "") or "")
        row["postal_code"] = str(getattr(address, "code", "") or "")
        row["country"] = str(getattr(address, "country", "") or "")
    if "lang" in contents:
        row["preferred_language"] = str(_value(contents["lang"][0])).strip()[:8]
    for prop in contents.get("categories", []):
        value = _value(prop)
        row["tags"].extend(
            str(v).strip() for v in (value if isinstance(value, list) else [value]) if str(v).strip()
        )
    for prop in contents.get("note", []):
        row["note"].append(str(_value(prop)))
    return row


def read_cards(handle: IO[str]) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """(card number, row or None, error) for every card of a .vcf stream; a broken card is reported and
    the rest still read."""
    import vobject

    number = 0
    buffer: list[str] = []
    for line in handle:
        if line.strip().upper() == "BEGIN:VCARD":
            buffer = [line]
            continue
        if not buffer:
            continue
        buffer.append(line)
        if len(buffer) > MAX_CARD_LINES:
            number += 1
            buffer = []
            yield number, None, _("This card is too long.")
            continue
        if line.strip().upper() == "END:VCARD":
            number += 1
            text = "".join(buffer)
            buffer = []
            try:
                card = next(vobject.readComponents(text, allowQP=True))
                yield number, card_to_row(card), ""
            except Exception:  # vobject raises assorted errors for malformed cards
                yield number, None, _("This card could not be read.")
    if number == 0:
        raise ValidationFailedError(fields={"file": [_("No vCard found in the file.")]})


# ------------------------------------------------------------------------------------------- writing


def _escape(text: str) -> str:
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Fold at 75 octets, never inside a UTF-8 sequence."""
    out: list[str] = []
    current = ""
    size = 0
    limit = 75
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += ch
        size += width
    out.append(current)
    return "\r\n".join(out)


def contact_card(
    *,
    first_name: str,
    last_name: str,
    display_name: str,
    emails: Iterable[tuple[str, str, bool]],
    phones: Iterable[tuple[str, str, bool]],
    company: str = "",
    job_title: str = "",
    birthday: datetime.date | None = None,
    website: str = "",
    addresses: Iterable[dict[str, str]] = (),
    tags: Iterable[str] = (),
    uid: str = "",
    language: str = "",
    revised: datetime.datetime | None = None,
) -> str:
    """One vCard 4.0 (fields already filtered by the viewer's field rules)."""
    lines = ["BEGIN:VCARD", "VERSION:4.0"]
    if uid:
        lines.append(f"UID:{uid}")
    lines.append(f"FN:{_escape(display_name or ' '.join(filter(None, [first_name, last_name])))}")
    lines.append(f"N:{_escape(last_name)};{_escape(first_name)};;;")
    if company:
        lines.append(f"ORG:{_escape(company)}")
    if job_title:
        lines.append(f"TITLE:{_escape(job_title)}")
    for address, label, primary in emails:
        params = (f";TYPE={label}" if label in ("work", "home") else "") + (";PREF=1" if primary else "")
        lines.append(f"EMAIL{params}:{_escape(address)}")
    for number, label, primary in phones:
        kind = {"mobile": "cell", "work": "work", "home": "home", "fax": "fax"}.get(label, "voice")
        lines.append(f"TEL;VALUE=uri;TYPE={kind}{';PREF=1' if primary else ''}:tel:{number}")
    for place in addresses:
        parts = [place.get(k, "") for k in ("street", "city", "region", "postal_code", "country")]
        label = place.get("label", "")
        params = f";TYPE={label}" if label in ("work", "home") else ""
        lines.append(f"ADR{params}:;;{';'.join(_escape(p) for p in parts)}")
    if birthday:
        lines.append(f"BDAY:{birthday.strftime('%Y%m%d')}")
    if website:
        lines.append(f"URL:{website}")
    if language:
        lines.append(f"LANG:{language}")
    tag_list = [t for t in tags if t]
    if tag_list:
        lines.append(f"CATEGORIES:{','.join(_escape(t) for t in tag_list)}")
    if revised:
        lines.append(f"REV:{revised.astimezone(datetime.UTC).strftime('%Y%m%dT%H%M%SZ')}")
    lines.append("END:VCARD")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
