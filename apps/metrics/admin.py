from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from aiops.admin import OrgScopedAdmin

from . import services
from .models import MetricSource


@admin.register(MetricSource)
class MetricSourceAdmin(OrgScopedAdmin):
    list_display = ["name", "kind", "url", "enabled", "auth_type", "last_check_ok", "last_checked_at"]
    list_filter = ["kind", "enabled", "auth_type"]
    search_fields = ["name", "url"]
    readonly_fields = ["last_checked_at", "last_check_ok", "last_check_message"]
    actions = ["test_connection"]

    @admin.action(description=_("Test connection"))
    def test_connection(self, request, queryset):
        for source in queryset:
            ok, message = services.source_test_connection(source=source)
            self.message_user(request, f"{source.name}: {message}", messages.SUCCESS if ok else messages.ERROR)
