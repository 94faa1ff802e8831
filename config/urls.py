from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.api import SignOutEverywhereView, TokenView
from actions.api.urls import router as actions_router
from actions.api.views import CalendarFeedView, calendar_feed
from learning.api.urls import router as learning_router
from notifications.api.urls import router as notifications_router
from programmes.api.urls import router as programmes_router
from reports.api.urls import urlpatterns as reports_urls

from . import views

api_urls = [
    path("calendar-feed/", CalendarFeedView.as_view(), name="calendar-feed"),
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/sign-out-everywhere/", SignOutEverywhereView.as_view(),
         name="api-sign-out-everywhere"),
    *programmes_router.urls,
    *actions_router.urls,
    *learning_router.urls,
    *notifications_router.urls,
    *reports_urls,
]

urlpatterns = [
    path("", include("web.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("calendar/<str:token>.ics", calendar_feed, name="calendar-feed-ics"),
    path("api/v1/", include(api_urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

handler404 = "config.views.not_found"
