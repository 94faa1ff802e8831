"""Optimistic concurrency for rows that carry a ``version``.

A writer sends the version it read (in the body as ``version``, or as the ETag
in an ``If-Match`` header). The row is locked, compared and only then changed,
so of two writers who read the same version, the second is refused.
"""

from django.db.models import QuerySet

from .errors import PreconditionFailed, StaleVersion

ANY = "*"


def etag_for(obj) -> str:
    return f'"{obj.version}"'


def parse_if_match(header: str | None):
    """The version an If-Match header names, ``ANY`` for ``*``, or None without one."""
    if header is None:
        return None
    value = header.strip()
    if value == ANY:
        return ANY
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    if not value.isdigit() or len(value) > 10:
        return -1  # never matches: a malformed tag fails the precondition
    return int(value)


def lock_for_update(model, pk, *, version=None, if_match=None):
    """Lock the row and check the versions the client sent against it.

    ``model`` may be a queryset of the model: the rows it selects with the row (its
    ``select_related``) come in the same query, and only the model's own row is locked.
    """
    if isinstance(model, QuerySet):
        queryset, model = model, model.model
        queryset = queryset.select_for_update(of=("self",)) if queryset.query.select_related \
            else queryset.select_for_update()
    else:
        queryset = model.objects.select_for_update()
    obj = queryset.get(pk=pk)
    if if_match not in (None, ANY) and if_match != obj.version:
        raise PreconditionFailed(
            f"This {model._meta.verbose_name} has changed since you read it "
            f"(it is now at version {obj.version}). Reload it and try again."
        )
    if version is not None and version != obj.version:
        raise StaleVersion(
            f"This {model._meta.verbose_name} was changed by someone else (version "
            f"{obj.version}, you sent {version}). Reload it and try again.",
            field="version",
        )
    return obj
