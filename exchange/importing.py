"""Running an import: every row checked, then all rows written or none.

The rows go through the domain's own services inside one transaction, so a dry run
finds exactly the errors a real run would. Unless every row passed and this is not a
dry run, the transaction is rolled back: a file with a bad row changes nothing.

A sheet imports in one of two ways. With ``write`` (the sheets of actions and learning
needs), ``handle`` only checks a row and returns the unsaved object, with what the
whole file needs read once beforehand; once every row passed, ``write`` saves them all
together, so a new row costs no query and the time of an import grows with its rows, not
faster. Without it, ``handle`` writes its row through the services, each row in a
savepoint.

Either way a row that names a record already there (by its ``ID``) is not new:
``handle`` changes that record through the domain's update service at once, inside the
import's transaction (so a dry run meets every rule a real run would, and rolls the
change back), and returns it wrapped in :class:`Updated`; ``write`` never sees it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from core import integrity
from core.errors import DomainError

from . import tabular


@dataclass
class Problem:
    row: int
    column: str | None
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


class FileRefused(DomainError):
    """The file as a whole cannot be imported or made (it cannot be read, lacks a column,
    has no rows, or is too long for XLSX); the message says what to do, on ``field``."""

    status_code = 400
    code = "invalid"


class RowInvalid(Exception):
    """The row cannot be imported; its problems say why."""


class WriteRefused(Exception):
    """Every row passed its checks, but writing them together was refused (a record
    written meanwhile by someone else clashes with the file); nothing was changed."""


@dataclass
class Updated:
    """A row that named a record already there: the record after the row's changes, and
    whether the row changed anything (a row exported and imported as it was does not)."""

    obj: Any
    changed: bool

    @property
    def pk(self):
        return self.obj.pk


class Row:
    """One row of an uploaded file, read cell by cell; problems are collected, not raised."""

    def __init__(self, number: int, values: dict[str, Any]):
        self.number = number
        self.values = values
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def has(self, header: str) -> bool:
        return tabular._norm(header) in self.values

    def raw(self, header: str):
        return self.values.get(tabular._norm(header))

    def get(self, header: str, parse: Callable = tabular.text, *args, required: bool = False):
        try:
            value = parse(self.raw(header), *args)
        except ValueError as exc:
            self.error(header, str(exc))
            return None
        if required and value in (None, ""):
            self.error(header, f"{header} is needed.")
        return value

    def error(self, column: str | None, message: str) -> None:
        self.problems.append(Problem(self.number, column, message))

    def warn(self, column: str | None, message: str) -> None:
        self.warnings.append(Problem(self.number, column, message))

    def check(self) -> None:
        """Stop here when a cell could not be read (before any service is called)."""
        if self.problems:
            raise RowInvalid


@dataclass
class Report:
    dry_run: bool
    rows: int = 0
    ids: list[int] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def committed(self) -> bool:
        return self.valid and not self.dry_run

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "valid": self.valid,
            "committed": self.committed,
            "rows": self.rows,
            "imported": len(self.ids) if self.committed else 0,
            "ids": self.ids if self.committed else [],
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [p.as_dict() for p in self.errors],
            "warnings": [p.as_dict() for p in self.warnings],
        }


def _problems(exc: Exception, row: Row, headers: dict[str, str]) -> list[Problem]:
    """Turn an error of a domain service or a model into problems of the row."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return [
                Problem(row.number, headers.get(name), message)
                for name, errors in exc.error_dict.items()
                for error in errors
                for message in error.messages
            ]
        return [Problem(row.number, None, m) for m in exc.messages]
    if isinstance(exc, IntegrityError):
        known = integrity.domain_error(exc)
        if known is None:
            raise exc
        exc = known
    field_name = getattr(exc, "field", None)
    message = getattr(exc, "message", None) or str(exc) or "This row is not allowed."
    return [Problem(row.number, headers.get(field_name) if field_name else None, message)]


def run(table: tabular.Table, handle: Callable[[Row], Any], *, dry_run: bool,
        expected: tuple[type[Exception], ...] = (), field_headers: dict[str, str] | None = None,
        write: Callable[[list], list] | None = None) -> Report:
    """Import every row with ``handle``; keep the changes only if all rows passed.

    ``expected`` are the domain's error classes: they become problems of the row.
    ``field_headers`` maps a model field's name to the column that holds it.
    ``write``, when given, saves together the new objects ``handle`` checked (and returns
    them saved); rows that changed a record already there (:class:`Updated`) are not
    passed to it. ``ids`` are every row's record, in the file's order. A dry run stops
    before ``write``: every rule was checked row by row, and what ``write`` alone can meet
    (a record someone else wrote meanwhile) may as well happen after the dry run as during
    it.
    """
    headers = field_headers or {}
    caught = (RowInvalid, DjangoValidationError, PermissionDenied, IntegrityError, *expected)
    report = Report(dry_run=dry_run, rows=len(table.rows))
    with transaction.atomic():
        checked = []
        for number, values in table.rows:
            row = Row(number, values)
            try:
                if write is None:
                    with transaction.atomic():
                        obj = handle(row)
                        row.check()
                else:
                    obj = handle(row)
                    row.check()
            except caught as exc:
                report.errors.extend(row.problems or _problems(exc, row, headers))
            else:
                checked.append(obj)
            report.warnings.extend(row.warnings)
        for obj in checked:
            if not isinstance(obj, Updated):
                report.created += 1
            elif obj.changed:
                report.updated += 1
            else:
                report.unchanged += 1
        new = [obj for obj in checked if not isinstance(obj, Updated)]
        if write is not None and new and report.valid and not dry_run:
            try:
                with transaction.atomic():
                    saved = iter(write(new))
            except caught as exc:
                raise WriteRefused("Someone changed this programme while the file was being "
                                   "imported, and the file now clashes with it; nothing was "
                                   "imported. Check the file again.") from exc
            checked = [obj if isinstance(obj, Updated) else next(saved) for obj in checked]
        report.ids = [obj.pk for obj in checked] if report.committed else []
        if not report.committed:
            transaction.set_rollback(True)
    return report
