"""``/api/v1/webhooks/``: a programme's webhooks, their delivery log and a test event.

Members of the programme see its webhooks; ``webhook_create``, ``webhook_update``,
``webhook_delete`` and ``webhook_send_test`` decide who may change them (any member
adds one and owns it; managers change any, others their own).
"""

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from programmes.api.base import ScopedViewSet

from .. import services
from ..models import WebhookDelivery
from .serializers import (
    WebhookCreatedSerializer,
    WebhookDeliverySerializer,
    WebhookSerializer,
    WebhookUpdateSerializer,
)


class WebhookViewSet(ScopedViewSet):
    serializer_class = WebhookSerializer
    filterset_fields = ["programme", "active"]
    ordering_fields = ["created_at"]

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return WebhookUpdateSerializer
        return WebhookSerializer

    @extend_schema(responses={201: WebhookCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        answer = WebhookCreatedSerializer(serializer.instance,
                                          context=self.get_serializer_context())
        return Response(answer.data, status=status.HTTP_201_CREATED)

    def check_create(self, data):
        pass  # webhook_create checks the role itself

    def check_change(self, instance):
        pass  # webhook_update checks the role itself

    def create_object(self, data):
        return services.webhook_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.webhook_update(actor=self.request.user, webhook=instance, **data)

    def delete_object(self, instance):
        services.webhook_delete(actor=self.request.user, webhook=instance)

    @extend_schema(responses={200: WebhookDeliverySerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request, pk=None):
        """Every delivery to the webhook, newest first, with each try at sending it."""
        webhook = self.get_object()
        rows = WebhookDelivery.objects.filter(webhook=webhook).prefetch_related("log")
        page = self.paginate_queryset(rows)
        data = WebhookDeliverySerializer(page, many=True).data
        return self.get_paginated_response(data)

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def test(self, request, pk=None):
        """Queue a test event (``webhook.test``) to the webhook."""
        webhook = self.get_object()
        with transaction.atomic():
            delivery = services.webhook_send_test(actor=request.user, webhook=webhook)
        return Response(WebhookDeliverySerializer(delivery).data,
                        status=status.HTTP_202_ACCEPTED)
