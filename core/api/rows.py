"""A list's page read with ``values()`` and shaped exactly as its serializer shapes a row.

A serializer builds a model object per row and walks a field object per value: on the
busiest lists that is most of the request. :class:`ValuesRows` reads the serializer's
own fields once (their names, order and sources) and turns each into a column of a
``values()`` query, keeping the field to format the value (dates, times, decimals) as
the serializer would. Fields that are no column (a method field, a model property) are
named by the serializer in ``row_fields``: ``{name: (columns, function)}``, the function
given those columns' values in that order. A field it cannot map is an error when the
rows are first built, never a silent difference.

:class:`ValuesListMixin` answers a viewset's ``GET`` list from those rows, with the same
filters, ordering, pagination and envelope; everything else keeps the serializer.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db.models import ForeignKey, OneToOneField
from rest_framework import ISO_8601, fields, relations, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings

# Serializer fields whose representation of a value of these model fields is that value.
_TEXT = {"CharField", "TextField", "SlugField", "EmailField", "URLField"}
_INTEGER = {"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField",
            "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField",
            "PositiveSmallIntegerField"}
_AS_IS = {fields.CharField: _TEXT, fields.ChoiceField: _TEXT, fields.IntegerField: _INTEGER,
          fields.BooleanField: {"BooleanField"}}


class ValuesRows:
    """The serializer's JSON of each row of a ``values()`` query of :attr:`columns`."""

    def __init__(self, serializer_class: type[serializers.ModelSerializer]):
        self.serializer_class = serializer_class
        # (name, column, format or None) or (name, None, columns, function), in order
        self._plan: list[tuple[str, Any, Any, Any]] | None = None
        self._columns: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        if self._plan is None:
            self._build()
        return self._columns

    def _build(self) -> None:
        model = self.serializer_class.Meta.model
        computed = getattr(self.serializer_class, "row_fields", {})
        plan: list[tuple[str, Any, Any, Any]] = []
        columns: list[str] = []
        for name, field in self.serializer_class().fields.items():
            if field.write_only:
                continue
            if name in computed:
                wanted, function = computed[name]
                plan.append((name, None, tuple(wanted), function))
                columns.extend(wanted)
                continue
            column, convert = _column_of(model, field)
            plan.append((name, column, convert, None))
            columns.append(column)
        self._columns = tuple(dict.fromkeys(columns))
        self._plan = plan

    def shape(self, rows) -> list[dict]:
        if self._plan is None:
            self._build()
        # A converter that depends on the request (the current time zone) is made here,
        # once for the page.
        plan: list[tuple[str, Any, Any, Any]] = [
            (name, column, convert.make() if isinstance(convert, _PerPage) else convert,
             function) for name, column, convert, function in self._plan or []]
        out = []
        for row in rows:
            item = {}
            for name, column, convert, function in plan:
                if function is not None:
                    item[name] = function(*[row[c] for c in convert])
                    continue
                value = row[column]
                item[name] = value if value is None or convert is None else convert(value)
            out.append(item)
        return out


def _column_of(model, field) -> tuple[str, Any]:
    """The ``values()`` column of a serializer field, and how to format its value: None
    (as it comes from the database), a function, or a ``_PerPage`` that makes one for
    each page."""
    what = f"{model.__name__}'s field {field.field_name!r}"
    if isinstance(field, (serializers.BaseSerializer, relations.ManyRelatedField,
                          fields.SerializerMethodField)) or not field.source_attrs:
        raise ImproperlyConfigured(f"{what} is no column: name it in row_fields.")
    *hops, last = field.source_attrs
    opts = model._meta
    try:
        for hop in hops:
            relation = opts.get_field(hop)
            if not isinstance(relation, (ForeignKey, OneToOneField)):
                raise FieldDoesNotExist(hop)
            opts = relation.related_model._meta
        target = opts.get_field(last)
    except FieldDoesNotExist:
        raise ImproperlyConfigured(f"{what} is no column: name it in row_fields.") from None
    prefix = "".join(f"{hop}__" for hop in hops)
    if target.is_relation and last == target.attname and last != target.name:
        kind = "id"  # ``gap.principle_id``: the id column itself
    elif target.is_relation:
        kind = "relation"
    else:
        kind = target.get_internal_type()
    if isinstance(field, relations.PrimaryKeyRelatedField):
        if kind != "relation" or not isinstance(target, ForeignKey) or field.pk_field:
            raise ImproperlyConfigured(f"{what} is not a plain id: name it in row_fields.")
        return prefix + target.attname, None
    if isinstance(field, relations.RelatedField) or kind in ("relation", "FileField",
                                                              "ImageField"):
        raise ImproperlyConfigured(f"{what} is not a plain value: name it in row_fields.")
    column = prefix + last
    if kind == "id":
        kind = target.target_field.get_internal_type()
    if kind in _AS_IS.get(type(field), ()):
        return column, None
    if type(field) is fields.DateField and kind == "DateField" and \
            getattr(field, "format", api_settings.DATE_FORMAT).lower() == ISO_8601:
        return column, _iso_date
    if type(field) is fields.DateTimeField and kind == "DateTimeField" and settings.USE_TZ \
            and getattr(field, "format", api_settings.DATETIME_FORMAT).lower() == ISO_8601:
        return column, _PerPage(field)
    return column, field.to_representation


def _iso_date(value):
    """``DateField.to_representation`` of a date, in ISO 8601."""
    return value.isoformat()


class _PerPage:
    """``DateTimeField.to_representation`` in ISO 8601 for the rows of one page: the
    field's time zone (the request's current one) looked up once, not for each value."""

    def __init__(self, field: fields.DateTimeField):
        self.field = field

    def make(self) -> Callable[[Any], Any]:
        field = self.field
        zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
        slow = field.to_representation

        def convert(value):
            if zone is None or value.tzinfo is None:
                return slow(value)
            text = value.astimezone(zone).isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return convert


class ValuesListMixin:
    """``GET`` on the collection answered from :class:`ValuesRows` of the list's
    serializer: the same JSON, without a model object or a serializer per row."""

    _values_rows: dict[type, ValuesRows] = {}

    def list(self, request, *args, **kwargs):
        serializer_class = self.get_serializer_class()
        rows = ValuesListMixin._values_rows.get(serializer_class)
        if rows is None:
            rows = ValuesListMixin._values_rows.setdefault(serializer_class,
                                                           ValuesRows(serializer_class))
        queryset = self.filter_queryset(self.get_queryset())
        values = queryset.values(*rows.columns)
        page = self.paginate_queryset(CountedApart(values, queryset))
        if page is None:
            return Response(rows.shape(values))
        return self.get_paginated_response(rows.shape(page))


class CountedApart:
    """The ``values()`` rows of a list, for a paginator, counted as the queryset they
    come from: the columns' joins (to a gap's partner and item) would otherwise join in
    the count too, which took three times as long as the count of the list's own rows."""

    def __init__(self, values, queryset):
        self.values, self.queryset = values, queryset

    @property
    def ordered(self) -> bool:
        return self.values.ordered

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        return self.values[key]
