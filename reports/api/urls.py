from django.urls import path

from . import views

urlpatterns = [
    path("gaps/<int:pk>/links/", views.GapLinksView.as_view(), name="gap-links"),
    path("programmes/<int:pk>/highlight-report/", views.HighlightReportView.as_view(),
         name="highlight-report"),
    path("programmes/<int:pk>/joint-commissioning/", views.JointCommissioningView.as_view(),
         name="joint-commissioning"),
    path("programmes/<int:pk>/successes/", views.SuccessesView.as_view(), name="successes"),
]
