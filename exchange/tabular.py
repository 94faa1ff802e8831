"""Columns, and reading and writing CSV and XLSX files.

A :class:`Column` has a plain-English header and a way to read its value from a
row object. Writers turn an iterable of objects into a CSV stream or an XLSX
workbook (openpyxl's write-only mode, so memory stays flat); the reader turns an
uploaded CSV or XLSX file into dictionaries keyed by header, with spreadsheet
row numbers.
"""

import csv
import datetime
import io
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
UK_DATE = "%d/%m/%Y"


class BadFile(ValueError):
    """The uploaded file cannot be read as a table; nothing was changed."""


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its header, and how to read its value from an object.

    ``source`` is a dotted attribute path (``owner_partner.name``) or a function of
    the object. ``importable`` columns are read back by imports; the others (ids
    given by the database, figures worked out by it) are for reading only.
    """

    header: str
    source: str | Callable[[Any], Any]
    importable: bool = False

    def value(self, obj) -> Any:
        if callable(self.source):
            return self.source(obj)
        value = obj
        for part in self.source.split("."):
            value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
            if value is None:
                return None
        return value


def _plain(value):
    """A cell value: dates stay dates, money stays decimal, the rest is text or a number."""
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, (int, float, Decimal, datetime.date, str)) or value is None:
        return value
    return str(value)


def _csv_text(value) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    # A cell starting with one of these is run as a formula by spreadsheet programs.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


class _Echo:
    def write(self, value):
        return value


def csv_stream(columns: list[Column], rows: Iterable) -> Iterator[str]:
    """The CSV file, line by line (UTF-8 with a byte-order mark, which Excel needs)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([c.header for c in columns])
    for obj in rows:
        yield writer.writerow([_csv_text(c.value(obj)) for c in columns])


def xlsx_file(columns: list[Column], rows: Iterable, *, title: str = "Export"):
    """An XLSX workbook in a temporary file, rewound; dates as dates, dd/mm/yyyy."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([c.header for c in columns])
    for obj in rows:
        sheet.append([_xlsx_cell(c.value(obj)) for c in columns])
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - returned open
    workbook.save(out)
    out.seek(0)
    return out


def _xlsx_cell(value):
    value = _plain(value)
    if isinstance(value, str) and value[:1] in ("=", "+", "@") and not _is_number(value):
        return "'" + value  # never a formula from user text
    return value


# Reading ----------------------------------------------------------------------------


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, dict[str, Any]]]  # (spreadsheet row number, values by header)


def _norm(header) -> str:
    return " ".join(str(header or "").split()).casefold()


def _blank(values) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def read_table(upload, *, max_rows: int, max_bytes: int) -> Table:
    """Read an uploaded CSV or XLSX file; headers are matched without regard to case.

    Raises :class:`BadFile` with a message a person can act on.
    """
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise BadFile(f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise BadFile(f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
    if not data.strip():
        raise BadFile("The file is empty.")
    name = (getattr(upload, "name", "") or "").lower()
    if data[:4] == b"PK\x03\x04" or name.endswith(".xlsx"):
        raw = _xlsx_rows(data)
    else:
        raw = _csv_rows(data)
    header_row = next(raw, None)
    if header_row is None or _blank(header_row):
        raise BadFile("The first row must hold the column headers.")
    headers = [" ".join(str(h or "").split()) for h in header_row]
    rows = []
    for number, values in enumerate(raw, start=2):
        if _blank(values):
            continue
        if len(rows) >= max_rows:
            raise BadFile(f"The file has more than {max_rows} rows; split it into smaller files.")
        values = list(values) + [None] * (len(headers) - len(values))
        rows.append((number, {_norm(h): v for h, v in zip(headers, values, strict=False) if h}))
    return Table(headers=headers, rows=rows)


def _csv_rows(data: bytes) -> Iterator[list]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly anything
        raise BadFile("The file is not text in UTF-8 or Windows encoding.")
    if "\x00" in text:
        raise BadFile("This is not a CSV file; save it as CSV (UTF-8) or XLSX.")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)

    def rows():
        try:
            yield from reader
        except csv.Error as exc:
            raise BadFile(f"The CSV file could not be read: {exc}.") from None

    return rows()


def _xlsx_rows(data: bytes) -> Iterator[list]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, IndexError, OSError, ValueError):
        raise BadFile("This is not an XLSX workbook that can be opened; "
                      "save it again as .xlsx or CSV.") from None

    def gen():
        try:
            yield from (list(r) for r in rows)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError):
            raise BadFile("The workbook is damaged and could not be read to the end.") from None
        finally:
            workbook.close()

    return gen()


# Cell parsers: each returns a value or raises ValueError with a message. -------------


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    value = str(value).strip()
    if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@"):
        value = value[1:]  # the quote an export put before text that looks like a formula
    return value


def date(value) -> datetime.date | None:
    """A date from a spreadsheet: a date cell, ISO (2027-03-31) or UK (31/03/2027)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raw = text(value)
    for fmt in ("%Y-%m-%d", UK_DATE, "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(raw, fmt).date()  # noqa: DTZ007 - a date, no time
        except ValueError:
            continue
    raise ValueError(f"\u201c{raw}\u201d is not a date; write it as dd/mm/yyyy, e.g. 31/03/2027.")


def whole_number(value) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError("Write a whole number.")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raw = text(value).replace(",", "")
    if raw.isdigit() and len(raw) <= 12:
        return int(raw)
    raise ValueError(f"\u201c{text(value)}\u201d is not a whole number.")


def yes_no(value) -> bool | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return value
    raw = text(value).casefold()
    if raw in ("yes", "y", "true", "1"):
        return True
    if raw in ("no", "n", "false", "0"):
        return False
    raise ValueError(f"\u201c{text(value)}\u201d is not yes or no.")


def choice(value, choices) -> str | None:
    """A value of a Django ``TextChoices``: its code or its label, in any case."""
    raw = text(value)
    if not raw:
        return None
    wanted = raw.casefold().replace("-", " ").replace("_", " ")
    for code, label in choices:
        if wanted in (code.casefold().replace("_", " "), str(label).casefold()):
            return code
    labels = ", ".join(str(label) for _, label in choices)
    raise ValueError(f"\u201c{raw}\u201d is not one of: {labels}.")
