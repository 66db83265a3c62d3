from django.urls import path

from . import views

app_name = "incidents"
urlpatterns = [
    path("", views.IncidentListView.as_view(), name="list"),
    path("<int:pk>/", views.IncidentDetailView.as_view(), name="detail"),
    path("<int:pk>/<slug:action>/", views.IncidentActionView.as_view(), name="action"),
]
