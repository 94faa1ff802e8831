import django_filters as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import services
from ..models import Notification
from . import serializers as s


class NotificationFilter(filters.FilterSet):
    unread = filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", label="Unread only")

    class Meta:
        model = Notification
        fields = ["kind", "subject_type"]


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          viewsets.GenericViewSet):
    """Your own notifications, newest first."""

    serializer_class = s.NotificationSerializer
    filterset_class = NotificationFilter
    ordering_fields = ["created_at"]

    def get_queryset(self):
        mine = Notification.objects.filter(recipient_id=self.request.user.pk)
        return mine.select_related("email")

    @extend_schema(responses=s.UnreadCountSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count", filter_backends=[],
            pagination_class=None)
    def unread_count(self, request):
        return Response({"unread": self.get_queryset().filter(read_at__isnull=True).count()})

    @extend_schema(request=None, responses=s.NotificationSerializer)
    @action(detail=True, methods=["post"], url_path="read")
    def mark_read(self, request, pk=None):
        notification = services.notification_mark_read(
            actor=request.user, notification=self.get_object())
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=None, responses=s.MarkedSerializer)
    @action(detail=False, methods=["post"], url_path="read-all", filter_backends=[],
            pagination_class=None)
    def mark_all_read(self, request):
        return Response({"marked": services.notifications_mark_all_read(actor=request.user)})

    @extend_schema(methods=["get"], responses=s.PreferenceSerializer)
    @extend_schema(methods=["patch", "put"], request=s.PreferenceSerializer,
                   responses=s.PreferenceSerializer)
    @action(detail=False, methods=["get", "patch", "put"], filter_backends=[],
            pagination_class=None)
    def preferences(self, request):
        """Whether you get e-mails, and straight away or in a weekly digest; ``kinds``
        chooses that per kind of notification."""
        if request.method == "GET":
            return Response(s.PreferenceSerializer(services.preference_for(request.user)).data)
        body = s.PreferenceSerializer(data=request.data, partial=request.method == "PATCH")
        body.is_valid(raise_exception=True)
        preference = services.preference_update(actor=request.user, **body.validated_data)
        return Response(s.PreferenceSerializer(preference).data)
