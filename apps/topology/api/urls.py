from django.urls import re_path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter(trailing_slash="/?")
router.register("topology/services", views.ServiceViewSet, basename="topology-service")
router.register("topology/dependencies", views.DependencyViewSet, basename="topology-dependency")
urlpatterns = [
    re_path(r"^topology/graph/?$", views.GraphView.as_view(), name="topology-graph"),
    re_path(r"^topology/export/?$", views.ExportView.as_view(), name="topology-export"),
    re_path(r"^topology/import/?$", views.ImportView.as_view(), name="topology-import"),
    re_path(r"^topology/discover/?$", views.DiscoverView.as_view(), name="topology-discover"),
    *router.urls,
]
