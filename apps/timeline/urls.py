from django.urls import path

from . import views

app_name = "timeline"
urlpatterns = [
    path("incidents/<int:pk>/", views.incident_page, name="incident"),
    path("incidents/<int:pk>/timeline.md", views.incident_markdown, name="incident-markdown"),
    path("alerts/<int:pk>/", views.alert_page, name="alert"),
    path("alerts/<int:pk>/timeline.md", views.alert_markdown, name="alert-markdown"),
]
