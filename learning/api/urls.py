from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("learning-needs", views.LearningNeedViewSet, basename="learningneed")
router.register("training-offers", views.TrainingOfferViewSet, basename="trainingoffer")
router.register("training-sessions", views.TrainingSessionViewSet, basename="trainingsession")
router.register("placements", views.PlacementViewSet, basename="placement")
router.register("funding-streams", views.FundingStreamViewSet, basename="fundingstream")
router.register("funding-allocations", views.FundingAllocationViewSet, basename="fundingallocation")
