from django.urls import path

from . import views

app_name = "changes"
urlpatterns = [
    path("", views.ChangeDashboardView.as_view(), name="dashboard"),
    path("new/", views.ChangeCreateView.as_view(), name="create"),
    path("<int:pk>/", views.ChangeDetailView.as_view(), name="detail"),
    path("<int:pk>/link/<int:alert_id>/", views.CorrelationLinkView.as_view(), name="link"),
    path("correlations/<int:pk>/<slug:verdict>/", views.CorrelationDecideView.as_view(), name="decide"),
]
