from django.urls import path

from . import views

app_name = "metrics"
urlpatterns = [
    path("sources/", views.MetricSourceListView.as_view(), name="list"),
    path("sources/new/", views.MetricSourceCreateView.as_view(), name="create"),
    path("sources/<int:pk>/", views.MetricSourceUpdateView.as_view(), name="edit"),
    path("sources/<int:pk>/test/", views.MetricSourceTestView.as_view(), name="test"),
]
