"""Portal pages for metric sources: list, create/edit form, Test connection button (admins)."""
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import CreateView, ListView, UpdateView

from aiops.roles import Role
from aiops.views import OrgScopedViewMixin

from . import services
from .filtersets import MetricSourceFilterSet
from .forms import MetricSourceForm
from .models import MetricSource


class MetricSourceListView(OrgScopedViewMixin, ListView):
    model = MetricSource
    template_name = "metrics/source_list.html"
    context_object_name = "sources"
    paginate_by = 50

    def get_queryset(self):
        self.filterset = MetricSourceFilterSet(self.request.GET or None, queryset=super().get_queryset())
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        return super().get_context_data(filter=self.filterset, can_edit=self.has_role(Role.ADMIN), **kwargs)


class _SourceFormMixin(OrgScopedViewMixin):
    model = MetricSource
    form_class = MetricSourceForm
    template_name = "metrics/source_form.html"
    required_role = Role.ADMIN

    def get_success_url(self):
        return reverse("metrics:list")


class MetricSourceCreateView(_SourceFormMixin, CreateView):
    def form_valid(self, form):
        form.instance.organization = self.request.organization
        form.instance.created_by = self.request.user
        return super().form_valid(form)


class MetricSourceUpdateView(_SourceFormMixin, UpdateView):
    pass


class MetricSourceTestView(OrgScopedViewMixin, View):
    required_role = Role.ADMIN

    def post(self, request, pk):
        source = get_object_or_404(self.get_queryset_for(MetricSource), pk=pk)
        ok, message = services.source_test_connection(source=source)
        (messages.success if ok else messages.error)(request, f"{source.name}: {message}")
        return redirect("metrics:list")

    def get_queryset_for(self, model):
        return model.objects.visible_to(self.request.user, self.request.organization)
