from rest_framework.routers import DefaultRouter

from . import champions, evidence, views

router = DefaultRouter()
router.register("frameworks", views.FrameworkViewSet, basename="framework")
router.register("principles", views.PrincipleViewSet, basename="principle")
router.register("checklist-items", views.ChecklistItemViewSet, basename="checklistitem")
router.register("partners", views.PartnerViewSet, basename="partner")
router.register("programmes", views.ProgrammeViewSet, basename="programme")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("cycles", views.CycleViewSet, basename="cycle")
router.register("assessments", views.AssessmentViewSet, basename="assessment")
router.register("responses", views.ResponseViewSet, basename="response")
router.register("gaps", views.GapViewSet, basename="gap")
router.register("champions", champions.ChampionViewSet, basename="champion")
router.register("contributions", views.ContributionViewSet, basename="contribution")
router.register("evidence", evidence.EvidenceViewSet, basename="evidence")
