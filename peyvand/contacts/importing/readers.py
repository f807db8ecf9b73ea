"""Read an uploaded table (CSV in any common encoding and delimiter, or XLSX) one row at a time.

Nothing loads the whole file: CSV is decoded as a stream, XLSX is read with openpyxl's read-only mode after
the archive is checked for zip bombs. Every refusal is a ValidationFailedError naming the file.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.utils.translation import gettext as _

from peyvand.core.errors import ValidationFailedError

SAMPLE_BYTES = 256 * 1024
MAX_COLUMNS = 500
MAX_CELL = 32_000
MAX_XLSX_UNCOMPRESSED = 1024 * 1024 * 1024  # 1 GiB of XML at most
MAX_XLSX_RATIO = 200  # a real spreadsheet compresses ~5-20×; zip bombs compress thousands of times
DELIMITERS = ",;\t|"

csv.field_size_limit(MAX_CELL * 4)


def _refuse(message: str) -> ValidationFailedError:
    return ValidationFailedError(message, fields={"file": [message]})


@dataclass
class TableInfo:
    """What was detected about a file: format, encoding, delimiter and the header row."""

    format: str  # csv / xlsx
    headers: list[str]
    encoding: str = ""
    delimiter: str = ""
    warnings: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------- encodings


def _thai_share(text: str) -> float:
    letters = [c for c in text if not c.isascii() and c.isalpha()]
    if not letters:
        return 0.0
    return sum("\u0e00" <= c <= "\u0e7f" for c in letters) / len(letters)


def _arabic_share(text: str) -> float:
    letters = [c for c in text if not c.isascii() and c.isalpha()]
    if not letters:
        return 0.0
    return sum("\u0600" <= c <= "\u06ff" for c in letters) / len(letters)


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 (BOM), Windows-1256 (Persian/Arabic) or TIS-620 (Thai).

    Legacy single-byte files are told apart by which reading gives real letters of one script: Thai text
    read as Windows-1256 comes out as a jumble of Arabic letters and Latin-1 symbols, and vice versa.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _looks_utf16_without_bom(sample):
        return "utf-16-le" if sample[1:2] == b"\x00" else "utf-16-be"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        if error.start > len(sample) - 4:  # the sample cut a character in two
            return "utf-8"
    thai = sample.decode("tis-620", errors="replace")
    arabic = sample.decode("cp1256", errors="replace")
    thai_score = _thai_share(thai) - thai.count("\ufffd") / max(len(thai), 1)
    arabic_score = _arabic_share(arabic)
    return "tis-620" if thai_score > arabic_score else "cp1256"


def _looks_utf16_without_bom(sample: bytes) -> bool:
    head = sample[:2000]
    if len(head) < 4:
        return False
    zeros_even = head[0::2].count(0)
    zeros_odd = head[1::2].count(0)
    half = len(head) / 2
    return max(zeros_even, zeros_odd) > 0.3 * half and min(zeros_even, zeros_odd) < 0.05 * half


def _looks_like_text(text: str) -> bool:
    """Few control characters and undecodable bytes: a real table, not a binary file read as text."""
    import unicodedata

    odd = sum(
        1
        for ch in text[:20000]
        if ch == "\ufffd" or (ch not in "\t\r\n\x0c\x1a" and unicodedata.category(ch) == "Cc")
    )
    return odd <= len(text[:20000]) // 100


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same, largest number of columns."""
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        pass
    best, best_score = ",", -1
    for delimiter in DELIMITERS:
        counts = [len(row) for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)]
        if not counts or counts[0] < 2:
            continue
        score = counts[0] * sum(c == counts[0] for c in counts)
        if score > best_score:
            best, best_score = delimiter, score
    return best


# ------------------------------------------------------------------------------------- readers


def _clean_headers(raw: list[str]) -> tuple[list[str], list[str]]:
    """Headers trimmed, empty ones named by position, duplicates numbered; returns (headers, warnings)."""
    headers: list[str] = []
    warnings: list[str] = []
    seen: dict[str, int] = {}
    for index, value in enumerate(raw):
        name = " ".join(str(value or "").replace("\ufeff", "").split())[:200] or _("Column %(n)s") % {
            "n": index + 1
        }
        key = name.casefold()
        if key in seen:
            seen[key] += 1
            warnings.append(_("The column “%(name)s” appears more than once.") % {"name": name})
            name = f"{name} ({seen[key]})"
        else:
            seen[key] = 1
        headers.append(name)
    return headers, warnings


class CsvTable:
    """Rows of a CSV file as lists of strings, after the header row; numbers are 1-based file rows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as handle:
            sample = handle.read(SAMPLE_BYTES)
        if not sample.strip():
            raise _refuse(_("The file is empty."))
        utf16 = sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _looks_utf16_without_bom(
            sample
        )
        if b"\x00" in sample and not utf16:
            raise _refuse(_("This does not look like a CSV file."))
        self.encoding = detect_encoding(sample)
        text = sample.decode(self.encoding, errors="replace")
        if not _looks_like_text(text):
            raise _refuse(_("This does not look like a CSV file."))
        self.delimiter = detect_delimiter(text)
        reader = self._reader()
        try:
            first = next(reader)
        except StopIteration as error:
            raise _refuse(_("The file is empty.")) from error
        except csv.Error as error:
            raise _refuse(_("The file could not be read as CSV: %(error)s") % {"error": error}) from error
        if len(first) > MAX_COLUMNS:
            raise _refuse(
                _("The file has %(n)s columns; at most %(max)s are read.")
                % {"n": len(first), "max": MAX_COLUMNS}
            )
        headers, warnings = _clean_headers(first)
        self.info = TableInfo("csv", headers, self.encoding, self.delimiter, warnings)

    def _reader(self) -> Iterator[list[str]]:
        handle: IO[str] = self.path.open("r", encoding=self.encoding, errors="replace", newline="")
        return csv.reader(handle, delimiter=self.delimiter)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(file row number, cells) for every data row; blank lines are skipped. A row broken beyond
        reading is yielded with `None` cells so the importer can report it and go on."""
        reader = self._reader()
        line = 1
        next(reader, None)
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error:
                line += 1
                yield line, []
                continue
            line += 1
            if not any(c.strip() for c in cells):
                continue
            yield line, [c[:MAX_CELL] for c in cells[:MAX_COLUMNS]]


class XlsxTable:
    """Rows of the first worksheet of an XLSX workbook, read in streaming mode."""

    def __init__(self, path: Path) -> None:
        self.path = path
        check_zip(path)
        from openpyxl import load_workbook

        try:
            self.book = load_workbook(path, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for broken archives
            raise _refuse(_("The file could not be read as an Excel workbook.")) from error
        self.sheet = self.book.worksheets[0]
        first = next(self.sheet.iter_rows(max_row=1, values_only=True), None)
        if not first or not any(v not in (None, "") for v in first):
            raise _refuse(_("The file is empty."))
        if len(first) > MAX_COLUMNS:
            raise _refuse(
                _("The file has %(n)s columns; at most %(max)s are read.")
                % {"n": len(first), "max": MAX_COLUMNS}
            )
        headers, warnings = _clean_headers([_cell_text(v) for v in first])
        self.info = TableInfo("xlsx", headers, warnings=warnings)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        for number, values in enumerate(self.sheet.iter_rows(min_row=2, values_only=True), start=2):
            cells = [_cell_text(v)[:MAX_CELL] for v in values[:MAX_COLUMNS]]
            if any(c.strip() for c in cells):
                yield number, cells

    def close(self) -> None:
        self.book.close()


def _cell_text(value: object) -> str:
    import datetime

    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ") if value.time() != datetime.time() else value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_zip(path: Path) -> None:
    """Refuse archives that are not workbooks or would expand beyond reason (zip bombs)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
            if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
                raise _refuse(_("The file could not be read as an Excel workbook."))
            total = sum(m.file_size for m in members)
            packed = sum(m.compress_size for m in members) or 1
    except zipfile.BadZipFile as error:
        raise _refuse(_("The file could not be read as an Excel workbook.")) from error
    if total > MAX_XLSX_UNCOMPRESSED or total / packed > MAX_XLSX_RATIO:
        raise _refuse(_("This workbook expands to far more data than it holds; it is refused."))


def open_table(path: Path, filename: str = "") -> CsvTable | XlsxTable:
    """The right reader for a file, by its content (an .xlsx is a zip archive), not only its name."""
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic.startswith(b"PK\x03\x04"):
        return XlsxTable(path)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise _refuse(_("The file could not be read as an Excel workbook."))
    return CsvTable(path)
