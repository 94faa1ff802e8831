"""``/api/v1/evidence/``: links and files behind an assessment's answers.

Anyone who may see the assessment lists its evidence and downloads its files
(``GET /evidence/{id}/download/``, streamed through the service, never a public
address); ``evidence_add`` and ``evidence_delete`` decide who may change it (managers,
the partner's leads, while the assessment is a draft). A file is sent as multipart form
data (``file``), a link as ``url``; nothing changes an item of evidence once added.
"""

import django_filters
from django.http import FileResponse, Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from core.api.fields import BaseModelSerializer

from .. import evidence as evidence_services
from ..models import Evidence, Response
from .base import ScopedViewSet


class EvidenceFilter(django_filters.FilterSet):
    assessment = django_filters.NumberFilter(field_name="response__assessment_id")

    class Meta:
        model = Evidence
        fields = ["response", "assessment"]


class EvidenceSerializer(BaseModelSerializer):
    title = serializers.CharField(max_length=300, required=False, allow_blank=True,
                                  help_text="Defaults to the file's name or the link.")
    url = serializers.CharField(max_length=1000, required=False, allow_blank=True,
                                help_text="A link (http or https): give a link or a file.")
    file = serializers.FileField(write_only=True, required=False, allow_empty_file=True,
                                 use_url=False,
                                 help_text="At most 10 MB of PDF, Word, Excel, PowerPoint, "
                                           "CSV, text, PNG or JPEG, checked from its bytes.")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = ["id", "response", "title", "url", "file", "filename", "content_type",
                  "size", "evidence_date", "uploaded_by", "created_at", "download_url"]
        read_only_fields = ["filename", "content_type", "size", "uploaded_by", "created_at"]

    def get_download_url(self, obj) -> str | None:
        if not obj.file:
            return None
        return reverse("evidence-download", args=[obj.pk])

    def validate(self, attrs):
        return attrs  # the service checks link or file, the URL and the file itself


class EvidenceViewSet(ScopedViewSet):
    serializer_class = EvidenceSerializer
    filterset_class = EvidenceFilter
    select_related = ("response__assessment__cycle",)
    ordering_fields = ["created_at", "evidence_date"]
    http_method_names = ["get", "post", "delete", "head", "options"]

    def check_create(self, data):
        pass  # evidence_add checks the role itself

    def create_object(self, data):
        response: Response = data["response"]
        return evidence_services.evidence_add(
            actor=self.request.user, response=response, title=data.get("title", ""),
            url=data.get("url", ""), file=data.get("file"),
            evidence_date=data.get("evidence_date"))

    def delete_object(self, instance):
        evidence_services.evidence_delete(actor=self.request.user, evidence=instance)

    @extend_schema(responses={200: OpenApiResponse(OpenApiTypes.BINARY,
                                                   description="The file, as uploaded."),
                              404: OpenApiResponse(description="Not found, a link, or not "
                                                   "in a programme you belong to.")})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def download(self, request, pk=None):
        """The stored file, to those who may see the assessment."""
        item = self.get_object()
        return file_download(item)


def file_download(item: Evidence) -> FileResponse:
    """Stream an evidence file as an attachment named as it was uploaded."""
    if not item.file:
        raise Http404("This evidence is a link, not a file.")
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404("This file is no longer in the store.") from None
    answer = FileResponse(handle, as_attachment=True, filename=item.filename or "evidence",
                          content_type=item.content_type or "application/octet-stream")
    answer["X-Content-Type-Options"] = "nosniff"
    answer["Cache-Control"] = "private, no-store"
    return answer
