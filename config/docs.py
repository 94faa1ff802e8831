"""The OpenAPI schema and its documentation pages, for signed-in users only."""

from drf_spectacular.views import SpectacularAPIView
from rest_framework.renderers import JSONRenderer


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema (``SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]``: signed-in users);
    a refusal is JSON like every other API error, not a YAML document."""

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response
