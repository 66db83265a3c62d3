from django.urls import path

from . import views

app_name = "predictions"
urlpatterns = [
    path("", views.PredictionsIndexView.as_view(), name="index"),
    path("targets/new/", views.ForecastTargetCreateView.as_view(), name="target-create"),
    path("targets/<int:pk>/", views.ForecastTargetUpdateView.as_view(), name="target-edit"),
    path("forecasts/<int:pk>/", views.ForecastDetailView.as_view(), name="forecast"),
    path("alerts/<int:pk>/dismiss/", views.DismissView.as_view(), name="dismiss"),
    path("alerts/<int:pk>/task/", views.CreateTaskView.as_view(), name="task"),
]
