from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter(trailing_slash="/?")
router.register("topology/services", views.ServiceViewSet, basename="topology-service")
router.register("topology/dependencies", views.DependencyViewSet, basename="topology-dependency")
urlpatterns = [
    path("topology/graph", views.GraphView.as_view(), name="topology-graph"),
    path("topology/export", views.ExportView.as_view(), name="topology-export"),
    path("topology/import", views.ImportView.as_view(), name="topology-import"),
    path("topology/discover", views.DiscoverView.as_view(), name="topology-discover"),
    *router.urls,
]
