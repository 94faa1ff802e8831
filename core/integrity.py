"""One mapping from a database constraint to the domain error a user sees.

Every ``CheckConstraint`` and ``UniqueConstraint`` of the project's models carries a
plain-English ``violation_error_message`` and a ``violation_error_code``. When the
database refuses a write (two requests raced past the model's own validation), the
``IntegrityError`` names the constraint; :func:`domain_error` turns it into the error
the model's validation would have given: the same sentence on a page and in the API.

The table is read from the models, so a new constraint with a message needs no edit
here. An ``IntegrityError`` no constraint explains (a foreign key, a NOT NULL) is a
fault of the code: it is re-raised, logged and answered with a 500.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.db import IntegrityError, models

from core.errors import Conflict, DomainError, InvalidTransition, LimitExceeded

# A constraint's ``violation_error_code`` chooses the class; any other code is a 400.
_CLASSES: dict[str, type[DomainError]] = {
    cls.code: cls for cls in (Conflict, LimitExceeded, InvalidTransition)
}


@dataclass(frozen=True)
class Known:
    """A constraint of a model, as the mapping needs it."""

    name: str
    message: str
    code: str
    field: str | None

    def error(self) -> DomainError:
        cls = _CLASSES.get(self.code)
        if cls is not None:
            return cls(self.message, field=self.field)
        error = DomainError(self.message, field=self.field)
        error.code = self.code
        return error


def _field(model, constraint) -> str | None:
    """The form field the refusal belongs on: a unique constraint's last field (the
    one a person chose, beside the parent the row belongs to); a check's field when it
    compares one field (``end_date >= start_date`` belongs on ``end_date``; tests of
    emptiness do not count); otherwise none (the message is about the whole record)."""
    if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
        return constraint.fields[-1]
    if isinstance(constraint, models.CheckConstraint):
        names = {
            lookup.split("__")[0]
            for lookup, _ in _leaves(constraint.condition)
            if not lookup.endswith("__isnull")
        }
        if len(names) == 1:
            return names.pop()
    return None


def _leaves(q) -> Iterator[tuple]:
    for child in getattr(q, "children", ()):
        if isinstance(child, tuple):
            yield child
        else:
            yield from _leaves(child)


@cache
def _tables() -> tuple[dict[str, Known], dict[tuple[str, frozenset[str]], Known]]:
    """(constraint name → Known, (table, columns) → Known for unique constraints)."""
    by_name: dict[str, Known] = {}
    by_columns: dict[tuple[str, frozenset[str]], Known] = {}
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if not isinstance(constraint, (models.CheckConstraint, models.UniqueConstraint)):
                continue
            known = Known(
                name=constraint.name,
                message=str(constraint.get_violation_error_message()),
                code=constraint.violation_error_code or "invalid",
                field=_field(model, constraint),
            )
            by_name[constraint.name] = known
            if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
                columns = frozenset(
                    str(model._meta.get_field(f).column)  # type: ignore[union-attr]
                    for f in constraint.fields
                )
                by_columns[(model._meta.db_table, columns)] = known
    return by_name, by_columns


def constraints() -> dict[str, Known]:
    """Every check and unique constraint of the installed models, by name."""
    return dict(_tables()[0])


_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\w+)")
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)$")


def constraint_name(exc: IntegrityError) -> str | None:
    """The name of the constraint the database reports, or None.

    PostgreSQL (psycopg 3) gives it in the error's diagnostics. SQLite names a check
    constraint in its message, but a unique one only by its columns
    (``table.col, table.col``): that is matched against the models' unique constraints.
    """
    diag = getattr(exc.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return name
    text = str(exc)
    if match := _SQLITE_CHECK.search(text):
        return match.group(1)
    if match := _SQLITE_UNIQUE.search(text):
        pairs = [part.strip().split(".", 1) for part in match.group(1).split(",")]
        if all(len(pair) == 2 for pair in pairs) and len({t for t, _ in pairs}) == 1:
            key = (pairs[0][0], frozenset(column for _, column in pairs))
            known = _tables()[1].get(key)
            if known is not None:
                return known.name
    return None


def domain_error(exc: IntegrityError) -> DomainError | None:
    """The domain error for a refused write, or None when no constraint explains it."""
    name = constraint_name(exc)
    known = _tables()[0].get(name) if name else None
    return known.error() if known else None


@contextmanager
def translated() -> Iterator[None]:
    """A known constraint's refusal of the writes inside becomes its domain error.

    No savepoint is taken (it would cost two queries on every save): the error leaves
    the service's transaction, which rolls it back, as any other domain error does. An
    unknown ``IntegrityError`` goes on unchanged.
    """
    try:
        yield
    except IntegrityError as exc:
        error = domain_error(exc)
        if error is None:
            raise
        raise error from exc
