"""The OpenAPI schema and its documentation pages, for signed-in users only."""

from drf_spectacular.views import SpectacularAPIView
from rest_framework.renderers import JSONRenderer

# ReDoc writes its styles into <style> elements as it draws (styled-components) and runs
# its search in a worker made from its own code (a blob: address), so its page alone
# allows both (csp_update in config/urls.py); scripts stay the service's own files only.
REDOC_POLICY = {"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]}


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema (``SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]``: signed-in users);
    a refusal is JSON like every other API error, not a YAML document."""

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response
