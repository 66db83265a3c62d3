from django.urls import path

from . import views

app_name = "feedback"
urlpatterns = [
    path("", views.StatsView.as_view(), name="stats"),
    path("library/", views.LibraryView.as_view(), name="library"),
    path("library/new/", views.RemediationEditView.as_view(), name="create"),
    path("library/<int:pk>/", views.RemediationDetailView.as_view(), name="detail"),
    path("library/<int:pk>/edit/", views.RemediationEditView.as_view(), name="edit"),
    path("analyses/<int:pk>/rate/", views.RateAnalysisView.as_view(), name="rate"),
    path("alerts/<int:pk>/panel/", views.SubjectPanelView.as_view(), name="alert-panel"),
    path("incidents/<int:pk>/panel/", views.IncidentPanelView.as_view(), name="incident-panel"),
    path("fixes/<slug:source>/<int:pk>/", views.MarkFixView.as_view(), name="mark-fix"),
    path("executions/<int:pk>/", views.ExecutionFeedbackView.as_view(), name="execution"),
]
