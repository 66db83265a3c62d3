from django.urls import path

from . import views

app_name = "topology"
urlpatterns = [
    path("", views.TopologyGraphView.as_view(), name="graph"),
]
