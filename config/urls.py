from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

from accounts.api import SignOutEverywhereView, TokenView
from actions.api.urls import router as actions_router
from actions.api.views import CalendarFeedView, calendar_feed
from learning.api.urls import router as learning_router
from notifications.api.urls import router as notifications_router
from people.api.urls import router as people_router
from people.api.urls import urlpatterns as people_urls
from programmes.api.urls import router as programmes_router
from reports.api.urls import urlpatterns as reports_urls
from webhooks.api.urls import router as webhooks_router

from . import views
from .docs import REDOC_POLICY, SchemaView

api_urls = [
    path("calendar-feed/", CalendarFeedView.as_view(), name="calendar-feed"),
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/sign-out-everywhere/", SignOutEverywhereView.as_view(),
         name="api-sign-out-everywhere"),
    *programmes_router.urls,
    *actions_router.urls,
    *learning_router.urls,
    *notifications_router.urls,
    *people_router.urls,
    *webhooks_router.urls,
    *people_urls,
    *reports_urls,
]

urlpatterns = [
    path("", include("web.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("calendar/<str:token>.ics", calendar_feed, name="calendar-feed-ics"),
    path("api/v1/", include(api_urls)),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    # The docs pages send people who are not signed in to the sign-in page; the schema
    # answers them 401 (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]). Swagger UI's start-up
    # script is its own request (the split view), so the page needs no inline script.
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(
        url_name="schema", template_name="api_docs/swagger_ui.html")), name="api-docs"),
    path("api/redoc/", csp_update(REDOC_POLICY)(login_required(
        SpectacularRedocView.as_view(url_name="schema", template_name="api_docs/redoc.html"),
    )), name="api-redoc"),
]

handler404 = "config.views.not_found"
handler500 = "core.api.rest.server_error"
