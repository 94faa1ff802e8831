from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("actions", views.ActionViewSet, basename="action")
router.register("action-notes", views.ActionNoteViewSet, basename="actionnote")
