from django.urls import path

from . import views

app_name = "capacity"
urlpatterns = [
    path("", views.CapacityIndexView.as_view(), name="index"),
    path("resources/<int:pk>/", views.ResourceDetailView.as_view(), name="resource"),
    path("reports/new/", views.ReportCreateView.as_view(), name="report-create"),
    path("reports/<int:pk>/", views.ReportDetailView.as_view(), name="report"),
    path("reports/<int:pk>/download.<str:fmt>", views.ReportDownloadView.as_view(), name="report-download"),
]
