"""Portal pages: runbooks (list, detail with YAML and history, run and dry-run), executions (list,
detail with live output polled by htmx, approve / reject / cancel). Rules live in services."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView

from aiops.roles import Role
from aiops.views import OrgScopedViewMixin
from apps.alerts.models import Alert

from . import services
from .filtersets import RunbookExecutionFilterSet, RunbookFilterSet
from .forms import DecisionForm, RunForm
from .guards import managed_by
from .models import Runbook, RunbookExecution, RunbookVersion, SshTarget
from .schema import InvalidDefinition
from .selectors import pending_approvals


class RunbookListView(OrgScopedViewMixin, ListView):
    model = Runbook
    template_name = "runbooks/runbook_list.html"
    context_object_name = "runbooks"
    paginate_by = 50

    def get_queryset(self):
        self.filterset = RunbookFilterSet(
            self.request.GET or None, queryset=super().get_queryset().select_related("team")
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        executions = RunbookExecution.objects.visible_to(self.request.user, self.request.organization)
        context["approvals"] = pending_approvals(queryset=executions)[:20]
        return context


class RunbookDetailView(OrgScopedViewMixin, DetailView):
    model = Runbook
    template_name = "runbooks/runbook_detail.html"
    context_object_name = "runbook"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        runbook = self.object
        managed = managed_by(runbook)
        user, organization = self.request.user, self.request.organization
        context.update(
            {
                "managed": managed,
                "yaml_text": services.runbook_export_yaml(runbook=runbook),
                "versions": runbook.versions.select_related("created_by", "git_commit")[:50],
                "executions": RunbookExecution.objects.visible_to(user, organization)
                .filter(runbook=runbook)
                .select_related("requested_by")[:20],
                "can_run": self.has_role(Role.OPERATOR),
                "can_edit": managed is None and self.has_role(Role.ADMIN),
                "form": kwargs.get("form")
                or RunForm(
                    definition=runbook.definition,
                    targets=SshTarget.objects.visible_to(user, organization).filter(enabled=True),
                ),
            }
        )
        return context


class RunbookRunView(OrgScopedViewMixin, View):
    """POST: run now (→ execution page) or, with `dry_run`, show the rendered steps."""

    model = Runbook
    required_role = Role.OPERATOR

    def post(self, request, pk):
        runbook = get_object_or_404(Runbook.objects.visible_to(request.user, request.organization), pk=pk)
        alert = None
        if request.POST.get("alert"):
            alerts = Alert.objects.visible_to(request.user, request.organization)
            alert = get_object_or_404(alerts, pk=request.POST["alert"])
        form = RunForm(
            request.POST,
            definition=runbook.definition,
            prefix=request.POST.get("form_prefix") or None,
            targets=SshTarget.objects.visible_to(request.user, request.organization).filter(enabled=True),
            alert=alert,
        )
        back = _safe_next(request, reverse("runbooks:detail", kwargs={"pk": runbook.pk}))
        if not form.is_valid():
            messages.error(
                request, _("The run form is invalid: %(errors)s") % {"errors": form.errors.as_text()}
            )
            return redirect(back)
        try:
            if request.POST.get("dry_run"):
                plan = services.execution_plan(
                    runbook=runbook,
                    alert=alert,
                    inputs=form.parameters(),
                    target=form.cleaned_data.get("target"),
                )
                return render(
                    request, "runbooks/dry_run.html", {"runbook": runbook, "plan": plan, "alert": alert}
                )
            execution = services.execution_request_manual(
                runbook=runbook,
                user=request.user,
                alert=alert,
                inputs=form.parameters(),
                target=form.cleaned_data.get("target"),
                reason=form.cleaned_data.get("reason") or "",
            )
        except services.ExecutionRefused as exc:
            messages.error(request, _("Not run: %(reason)s") % {"reason": exc})
            return redirect(back)
        return redirect("runbooks:execution-detail", pk=execution.pk)


def _safe_next(request, default: str) -> str:
    """The `next` form field if it points into this site, else `default` (no open redirects)."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


class RunbookVersionRestoreView(OrgScopedViewMixin, View):
    model = RunbookVersion
    required_role = Role.ADMIN

    def post(self, request, pk, number):
        versions = RunbookVersion.objects.visible_to(request.user, request.organization)
        version = get_object_or_404(versions, runbook_id=pk, number=number)
        try:
            result = services.runbook_restore_version(version=version, user=request.user)
        except InvalidDefinition as exc:
            messages.error(request, "; ".join(exc.messages))
            return redirect("runbooks:detail", pk=pk)
        if result.outcome == "unchanged":
            messages.info(request, _("Version %(n)d is already current.") % {"n": number})
        else:
            messages.success(
                request,
                _("Restored version %(n)d as version %(new)d.")
                % {"n": number, "new": result.runbook.version},
            )
        return redirect("runbooks:detail", pk=pk)


class ExecutionListView(OrgScopedViewMixin, ListView):
    model = RunbookExecution
    template_name = "runbooks/execution_list.html"
    context_object_name = "executions"
    paginate_by = 50

    def get_queryset(self):
        base = super().get_queryset().select_related("requested_by", "alert")
        self.filterset = RunbookExecutionFilterSet(self.request.GET or None, queryset=base)
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "filter": self.filterset}


def _execution_context(request, execution) -> dict:
    from aiops.access import access_for

    return {
        "execution": execution,
        "steps": execution.steps.all(),
        "audit": execution.events.select_related("actor"),
        "can_decide": access_for(request.user).has_role(request.organization.pk, Role.OPERATOR),
        "decision_form": DecisionForm(),
    }


class ExecutionDetailView(OrgScopedViewMixin, DetailView):
    model = RunbookExecution
    template_name = "runbooks/execution_detail.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **_execution_context(self.request, self.object)}


class ExecutionLiveView(OrgScopedViewMixin, View):
    """The polled fragment: status, steps with their output so far, buttons."""

    model = RunbookExecution

    def get(self, request, pk):
        execution = get_object_or_404(RunbookExecution.objects.visible_to(request.user, request.organization), pk=pk)
        return render(request, "runbooks/_execution_live.html", _execution_context(request, execution))


class ExecutionActionView(OrgScopedViewMixin, View):
    model = RunbookExecution
    required_role = Role.OPERATOR
    ACTIONS = {
        "approve": services.execution_approve,
        "reject": services.execution_reject,
        "cancel": services.execution_cancel,
    }

    def post(self, request, pk, action):
        service = self.ACTIONS.get(action)
        if service is None:
            raise Http404
        execution = get_object_or_404(RunbookExecution.objects.visible_to(request.user, request.organization), pk=pk)
        form = DecisionForm(request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        try:
            execution = service(execution=execution, user=request.user, note=note)
        except services.ExecutionStateError as exc:
            messages.error(request, str(exc))
        execution.refresh_from_db()
        if request.headers.get("HX-Request"):
            return render(request, "runbooks/_execution_live.html", _execution_context(request, execution))
        return redirect(_safe_next(request, reverse("runbooks:execution-detail", kwargs={"pk": pk})))
