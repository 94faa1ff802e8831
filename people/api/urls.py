from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("invitations", views.InvitationViewSet, basename="invitation")
router.register("contributors", views.ContributorViewSet, basename="contributor")

# Beside the router's routes (config/urls.py lists both).
urlpatterns = [
    path("memberships/<int:pk>/end/", views.MembershipEndView.as_view(), name="membership-end"),
]
