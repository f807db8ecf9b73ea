"""Reading uploaded tables: encodings, delimiters, XLSX, and files that must be refused cleanly."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from peyvand.contacts.importing.readers import check_zip, open_table
from peyvand.core.errors import ValidationFailedError

DATA = Path(__file__).parent / "data" / "crm-exports"


@pytest.mark.parametrize(
    "name",
    [
        "hubspot/hubspot-crm-exports-all-contacts-2025-01-15.csv",
        "hubspot/contacts-excel-utf8-bom-crlf.csv",
        "hubspot/hubspot-crm-exports-all-contacts-2025-01-15.xlsx",
    ],
)
def test_hubspot_contacts_read_alike_from_csv_bom_and_xlsx(name):
    table = open_table(DATA / name, name)
    assert table.info.headers[:3] == ["Record ID", "First Name", "Last Name"]
    rows = list(table.rows())
    assert rows[0][1][1:3] == ["علی", "رضایی"]
    assert len(rows) == 5


def test_salesforce_quoted_cells_with_newlines(tmp_path):
    table = open_table(DATA / "salesforce-dataloader/extract_Account.csv")
    rows = list(table.rows())
    assert table.info.headers[1] == "NAME"
    assert any("\n" in cell for _n, cells in rows for cell in cells)


@pytest.mark.parametrize(
    ("encoding", "text", "delimiter"),
    [
        ("cp1256", "نام,تلفن\nعلي رضايي,0912\nمريم کريمي,0935\n", ","),
        ("tis-620", "ชื่อ;โทร\nสมชาย ใจดี;0812345678\nมาลี สุขสันต์;0899999999\n", ";"),
        ("utf-16", "name\tphone\nสมชาย\tعلی\n", "\t"),
        ("utf-8", "name|phone\nZoë|1\n", "|"),
    ],
)
def test_encodings_and_delimiters_detected(tmp_path, encoding, text, delimiter):
    path = tmp_path / "people.csv"
    path.write_bytes(text.encode(encoding))
    table = open_table(path)
    assert table.info.delimiter == delimiter
    first_row = next(table.rows())[1]
    assert first_row[0] == text.splitlines()[1].split(delimiter)[0]


def test_duplicate_and_empty_headers_are_named(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("Email,email,,Name\na@x.com,b@x.com,1,Ann\n")
    table = open_table(path)
    assert table.info.headers == ["Email", "email (2)", "Column 3", "Name"]
    assert table.info.warnings


@pytest.mark.parametrize("content", [b"", b"   \n\n", b"\x00\x01\x02binary\x00stuff"])
def test_empty_or_binary_files_refused(tmp_path, content):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ValidationFailedError) as error:
        open_table(path)
    assert "file" in error.value.fields


def test_ten_thousand_columns_refused(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(10_000)) + "\n")
    with pytest.raises(ValidationFailedError):
        open_table(path)


def test_malformed_quoting_is_read_without_crashing(tmp_path):
    path = tmp_path / "quotes.csv"
    path.write_text('name,email\n"Ann "the" Smith,ann@example.com\nBob,"bob@example.com\n')
    rows = list(open_table(path).rows())
    assert rows  # whatever csv makes of it, reading goes on and nothing raises


def test_zip_bomb_disguised_as_xlsx_refused(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (50 * 1024 * 1024))
    with pytest.raises(ValidationFailedError):
        check_zip(path)
    with pytest.raises(ValidationFailedError):
        open_table(path, "bomb.xlsx")


def test_a_zip_that_is_not_a_workbook_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    path = tmp_path / "fake.xlsx"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ValidationFailedError):
        open_table(path, "fake.xlsx")
