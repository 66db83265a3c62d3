"""Portal pages: repositories, a repository's sync history, one run's per-file results, Sync now."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView

from aiops.roles import Role
from aiops.views import OrgScopedViewMixin

from . import services
from .choices import FileOutcome, Trigger
from .filtersets import RepositoryFilterSet
from .models import Repository, SyncRun


class RepositoryListView(OrgScopedViewMixin, ListView):
    model = Repository
    template_name = "gitsync/repository_list.html"
    context_object_name = "repositories"
    paginate_by = 50

    def get_queryset(self):
        self.filterset = RepositoryFilterSet(self.request.GET or None, queryset=super().get_queryset())
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update({"filter": self.filterset, "can_sync": self.has_role(Role.OPERATOR)})
        return context


class RepositoryDetailView(OrgScopedViewMixin, DetailView):
    model = Repository
    template_name = "gitsync/repository_detail.html"
    context_object_name = "repository"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        repository = self.object
        managed = list(repository.managed.select_related("runbook").order_by("path"))
        for row in managed:
            row.file_url = services.file_url(repository, row.path, row.commit_sha)
        context.update(
            {
                "runs": repository.runs.select_related("requested_by")[:50],
                "managed": managed,
                "can_sync": self.has_role(Role.OPERATOR),
                "can_pin": self.has_role(Role.ADMIN),
            }
        )
        return context


class SyncRunDetailView(OrgScopedViewMixin, DetailView):
    model = SyncRun
    template_name = "gitsync/syncrun_detail.html"
    context_object_name = "run"

    def get_queryset(self):
        return super().get_queryset().select_related("repository")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = self.object
        files = [dict(f) for f in run.files]
        for f in files:
            f["label"] = FileOutcome(f["outcome"]).label if f["outcome"] in FileOutcome.values else f["outcome"]
            gone = f["outcome"] == FileOutcome.DEACTIVATED
            f["url"] = "" if gone else services.file_url(run.repository, f["path"], run.commit_sha)
        context.update({"files": files, "can_pin": self.has_role(Role.ADMIN)})
        return context


class RepositorySyncView(OrgScopedViewMixin, View):
    model = Repository
    required_role = Role.OPERATOR

    def post(self, request, pk):
        repository = get_object_or_404(self.get_queryset(), pk=pk)
        services.repository_request_sync(repository=repository, trigger=Trigger.MANUAL, user=request.user)
        messages.success(request, _("Sync of %(repo)s queued.") % {"repo": repository.name})
        return redirect("gitsync:detail", pk=pk)


class RepositoryPinView(OrgScopedViewMixin, View):
    """Rollback (pin a commit) or follow the branch again (empty commit)."""

    model = Repository
    required_role = Role.ADMIN

    def post(self, request, pk):
        repository = get_object_or_404(self.get_queryset(), pk=pk)
        commit = request.POST.get("commit", "").strip()
        try:
            services.repository_pin(repository=repository, commit=commit, user=request.user)
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            if commit:
                messages.success(request, _("Pinned to %(sha)s; a sync is queued.") % {"sha": commit[:12]})
            else:
                messages.success(request, _("Following %(branch)s again; a sync is queued.")
                                 % {"branch": repository.branch})
        return redirect("gitsync:detail", pk=pk)
