from django.contrib.auth import views as auth_views
from django.urls import path

from .views import assessments, imports, inbox, programmes, reports, work

app_name = "web"

urlpatterns = [
    path("", programmes.home, name="home"),
    path("login/", programmes.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("programmes/<int:pk>/", programmes.dashboard, name="dashboard"),
    path("programmes/<int:pk>/principles/<int:number>/", programmes.principle, name="principle"),
    path("programmes/<int:pk>/gaps/", programmes.gap_register, name="gaps"),
    path("programmes/<int:pk>/cycles/", assessments.cycles, name="cycles"),
    path("programmes/<int:pk>/cycles/<int:cycle_pk>/", assessments.cycles, name="cycle"),
    path("programmes/<int:pk>/cycles/<int:cycle_pk>/partners/<int:partner_pk>/start/",
         assessments.assessment_start, name="assessment-start"),
    path("programmes/<int:pk>/learning-needs/", work.learning_needs, name="learning-needs"),
    path("programmes/<int:pk>/funding/", work.funding, name="funding"),
    path("programmes/<int:pk>/joint-commissioning/", reports.joint_commissioning,
         name="joint-commissioning"),
    path("programmes/<int:pk>/import/", imports.import_file, name="import"),
    path("assessments/<int:pk>/", assessments.assessment, name="assessment"),
    path("assessments/<int:pk>/principles/<int:number>/", assessments.assessment_section,
         name="assessment-section"),
    path("assessments/<int:pk>/submit/", assessments.assessment_submit, name="assessment-submit"),
    path("gaps/<int:pk>/", work.gap, name="gap"),
    path("gaps/<int:gap_pk>/actions/new/", work.action_new, name="action-new"),
    path("gaps/<int:gap_pk>/learning-needs/new/", work.learning_need_new, name="learning-need-new"),
    path("actions/mine/", work.my_actions, name="my-actions"),
    path("actions/<int:pk>/", work.action, name="action"),
    path("actions/<int:pk>/status/", work.action_status, name="action-status"),
    path("actions/<int:pk>/notes/", work.action_note, name="action-note"),
    path("actions/<int:pk>/funding/new/", work.action_allocation_new, name="action-allocation-new"),
    path("learning-needs/<int:pk>/", work.learning_need, name="learning-need"),
    path("learning-needs/<int:need_pk>/offers/<int:offer_pk>/book/", work.placement_new,
         name="placement-new"),
    path("learning-needs/<int:need_pk>/funding/new/", work.allocation_new, name="allocation-new"),
    path("offers/", work.catalogue, name="catalogue"),
    path("offers/mine/", work.my_offers, name="my-offers"),
    path("offers/new/", work.offer_new, name="offer-new"),
    path("offers/<int:pk>/<str:change>/", work.offer_status, name="offer-status"),
    path("notifications/", inbox.notifications, name="notifications"),
    path("notifications/read-all/", inbox.notifications_read_all, name="notifications-read-all"),
    path("notifications/<int:pk>/read/", inbox.notification_read, name="notification-read"),
    path("notifications/settings/", inbox.notification_settings, name="notification-settings"),
]
