"""The REST API under /api/v1/: each app contributes its router's routes here."""
from django.urls import include, path

urlpatterns = [
    path("", include("apps.tenancy.api.urls")),
]
