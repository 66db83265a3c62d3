"""Portal page: the dependency graph with failing services highlighted, and the registry table."""

from django.urls import reverse
from django.views.generic import ListView

from aiops.views import OrgScopedViewMixin

from . import selectors, svg
from .filtersets import ServiceFilterSet
from .models import Service


class TopologyGraphView(OrgScopedViewMixin, ListView):
    model = Service
    template_name = "topology/graph.html"
    paginate_by = 100

    def get_queryset(self):
        qs = super().get_queryset().select_related("team")
        self.filterset = ServiceFilterSet(self.request.GET or None, queryset=qs, request=self.request)
        return self.filterset.qs if self.filterset.is_bound and self.filterset.is_valid() else qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        org = self.request.organization
        graph = selectors.visible_graph(user=self.request.user, organization=org)
        failing = selectors.failing_node_ids(graph, selectors.failing_services(organization=org))
        admin_link = None
        if self.request.user.is_staff:

            def admin_link(node):
                return reverse("admin:topology_service_change", args=[node.id])

        context.update(
            filterset=self.filterset,
            drawing=svg.render(graph, failing=failing, link=admin_link),
            failing_count=len(failing),
            edge_count=len(graph.edges),
        )
        return context
