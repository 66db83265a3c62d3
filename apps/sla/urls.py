from django.urls import path

from . import views

app_name = "sla"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("reports/", views.ReportListView.as_view(), name="reports"),
    path("reports/generate/", views.ReportGenerateView.as_view(), name="report-generate"),
    path("reports/<int:pk>/", views.ReportDetailView.as_view(), name="report"),
    path("reports/<int:pk>.<str:fmt>", views.ReportDownloadView.as_view(), name="report-download"),
    path("breaches/<int:pk>/reason/", views.BreachReasonView.as_view(), name="breach-reason"),
    path("<str:kind>/<int:pk>/pause/", views.PauseView.as_view(), name="pause"),
    path("<str:kind>/<int:pk>/resume/", views.PauseView.as_view(resume=True), name="resume"),
]
