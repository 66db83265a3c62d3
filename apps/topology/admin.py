"""Admin for the registry: services and dependencies, plus the drawn graph next to the changelist."""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from aiops.admin import OrgScopedAdmin

from . import selectors, svg
from .models import Dependency, Service


class DependencyInline(admin.TabularInline):
    model = Dependency
    fk_name = "source"
    extra = 0
    fields = ["target", "kind", "criticality", "description"]
    autocomplete_fields = ["target"]
    verbose_name = _("depends on")
    verbose_name_plural = _("depends on")

    def _parent(self):
        return self.admin_site._registry[self.parent_model]

    # Roles, not Django model permissions, decide (like the parent OrgScopedAdmin).
    def has_view_permission(self, request, obj=None):
        return self._parent().has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._parent().has_change_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._parent().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._parent().has_change_permission(request, obj)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.base_fields["target"].queryset = (
            Service.objects.visible_to(request.user, request.organization)
            if not request.user.is_superuser
            else Service.objects.all()
        )
        return formset


@admin.register(Service)
class ServiceAdmin(OrgScopedAdmin):
    list_display = [
        "name",
        "environment",
        "type",
        "tier",
        "namespace",
        "team",
        "discovered_from",
        "last_seen",
    ]
    list_filter = ["type", "tier", "discovered_from", "environment", "team"]
    search_fields = ["name", "namespace", "description"]
    readonly_fields = ["discovered_from", "last_seen", "created_at", "updated_at"]
    change_list_template = "topology/admin/service_change_list.html"
    inlines = [DependencyInline]

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            if inline_form.instance.organization_id is None:
                inline_form.instance.organization = form.instance.organization
        super().save_formset(request, form, formset, change)

    def get_urls(self):
        graph = path("graph/", self.admin_site.admin_view(self.graph_view), name="topology_service_graph")
        return [graph, *super().get_urls()]

    def graph_view(self, request):
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        graph = selectors.visible_graph(user=request.user, organization=request.organization)
        failing = selectors.failing_node_ids(graph, selectors.failing_services(organization=request.organization))
        drawing = svg.render(
            graph, failing=failing, link=lambda n: reverse("admin:topology_service_change", args=[n.id])
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "drawing": drawing,
            "title": _("Service dependency graph"),
        }
        return TemplateResponse(request, "topology/admin/graph.html", context)


@admin.register(Dependency)
class DependencyAdmin(OrgScopedAdmin):
    list_display = ["source", "target", "kind", "criticality", "discovered_from", "updated_at"]
    list_filter = ["kind", "criticality", "discovered_from"]
    search_fields = ["source__name", "target__name", "description"]
    autocomplete_fields = ["source", "target"]
    list_select_related = ["source", "target"]
