"""Portal pages: the incident list and the incident page (root cause, services, alerts, actions).

Actions are plain POST forms that redirect back to the page (they work without JavaScript); with
htmx they swap only the page body, so the buttons feel instant.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView

from aiops.roles import Role
from aiops.views import OrgScopedViewMixin
from apps.alerts.models import Alert

from . import forms, selectors, services
from .choices import TRANSITIONS, AssignRole, IncidentStatus
from .filtersets import IncidentFilterSet
from .models import Incident

ACTION_LABELS = {
    IncidentStatus.OPEN: _("Re-open"),
    IncidentStatus.INVESTIGATING: _("Acknowledge / investigate"),
    IncidentStatus.IDENTIFIED: _("Root cause identified"),
    IncidentStatus.MITIGATED: _("Mitigated"),
    IncidentStatus.RESOLVED: _("Resolve"),
}


class IncidentListView(OrgScopedViewMixin, ListView):
    model = Incident
    template_name = "incidents/list.html"
    paginate_by = 50

    def get_queryset(self):
        qs = selectors.incident_list(user=self.request.user, organization=self.request.organization)
        params = self.request.GET.copy()
        if "active" not in params and not params.get("status") and not params.get("q"):
            params["active"] = "true"  # the default view is what needs attention
        self.filterset = IncidentFilterSet(params, queryset=qs, request=self.request)
        return self.filterset.qs if self.filterset.is_valid() else qs.none()

    def get_context_data(self, **kwargs):
        return super().get_context_data(filterset=self.filterset, statuses=IncidentStatus.choices, **kwargs)


class IncidentDetailView(OrgScopedViewMixin, DetailView):
    model = Incident
    template_name = "incidents/detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("assignee", "commander", "root_cause_alert", "merged_into", "team")

    def get_context_data(self, **kwargs):
        incident = self.object
        links = list(selectors.incident_alert_links(incident=incident, limit=500))
        can_operate = self.has_role(Role.OPERATOR)
        transitions = [(s, ACTION_LABELS[s]) for s in IncidentStatus.values if s in TRANSITIONS[incident.status]]
        if incident.merged_into_id:
            transitions = []
        return super().get_context_data(
            links=links,
            more_alerts=max(incident.alert_count - len(links), 0),
            services=incident.services_by_alerts(),
            evidence=incident.root_cause_evidence or {},
            graph_svg=selectors.incident_graph_svg(incident),
            comments=incident.comments.select_related("author"),
            can_operate=can_operate,
            transitions=transitions,
            comment_form=forms.CommentForm(),
            merge_form=forms.MergeForm(),
            add_alert_form=forms.AlertIdForm(),
            members=self._members() if can_operate else [],
            **kwargs,
        )

    def _members(self):
        return get_user_model().objects.filter(memberships__organization=self.request.organization).order_by("username")


class IncidentActionView(OrgScopedViewMixin, View):
    """POST /incidents/<pk>/<action>/: status, comment, assign, merge, add-alert, remove-alert, postmortem."""

    model = Incident
    required_role = Role.OPERATOR

    def post(self, request, pk, action):
        incident = get_object_or_404(self.get_queryset(), pk=pk)
        handler = getattr(self, "do_" + action.replace("-", "_"), None)
        if handler is None:
            raise Http404(_("Unknown action."))
        try:
            message = handler(request, incident)
        except services.IncidentActionError as exc:
            messages.error(request, str(exc))
        except _BadInput as exc:
            messages.error(request, str(exc))
        else:
            if message:
                messages.success(request, message)
        return redirect("incidents:detail", pk=incident.pk)

    def _form(self, form_class):
        form = form_class(self.request.POST)
        if not form.is_valid():
            raise _BadInput("; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return form.cleaned_data

    def _alert(self, alert_id):
        alert = (
            Alert.objects.visible_to(self.request.user).for_org(self.request.organization).filter(pk=alert_id).first()
        )
        if alert is None:
            raise _BadInput(_("No alert #%(id)s in this organisation.") % {"id": alert_id})
        return alert

    def do_status(self, request, incident):
        data = self._form(forms.StatusForm)
        services.incident_set_status(incident=incident, status=data["status"], user=request.user, note=data["note"])
        return _("Status set to %(s)s.") % {"s": IncidentStatus(data["status"]).label}

    def do_comment(self, request, incident):
        services.incident_comment(incident=incident, user=request.user, body=self._form(forms.CommentForm)["body"])
        return _("Comment added.")

    def do_assign(self, request, incident):
        role = request.POST.get("role", AssignRole.ASSIGNEE)
        raw = request.POST.get("assignee", "")
        if raw == "me":
            assignee = request.user
        elif raw == "":
            assignee = None
        else:
            assignee = get_user_model().objects.filter(pk=raw if raw.isdigit() else 0).first()
            if assignee is None:
                raise _BadInput(_("Unknown user."))
        services.incident_assign(incident=incident, user=request.user, assignee=assignee, role=role)
        return _("Assignment saved.")

    def do_merge(self, request, incident):
        number = self._form(forms.MergeForm)["number"]
        source = self.get_queryset().filter(number=number).first()
        if source is None:
            raise _BadInput(_("No incident #%(n)d in this organisation.") % {"n": number})
        services.incident_merge(target=incident, source=source, user=request.user)
        return _("Incident #%(n)d merged into this one.") % {"n": number}

    def do_add_alert(self, request, incident):
        data = self._form(forms.AlertIdForm)
        services.incident_add_alert(
            incident=incident, alert=self._alert(data["alert"]), user=request.user, move=data["move"]
        )
        return _("Alert added.")

    def do_remove_alert(self, request, incident):
        data = self._form(forms.AlertIdForm)
        services.incident_remove_alert(incident=incident, alert=self._alert(data["alert"]), user=request.user)
        return _("Alert removed.")

    def do_postmortem(self, request, incident):
        data = self._form(forms.PostmortemForm)
        if data["title"] == incident.title:
            data.pop("title")  # unchanged: keep following the root cause if it did
        services.incident_update(incident=incident, user=request.user, **data)
        return _("Saved.")


class _BadInput(Exception):
    pass
