from django.urls import path

from . import views

app_name = "analysis"
urlpatterns = [
    path("", views.AnalysisListView.as_view(), name="list"),
    path("<int:pk>/", views.AnalysisDetailView.as_view(), name="detail"),
    path("alerts/<int:pk>/panel/", views.SubjectPanelView.as_view(), name="alert-panel"),
    path("alerts/<int:pk>/analyze/", views.SubjectPanelView.as_view(), name="alert-analyze"),
    path("incidents/<int:pk>/panel/", views.IncidentPanelView.as_view(), name="incident-panel"),
    path("incidents/<int:pk>/analyze/", views.IncidentPanelView.as_view(), name="incident-analyze"),
]
