from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.base import VersionedMixin
from core.api.rows import ValuesListMixin
from exchange.api import ExportMixin, ImportMixin
from programmes import access
from programmes.api.base import HistoryMixin, ScopedViewSet

from .. import calendar, services, sheets
from ..filters import ActionFilter
from ..models import CalendarFeed
from . import serializers as s


class ActionViewSet(ImportMixin, ExportMixin, HistoryMixin, VersionedMixin, ValuesListMixin,
                    ScopedViewSet):
    serializer_class = s.ActionSerializer
    export_columns, export_name = sheets.ACTION_COLUMNS, "actions"
    export_select_related = sheets.ACTION_SELECT
    import_sheet = sheets.ActionSheet()
    filterset_class = ActionFilter
    select_related = ("owner", "owner_partner", "gap")
    search_fields = ["title", "description"]
    ordering_fields = ["due_date", "priority", "status", "created_at", "updated_at"]
    services_are_atomic = True  # action_create and action_update

    def check_create(self, data):
        pass  # action_create checks the role and to whom the action may be given

    def check_change(self, instance):
        pass  # action_update checks the role and the change

    def create_object(self, data):
        data.pop("version", None)
        data.pop("due_date_reason", None)
        return services.action_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.action_update(actor=self.request.user, action=instance,
                                      if_match=self.if_match(), **data)

    def delete_object(self, instance):
        services.action_delete(actor=self.request.user, action=instance)

    @extend_schema(request=s.ActionBulkSerializer, responses=s.ActionBulkResultSerializer,
                   summary="Change many actions at once (managers)",
                   description="A new owner, a new status or both for every action listed, "
                   "all or none: the first refusal (400, 403 or 409, naming the action) "
                   "leaves every action as it was.")
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request):
        # Refused before the body is read: only a manager of some programme bulk-changes.
        user = request.user
        access.require(user.is_staff or any(
            m.role == access.Role.MANAGER for m in access.memberships_of(user).values()),
            services.BULK_REFUSED)
        serializer = s.ActionBulkSerializer(data=request.data,
                                            context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        change = {"owner": data["owner"]} if "owner" in data else {}
        changed = services.actions_bulk_update(actor=user, ids=data["ids"],
                                               status=data.get("status"), **change)
        return Response({"changed": changed})


class ActionNoteViewSet(ScopedViewSet):
    serializer_class = s.ActionNoteSerializer
    filterset_fields = ["action"]
    select_related = ("author",)
    http_method_names = ["get", "post", "head", "options"]

    def check_create(self, data):
        pass  # action_add_note checks the role

    def check_change(self, instance):
        access.require(False, "Progress notes cannot be changed.")

    def create_object(self, data):
        return services.action_add_note(actor=self.request.user, **data)


class CalendarFeedView(APIView):
    """Your calendar feed's secret address (``POST`` makes a new one, ending the old)."""

    @extend_schema(responses=s.CalendarFeedSerializer)
    def get(self, request):
        return Response({"url": calendar.feed_url(calendar.feed_for(request.user))})

    @extend_schema(request=None, responses=s.CalendarFeedSerializer)
    def post(self, request):
        return Response({"url": calendar.feed_url(calendar.feed_reset(request.user))})


def calendar_feed(request, token):
    """The feed itself: no login, the secret address is the key."""
    feed = get_object_or_404(CalendarFeed.objects.select_related("user"), token=token)
    if not feed.user.is_active:
        raise Http404
    response = HttpResponse(calendar.calendar_for(feed.user),
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="actions.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
