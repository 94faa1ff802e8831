"""Columns, and reading and writing CSV and XLSX files.

A :class:`Column` has a plain-English header and a way to read its value from a
row object, and from the row's plain values. Writers turn a queryset (read with
``values_list``, in chunks) or an iterable of objects into a whole CSV file or XLSX
workbook in a temporary file (openpyxl's write-only mode); the reader turns an
uploaded CSV or XLSX file into dictionaries keyed by header, with spreadsheet
row numbers.
"""

import csv
import datetime
import functools
import io
import itertools
import logging
import operator
import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from defusedxml import DefusedXmlException
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
UK_DATE = "%d/%m/%Y"

log = logging.getLogger(__name__)


class BadFile(ValueError):
    """The uploaded file cannot be read as a table; nothing was changed."""


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its header, and how to read its value from an object.

    ``source`` is a dotted attribute path (``owner_partner.name``) or a function of
    the object. ``importable`` columns are read back by imports; the others (ids
    given by the database, figures worked out by it) are for reading only.

    An export reads plain values (``values_list``), not objects: a dotted path is read
    as the field ``owner_partner__name``; a column with a function or a property as its
    source names the ``fields`` it needs and ``from_values``, the function of those
    values (in that order) that gives the same value as ``source`` gives of the object.
    A function source may carry both as attributes (``programmes.sheets.label`` does).
    A column of a to-many relation names it in ``many`` (``principles__number``): its
    ``from_values`` is given the list of those values of the row, in the related
    model's order, read in one more query for each chunk of rows.
    """

    header: str
    source: str | Callable[[Any], Any]
    importable: bool = False
    fields: tuple[str, ...] = ()
    from_values: Callable[..., Any] | None = None
    many: str = ""

    def __post_init__(self):
        if self.from_values is None and callable(self.source):
            fields = getattr(self.source, "fields", None)
            from_values = getattr(self.source, "from_values", None)
            if fields and from_values is not None:
                object.__setattr__(self, "fields", tuple(fields))
                object.__setattr__(self, "from_values", from_values)

    def value(self, obj) -> Any:
        if callable(self.source):
            return self.source(obj)
        value = obj
        for part in self.source.split("."):
            value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
            if value is None:
                return None
        return value

    @property
    def paths(self) -> tuple[str, ...] | None:
        """The ``values_list`` fields this column is made from; None when it can only be
        read from an object."""
        if self.many:
            return ("pk",) if self.from_values is not None else None
        if self.from_values is not None:
            return self.fields
        if isinstance(self.source, str):
            return (self.source.replace(".", "__"),)
        return None


def _field_exists(model, path: str, annotations) -> bool:
    """Whether ``values_list(path)`` reads a stored field (or an annotation) of
    ``model``, not a property of the object that happens to share the name."""
    if path in annotations or path == "pk":
        return True
    parts = path.split("__")
    for i, part in enumerate(parts):
        try:
            field = model._meta.get_field(part)
        except Exception:  # noqa: BLE001 - FieldDoesNotExist, or an attname below
            field = next((f for f in model._meta.concrete_fields if f.attname == part), None)
            if field is None:
                return part == "pk" and i == len(parts) - 1
            return i == len(parts) - 1
        if i == len(parts) - 1:
            # a relation by its name is an object (shown as its text), its id by attname
            return (getattr(field, "concrete", False) and not field.many_to_many
                    and (not field.is_relation or part == field.attname))
        if not (field.many_to_one or field.one_to_one) or field.related_model is None:
            return False
        model = field.related_model
    return False  # pragma: no cover - the loop returns


def values_plan(columns: list[Column], queryset) -> list[str] | None:
    """The fields to read with ``values_list`` for ``columns``, each once; None when a
    column cannot be made from plain values (then the rows are read as objects)."""
    annotations = set(getattr(queryset.query, "annotations", {}) or {})
    fields: dict[str, None] = {}
    for column in columns:
        paths = column.paths
        if paths is None or not all(_field_exists(queryset.model, p, annotations)
                                    for p in paths):
            return None
        fields.update(dict.fromkeys(paths))
    return list(fields)


EXPORT_CHUNK = 2000  # rows fetched at a time from the database cursor


def cells(columns: list[Column], rows) -> Generator[list, None, None]:
    """The values of each row, one list per row, in the columns' order.

    A queryset whose columns all have a values plan is read with ``values_list`` of just
    those fields, in chunks, and each value made from the plain values; anything else
    (objects, dictionaries, a queryset with a column only an object can give) is read
    object by object with :meth:`Column.value`. Both give the same values.

    The database cursor is closed as soon as this stops, also when a row fails (not
    later, by the garbage collector, when the transaction may be gone).
    """
    plan = values_plan(columns, rows) if _is_queryset(rows) else None
    if plan is None:
        if _is_queryset(rows):
            rows = rows.iterator(chunk_size=EXPORT_CHUNK)
        try:
            for obj in rows:
                yield [c.value(obj) for c in columns]
        finally:
            _close(rows)
        return
    values = rows.prefetch_related(None).values_list(*plan).iterator(chunk_size=EXPORT_CHUNK)
    try:
        yield from _value_rows(columns, rows.model, plan, values)
    finally:
        _close(values)


def _close(rows) -> None:
    close = getattr(rows, "close", None)
    if close is not None:
        close()


def _value_rows(columns: list[Column], model, plan: list[str], values) -> Iterator[list]:
    index = {name: i for i, name in enumerate(plan)}
    found: dict[str, dict] = {c.many: {} for c in columns if c.many}
    getters = [_many_getter(c, index["pk"], found[c.many]) if c.many else _getter(c, index)
               for c in columns]
    if not found:
        for row in values:
            yield [get(row) for get in getters]
        return
    while chunk := list(itertools.islice(values, EXPORT_CHUNK)):
        ids = [row[index["pk"]] for row in chunk]
        for path, by_id in found.items():
            by_id.clear()
            by_id.update(_many_values(model, path, ids))
        for row in chunk:
            yield [get(row) for get in getters]


def _many_values(model, path: str, ids: list) -> dict[Any, list]:
    """The values at the to-many ``path`` of each of the rows ``ids``, in the related
    model's own order (as ``obj.relation.all()`` gives them)."""
    relation = path.split("__", 1)[0]
    related = model._meta.get_field(relation).related_model
    ordering = [f"-{relation}__{o[1:]}" if o.startswith("-") else f"{relation}__{o}"
                for o in related._meta.ordering]
    by_id: dict[Any, list] = {}
    pairs = (model._base_manager.filter(pk__in=ids, **{f"{relation}__isnull": False})
             .order_by("pk", *ordering).values_list("pk", path))
    for pk, value in pairs:
        by_id.setdefault(pk, []).append(value)
    return by_id


def _many_getter(column: Column, position: int, by_id: dict) -> Callable[[tuple], Any]:
    make = column.from_values
    assert make is not None
    return lambda row: make(by_id.get(row[position], []))


def _is_queryset(rows) -> bool:
    return hasattr(rows, "values_list") and hasattr(rows, "query")


def _getter(column: Column, index: dict[str, int]) -> Callable[[tuple], Any]:
    positions = [index[p] for p in column.paths or ()]
    if column.from_values is None:
        (position,) = positions
        return operator.itemgetter(position)
    make = column.from_values
    if len(positions) == 1:
        (position,) = positions
        return lambda row: make(row[position])
    pick = operator.itemgetter(*positions)
    return lambda row: make(*pick(row))


def _plain(value):
    """A cell value: dates stay dates, money stays decimal, the rest is text or a number."""
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, (int, float, Decimal, datetime.date, str)) or value is None:
        return value
    return str(value)


_FORMULA_STARTS = frozenset(("=", "+", "-", "@", "\t", "\r"))


def _csv_text(value) -> str:
    kind = type(value)
    if kind is str:  # the common cases first, with the same text as the general path
        if value[:1] in _FORMULA_STARTS and not _is_number(value):
            return "'" + value
        return value
    if kind is int:
        return str(value)
    if value is None:
        return ""
    if kind is bool:
        return "Yes" if value else "No"
    if kind is datetime.date:
        return value.isoformat()
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    # A cell starting with one of these is run as a formula by spreadsheet programs.
    if text[:1] in _FORMULA_STARTS and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


def csv_file(columns: list[Column], rows: Iterable, *, block: int = 2000):
    """The whole CSV file (UTF-8 with a byte-order mark, which Excel needs) in a
    temporary file, rewound: an error on any row raises here, before anything is sent."""
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - returned open
    try:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow([c.header for c in columns])
        text = _csv_text
        values = cells(columns, rows)
        lines = ([text(v) for v in row] for row in values)
        try:
            while True:
                writer.writerows(itertools.islice(lines, block))
                if not buffer.tell():
                    break
                out.write(buffer.getvalue().encode("utf-8"))
                buffer.seek(0)
                buffer.truncate()
        finally:
            values.close()
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return out


def xlsx_file(columns: list[Column], rows: Iterable, *, title: str = "Export"):
    """An XLSX workbook in a temporary file, rewound; dates as dates, dd/mm/yyyy."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([c.header for c in columns])
    values = cells(columns, rows)
    try:
        for row in values:
            sheet.append([_xlsx_cell(v) for v in row])
    except BaseException:
        _discard(sheet)
        raise
    finally:
        values.close()
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - returned open
    workbook.save(out)
    out.seek(0)
    return out


def _discard(sheet) -> None:
    """Close a write-only sheet left half-written, and remove its temporary file."""
    try:
        sheet.close()
        os.remove(sheet._writer.out)
    except Exception:  # noqa: BLE001, S110 - only tidying after the error being raised
        pass


def _xlsx_cell(value):
    value = _plain(value)
    if isinstance(value, str) and value[:1] in ("=", "+", "@") and not _is_number(value):
        return "'" + value  # never a formula from user text
    return value


# Reading ----------------------------------------------------------------------------

# What a damaged or hostile workbook raises while it is opened or read: a broken zip
# (BadZipFile, zlib.error, EOFError), a missing part (KeyError), malformed XML
# (SyntaxError covers ElementTree's ParseError and lxml's XMLSyntaxError), a refused
# entity or DTD (defusedxml's errors are ValueErrors), and values of the wrong type or
# range in the XML (ValueError, TypeError, IndexError, OverflowError).
XLSX_ERRORS = (
    InvalidFileException, zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError,
    KeyError, IndexError, ValueError, TypeError, OverflowError, SyntaxError, OSError,
)
NOT_A_WORKBOOK = ("This is not an XLSX workbook that can be opened; "
                  "save it again as .xlsx or CSV.")
DAMAGED = "The workbook is damaged and could not be read to the end; save it again as .xlsx or CSV."
MAX_COLUMNS = 200  # columns read from a sheet; an export has about 20
MAX_UNPACKED_BYTES = 32 * 1024 * 1024  # a workbook's parts, unzipped
MAX_SHARED_STRINGS = 200_000  # texts in a workbook's shared strings
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c|si|dimension|sheetData)(?=[\s/>])")
_ROOT = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)worksheet(?=[\s/>])[^>]*>")


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, dict[str, Any]]]  # (spreadsheet row number, values by header)


@functools.lru_cache(maxsize=1024)
def _norm(header) -> str:
    return " ".join(str(header or "").split()).casefold()


def column_values(table: Table, header: str, parse: Callable | None = None) -> set:
    """Every value of one column that ``parse`` reads (``text`` by default), blanks and
    unreadable cells left out: what an import looks up once for the whole file."""
    parse = parse or text
    key = _norm(header)
    values = set()
    for _number, row in table.rows:
        try:
            value = parse(row.get(key))
        except ValueError:
            continue
        if value not in (None, ""):
            values.add(value)
    return values


def _blank(values) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def read_table(upload, *, max_rows: int, max_bytes: int,
               max_columns: int = MAX_COLUMNS) -> Table:
    """Read an uploaded CSV or XLSX file; headers are matched without regard to case.

    Time and memory are bounded by the limits, whatever the file claims about itself:
    an XLSX is read as a stream (openpyxl's read-only mode), after checks of its unpacked
    size, its declared size and its real number of rows and cells.

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
        raw = _xlsx_rows(data, max_rows=max_rows, max_columns=max_columns)
    else:
        raw = _csv_rows(data)
    try:
        header_row = next(raw, None)
        if header_row is None or _blank(header_row):
            raise BadFile("The first row must hold the column headers.")
        headers = [" ".join(str(h or "").split()) for h in header_row[:max_columns]]
        while headers and not headers[-1]:
            headers.pop()
        keys = [_norm(h) for h in headers]
        rows = []
        for number, values in enumerate(raw, start=2):
            if _blank(values):
                continue
            if len(rows) >= max_rows:
                raise BadFile(_too_many_rows(max_rows))
            values = list(values) + [None] * (len(keys) - len(values))
            rows.append((number, {k: v for k, v in zip(keys, values, strict=False) if k}))
    finally:
        raw.close()
    return Table(headers=headers, rows=rows)


def _too_many_rows(max_rows: int) -> str:
    return f"The file has more than {max_rows} rows; split it into smaller files."


def _csv_rows(data: bytes) -> Generator[list, None, None]:
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


def _xlsx_rows(data: bytes, *, max_rows: int, max_columns: int) -> Generator[list, None, None]:
    """The first sheet's rows, as lists of values, read as a stream.

    Before openpyxl reads anything (it parses a whole sheet when looking for a
    dimension that is not there, and holds a whole row and the shared strings in
    memory), the workbook must unzip to at most ``MAX_UNPACKED_BYTES`` (a zip bomb
    stops here) and a scan of its XML must find, in every sheet, at most ``max_rows`` + 1
    rows and ``max_columns`` cells in a row, and at most ``MAX_SHARED_STRINGS`` shared
    strings. Then the sheet's declared size (its ``dimension``) must be within the limits,
    and while reading, a row number past the limit stops the reading too (rows left out
    of the XML are filled in by openpyxl).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = [info for info in archive.infolist()
                     if info.filename.lower().endswith((".xml", ".rels"))]
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > MAX_UNPACKED_BYTES:
                raise BadFile(
                    f"The workbook unzips to more than {MAX_UNPACKED_BYTES // (1024 * 1024)} MB, "
                    "far more than a sheet that can be imported needs; save it again as .xlsx "
                    "or CSV.")
            strings = 0
            unsized = []
            for info in parts:
                with archive.open(info) as source:
                    found = _scan(source, max_rows=max_rows, max_columns=max_columns)
                _check_size(found.rows, found.widest, max_rows=max_rows, max_columns=max_columns,
                            declared=False)
                strings += found.strings
                if found.sheet and not found.dimension:
                    unsized.append((info.filename, found))
                if strings > MAX_SHARED_STRINGS:
                    raise BadFile(f"The workbook holds more than {MAX_SHARED_STRINGS:,} pieces "
                                  "of text, more than a sheet that can be imported needs.")
        if unsized:
            data = _with_dimensions(data, dict(unsized))
    except BadFile:
        raise
    except XLSX_ERRORS as exc:
        raise _bad(NOT_A_WORKBOOK, exc) from None
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except XLSX_ERRORS as exc:
        raise _bad(NOT_A_WORKBOOK, exc) from None
    try:
        if not workbook.worksheets:
            raise BadFile("The workbook has no sheet.")
        sheet = workbook.worksheets[0]
        _check_size(sheet.max_row, sheet.max_column, max_rows=max_rows,
                    max_columns=max_columns, declared=True)
        # Read as the XML says, not as the dimension says: no padding to a declared size,
        # and no column lost to a dimension narrower than the data. A cell past the
        # column limit is left out.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True, max_col=max_columns)
    except BadFile:
        workbook.close()
        raise
    except XLSX_ERRORS as exc:
        workbook.close()
        raise _bad(DAMAGED, exc) from None

    def gen():
        try:
            for number, values in enumerate(rows, start=1):
                if number > max_rows + 1:
                    raise BadFile(_too_many_rows(max_rows))
                yield list(values)
        except BadFile:
            raise
        except XLSX_ERRORS as exc:
            raise _bad(DAMAGED, exc) from None
        finally:
            workbook.close()

    return gen()


def _check_size(rows, columns, *, max_rows: int, max_columns: int, declared: bool) -> None:
    """Refuse a sheet of more rows or columns than can be imported. A declared size is
    told as declared; a scan stops counting just past the limit."""
    if rows is not None and rows > max_rows + 1:
        size = f"says it has {rows:,}" if declared else f"has more than {max_rows + 1:,}"
        raise BadFile(f"The sheet {size} rows; up to {max_rows:,} rows (below the headers) "
                      "can be imported at once, so split it into smaller files. Rows that "
                      "only look empty count too: delete them.")
    if columns is not None and columns > max_columns:
        size = f"says it has {columns:,}" if declared else f"has more than {max_columns}"
        raise BadFile(f"The sheet {size} columns; up to {max_columns} can be read. Delete "
                      "the columns you do not need.")


@dataclass
class _Found:
    rows: int = 0
    widest: int = 0
    strings: int = 0
    sheet: bool = False  # a worksheet (it has sheetData)
    dimension: bool = False  # with a declared size


def _scan(source, *, max_rows: int, max_columns: int, chunk: int = 1024 * 1024) -> _Found:
    """Count, in one part of a workbook, the ``<row>`` elements, the most ``<c>`` cells in
    a row and the ``<si>`` shared strings, without building any element (a regular
    expression over the bytes); stops as soon as one of the counts is past its limit."""
    found = _Found()
    cells = 0
    tail = b""
    while True:
        block = source.read(chunk)
        text = tail + block
        # A tag cut at the end of a block is counted with the next one.
        keep = max(0, len(text) - 64) if block else len(text)
        for match in _TAG.finditer(text):
            if match.start() >= keep:
                break
            tag = match.group(1)
            if tag == b"sheetData":
                found.sheet = True
            elif tag == b"dimension" and not found.sheet:
                found.dimension = True
            if tag == b"row":
                found.rows += 1
                found.widest, cells = max(found.widest, cells), 0
                if found.rows > max_rows + 1:
                    return found
            elif tag == b"c":
                cells += 1
                if cells > max_columns:
                    found.widest = cells
                    return found
            elif tag == b"si":
                found.strings += 1
                if found.strings > MAX_SHARED_STRINGS:
                    return found
        if not block:
            found.widest = max(found.widest, cells)
            return found
        tail = text[keep:]


def _with_dimensions(data: bytes, sheets: dict[str, _Found]) -> bytes:
    """The workbook with a declared size in each of ``sheets``, as the scan found it.

    openpyxl looks for a sheet's dimension when it opens the workbook and, when there
    is none (openpyxl's own write-only files, so every export of this service, have
    none), parses the whole sheet to find that out, before the rows are read again.
    Giving it the size the scan counted saves that first pass.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
        for info in source.infolist():
            part = source.read(info)
            found = sheets.get(info.filename)
            root = _ROOT.search(part, 0, 64 * 1024) if found else None
            if root is not None:
                size = f"A1:{get_column_letter(max(found.widest, 1))}{max(found.rows, 1)}"
                tag = root.group(1) + b'dimension ref="' + size.encode() + b'"/>'
                part = part[:root.end()] + b"<" + tag + part[root.end():]
            target.writestr(info.filename, part)
    return out.getvalue()


def _bad(message: str, exc: Exception) -> BadFile:
    """The refusal of a workbook that raised ``exc``: what is wrong, then what to do."""
    log.info("unreadable workbook: %s: %s", exc.__class__.__name__, exc)
    while isinstance(exc.__cause__, Exception):  # openpyxl wraps what went wrong in a ValueError
        exc = exc.__cause__
    if isinstance(exc, DefusedXmlException):
        message = ("The workbook holds XML entity or document type declarations, which are "
                   "refused for safety; save it again as .xlsx or CSV.")
    elif isinstance(exc, SyntaxError):
        message = ("Part of the workbook is not well-formed XML, so it cannot be read; "
                   "save it again as .xlsx or CSV.")
    elif isinstance(exc, KeyError):
        message = ("The workbook lacks a part every XLSX file has; "
                   "save it again as .xlsx or CSV.")
    elif isinstance(exc, (zipfile.BadZipFile, zlib.error, EOFError)):
        message = ("The file is not a complete XLSX workbook (its zip is damaged); "
                   "save it again as .xlsx or CSV.")
    return BadFile(message)


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
