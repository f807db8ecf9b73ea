"""vCard reading (2.1 quoted-printable, 3.0, 4.0) and writing (4.0, escaped and folded)."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peyvand.contacts.importing.vcard import contact_card, read_cards
from peyvand.core.errors import ValidationFailedError

DATA = Path(__file__).parent / "data" / "vcards"


def _rows(name: str) -> list[dict]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return [row for _n, row, _error in read_cards(handle)]


def test_all_fixture_cards_read():
    rows = _rows("all_mixed.vcf")
    assert len(rows) == 5
    persian, thai, maryam, kanya, jane = rows
    assert (persian["first_name"], persian["last_name"]) == ("علی", "رضایی")
    assert persian["phone"][0] == ("+98-912-345-6789", "mobile", True)
    assert persian["birthday"] == "1985-03-21" and persian["tags"] == ["مشتری", "VIP"]
    assert thai["phone"][2][0] == "๐๒-๙๘๗-๖๕๔๓"
    assert maryam["first_name"] == "مریم"  # vCard 2.1 quoted-printable
    assert kanya["last_name"] == "ศรีสุข"  # quoted-printable soft line break inside a Thai character
    assert jane["company"] == "Acme, Inc."


def test_unescaped_comma_in_fn_uses_structured_name():
    (row,) = _rows("edge_unescaped_comma_in_fn_v3.vcf")
    assert (row["first_name"], row["last_name"]) == ("Jane", "O'Neil-Smith")


def test_a_broken_card_is_reported_and_the_rest_read():
    text = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:;;\r\nBDAY;garbage\r\nEND:VCARD\r\n"
        + (DATA / "th_v3.vcf").read_text()
    )
    results = list(read_cards(io.StringIO(text)))
    assert len(results) == 2
    assert results[1][1]["first_name"] == "สมชาย"


def test_a_file_without_cards_is_refused():
    with pytest.raises(ValidationFailedError):
        list(read_cards(io.StringIO("hello\n")))


def test_written_card_is_folded_escaped_and_reads_back():
    card = contact_card(
        first_name="علی",
        last_name="رضایی; پور",
        display_name="علی رضایی; پور",
        emails=[("ali@example.ir", "work", True)],
        phones=[("+989121234567", "mobile", True), ("+982188887777", "work", False)],
        company="شرکت نمونه‌سازان پارس، واحد فروش, تهران " * 3,
        birthday=datetime.date(1985, 3, 21),
        tags=["VIP", "a,b"],
    )
    for line in card.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75
    (row,) = [r for _n, r, _e in read_cards(io.StringIO(card))]
    assert row["last_name"] == "رضایی; پور"
    assert row["phone"][0] == ("+989121234567", "mobile", True)
    assert row["birthday"] == "1985-03-21"
    assert row["tags"] == ["VIP", "a,b"]
    assert row["company"].startswith("شرکت نمونه‌سازان پارس، واحد فروش, تهران")


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=120))
def test_any_name_round_trips(name):
    card = contact_card(first_name=name, last_name="", display_name=name, emails=[], phones=[])
    (row,) = [r for _n, r, _e in read_cards(io.StringIO(card))]
    assert " ".join(row.get("first_name", "").split()) == " ".join(name.split())
