"""Top-level URLs: admin, API (+ schema and docs), inbound webhooks, probes and the portal."""
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from aiops import dashboard, health
from aiops.auth import ThrottledAuthenticationForm

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its bootstrap as a same-origin script (?script), so the page keeps the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("hooks/", include("config.hooks_urls")),
    path(
        "accounts/login/", auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm), name="login"
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("apps.tenancy.urls")),
    path("alerts/", include("apps.alerts.urls")),
    path("topology/", include("apps.topology.urls")),
    path("incidents/", include("apps.incidents.urls")),
    path("timeline/", include("apps.timeline.urls")),
    path("notifications/", include("apps.notifications.urls")),
    path("analysis/", include("apps.analysis.urls")),
    path("runbooks/", include("apps.runbooks.urls")),
    path("changes/", include("apps.changes.urls")),
    path("gitsync/", include("apps.gitsync.urls")),
    path("feedback/", include("apps.feedback.urls")),
    path("sla/", include("apps.sla.urls")),
    path("oncall/", include("apps.oncall.urls")),
    path("logs/", include("apps.logs.urls")),
    path("metrics/", include("apps.metrics.urls")),
    path("predictions/", include("apps.predictions.urls")),
    path("chatops/", include("apps.chatops.urls")),
    path("capacity/", include("apps.capacity.urls")),
    path("", dashboard.dashboard, name="dashboard"),
]

handler403 = "aiops.errors.permission_denied"
handler404 = "aiops.errors.page_not_found"
handler500 = "aiops.errors.server_error"
