"""The viewset every programme-scoped collection is built on.

A subclass names its model, serializer and filterset, and hooks: which service
writes, and optionally who may create or change before the body is read. The
service checks the role itself (the programmes collections leave ``check_create`` and
``check_change`` empty: their services refuse with 403 after the body is valid).
Unseen objects are 404 (``visible_to``); seen but not changeable are 403.
A delete is one call to the resource's ``<entity>_delete`` service, which checks
the role itself; a collection without a ``delete_object`` answers DELETE with 405.
"""

from contextlib import nullcontext

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.base import HistoryEntrySerializer, history_entries

from .. import access


class ScopedViewSet(viewsets.ModelViewSet):
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    # True when the collection's write services each run in a transaction of their own:
    # the view then opens none around them (a second one is a savepoint, two more
    # statements a write).
    services_are_atomic = False

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Roles are read once per request, never carried over from an earlier one.
        access.forget_memberships(request.user)

    def get_object(self):
        # Read once a request: a change checks the object before reading the body, and
        # DRF's update asks for it again.
        if getattr(self, "_object", None) is None:
            self._object = super().get_object()
        return self._object

    def get_queryset(self):
        model = self.serializer_class.Meta.model
        queryset = model.objects.visible_to(self.request.user)
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        if self.prefetch_related:
            queryset = queryset.prefetch_related(*self.prefetch_related)
        return queryset

    # Hooks for subclasses ---------------------------------------------------

    def check_create(self, data: dict) -> None:
        raise NotImplementedError

    def check_change(self, instance) -> None:
        raise NotImplementedError

    def create_object(self, data: dict):
        raise NotImplementedError

    def update_object(self, instance, data: dict):
        raise NotImplementedError

    def delete_object(self, instance) -> None:
        """Call the resource's delete service with ``actor=self.request.user``."""
        raise exceptions.MethodNotAllowed(self.request.method)

    # DRF plumbing -------------------------------------------------------------

    def update(self, request, *args, **kwargs):
        # Refuse before reading the body: a user who may not change the object
        # learns that, whatever they sent.
        self.check_change(self.get_object())
        return super().update(request, *args, **kwargs)

    def _atomic(self):
        return nullcontext() if self.services_are_atomic else transaction.atomic()

    def perform_create(self, serializer):
        self.check_create(serializer.validated_data)
        with self._atomic():
            serializer.instance = self.create_object(dict(serializer.validated_data))

    def perform_update(self, serializer):
        with self._atomic():
            serializer.instance = self.update_object(
                serializer.instance, dict(serializer.validated_data)
            )

    def perform_destroy(self, instance):
        with transaction.atomic():
            self.delete_object(instance)


class ReadOnlyScopedViewSet(viewsets.ReadOnlyModelViewSet):
    select_related: tuple[str, ...] = ()

    def get_queryset(self):
        model = self.serializer_class.Meta.model
        queryset = model.objects.all()
        if hasattr(queryset, "visible_to"):
            queryset = queryset.visible_to(self.request.user)
        return queryset.select_related(*self.select_related)


def programme_id_of(obj) -> int:
    """Follow the model's ``programme_path`` from a row to its programme's id."""
    path = type(obj).programme_path
    if not path:
        return obj.pk
    *hops, last = path.split("__")
    for hop in hops:
        obj = getattr(obj, hop)
    return getattr(obj, f"{last}_id")


class HistoryMixin:
    """``GET <collection>/{id}/history/``: every change, who made it and when (managers)."""

    def history_allowed(self, obj) -> bool:
        return access.is_manager(self.request.user, programme_id_of(obj))

    @extend_schema(responses={200: HistoryEntrySerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, pk=None):
        obj = self.get_object()
        access.require(self.history_allowed(obj),
                       "Only the programme's managers can read the history.")
        return Response(history_entries(obj))
