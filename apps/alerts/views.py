"""Portal pages: the alert list, the alert detail with htmx action buttons, and the dashboard panels.

Views parse, authorise, call one service or selector and render; the rules live in services.py.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, ListView

from aiops.access import access_for
from aiops.roles import Role
from aiops.views import OrgScopedViewMixin

from . import selectors, services
from .choices import ActionSource, AlertStatus
from .filtersets import AlertFilterSet
from .forms import SILENCE_PRESETS, AssignForm, SilenceForm
from .models import Alert
from .pagination import CappedCountPaginator

SORTABLE = [
    ("name", gettext_lazy("Alert")),
    ("severity", gettext_lazy("Severity")),
    ("status", gettext_lazy("Status")),
    ("service", gettext_lazy("Service")),
    ("starts_at", gettext_lazy("Started")),
    ("acknowledged_at", gettext_lazy("Acknowledged")),
]


def _columns(current: str) -> list[dict]:
    """Header links: a click sorts by the column, a second click reverses it."""
    columns = []
    for key, label in SORTABLE:
        active = current.lstrip("-") == key
        descending = current.startswith("-")
        columns.append(
            {
                "key": key,
                "label": label,
                "active": active,
                "descending": active and descending,
                # time columns start newest first; text columns start A→Z
                "next": (key if descending else f"-{key}")
                if active
                else (f"-{key}" if key in ("starts_at", "acknowledged_at", "severity") else key),
            }
        )
    return columns


class AlertListView(OrgScopedViewMixin, ListView):
    """Filterable, sortable alert list; pagination never counts past ALERTS_LIST_COUNT_CAP rows."""

    model = Alert
    template_name = "alerts/alert_list.html"
    context_object_name = "alerts"
    paginate_by = 50
    paginator_class = CappedCountPaginator

    def get_queryset(self):
        self.filterset = AlertFilterSet(
            self.request.GET or None,
            queryset=selectors.with_list_related(super().get_queryset()),
            request=self.request,
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        context["columns"] = _columns(self.request.GET.get("ordering", "-starts_at"))
        return context


def _can_operate(request) -> bool:
    return access_for(request.user).has_role(request.organization.pk, Role.OPERATOR)


def _history(alert) -> list:
    """The alert's events, with a silence's end parsed so the template can format it."""
    events = list(selectors.alert_history(alert=alert))
    for event in events:
        event.silenced_until = parse_datetime(event.data.get("until") or "") if event.data else None
    return events


def _state_context(request, alert) -> dict:
    members = selectors.organization_members(organization=request.organization)
    return {
        "alert": alert,
        "can_operate": _can_operate(request),
        "history": _history(alert),
        "silence_form": SilenceForm(prefix="silence"),
        "silence_presets": SILENCE_PRESETS,
        "assign_form": AssignForm(
            members=members, prefix="assign", initial={"assignee": alert.assigned_to_id}
        ),
    }


class AlertDetailView(OrgScopedViewMixin, DetailView):
    """Labels, annotations, generator link, state history, actions, then panels other apps register."""

    model = Alert
    template_name = "alerts/alert_detail.html"
    context_object_name = "alert"

    def get_queryset(self):
        return selectors.with_list_related(super().get_queryset())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        alert = self.object
        context.update(_state_context(self.request, alert))
        context.update(
            {
                "labels": sorted((str(k), str(v)) for k, v in (alert.labels or {}).items()),
                "annotations": [
                    (str(k), str(v), _is_web_link(v)) for k, v in sorted((alert.annotations or {}).items())
                ],
                "generator_link": alert.generator_url if _is_web_link(alert.generator_url) else "",
                "tta_human": human_duration(_total_seconds(alert.time_to_acknowledge)),
                "ttr_human": human_duration(_total_seconds(alert.time_to_resolve))
                if alert.status == AlertStatus.RESOLVED
                else "—",
            }
        )
        return context


def _is_web_link(value) -> bool:
    """Only http(s) URLs become links: annotations are sender-controlled text."""
    return isinstance(value, str) and value.lower().startswith(("http://", "https://")) and " " not in value


def _total_seconds(value):
    return None if value is None else value.total_seconds()


class _BadInput(Exception):
    """A form in an action post did not validate (shown like a refused action)."""


class AlertActionView(OrgScopedViewMixin, View):
    """POST acknowledge / unacknowledge / resolve / silence / assign (operators and above).

    An htmx request gets the refreshed state-and-actions fragment (and the history, out of band);
    a plain form post is redirected back to the detail page with a message.
    """

    model = Alert
    required_role = Role.OPERATOR
    http_method_names = ["post"]
    ACTIONS = ("acknowledge", "unacknowledge", "resolve", "silence", "assign")

    def post(self, request, pk, action):
        if action not in self.ACTIONS:
            raise Http404
        alert = get_object_or_404(self.get_queryset(), pk=pk)
        error = None
        try:
            self._perform(request, alert, action)
        except (services.AlertActionError, _BadInput) as exc:
            error = str(exc)
        alert = get_object_or_404(selectors.with_list_related(self.get_queryset()), pk=pk)
        if request.headers.get("HX-Request"):
            context = _state_context(request, alert) | {"action_error": error, "oob": True}
            return render(request, "alerts/_state.html", context)
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Done."))
        return redirect("alerts:detail", pk=pk)

    @staticmethod
    def _perform(request, alert, action):
        common = {"alert": alert, "user": request.user, "source": ActionSource.WEB}
        if action == "acknowledge":
            services.alert_acknowledge(**common)
        elif action == "unacknowledge":
            services.alert_unacknowledge(**common)
        elif action == "resolve":
            services.alert_resolve(**common)
        elif action == "silence":
            form = SilenceForm(request.POST, prefix="silence")
            if not form.is_valid():
                raise _BadInput(" ".join(str(e) for errors in form.errors.values() for e in errors))
            services.alert_silence(until=form.cleaned_data["silenced_until"], **common)
        else:
            members = selectors.organization_members(organization=request.organization)
            form = AssignForm(request.POST, members=members, prefix="assign")
            if not form.is_valid():
                raise _BadInput(_("Choose a member of this organisation."))
            services.alert_assign(assignee=form.cleaned_data["assignee"], **common)


# --- dashboard panels (registered in AlertsConfig.ready) --------------------------------------------


def _scope(request, organization):
    if request is None or organization is None or not request.user.is_authenticated:
        return None
    return {"user": request.user, "organization": organization}


def human_duration(seconds: float | None) -> str:
    """45s, 12m, 3h 05m, 2d 4h: the two largest units, enough to compare response times."""
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return _("%(d)dd %(h)dh") % {"d": days, "h": hours}
    if hours:
        return _("%(h)dh %(m)02dm") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)dm %(s)02ds") % {"m": minutes, "s": secs}
    return _("%(s)ds") % {"s": secs}


def firing_panel(request, organization):
    scope = _scope(request, organization)
    if scope is None:
        return None
    rows = selectors.firing_by_severity(**scope)
    peak = max([row["count"] for row in rows] + [1])
    for row in rows:
        row["width"] = round(100 * row["count"] / peak)
    return {"severity_rows": rows, "firing_total": sum(row["count"] for row in rows)}


def mtta_panel(request, organization):
    scope = _scope(request, organization)
    if scope is None:
        return None
    after, before = selectors.stats_window()
    queryset = selectors.alerts_visible(**scope)
    stats = selectors.alert_stats(queryset=queryset, after=after, before=before, group_by="severity")
    for block in [stats["totals"], *stats["groups"]]:
        for measure in ("mtta", "mttr"):
            block[measure]["avg_human"] = human_duration(block[measure]["avg_seconds"])
    return {"stats": stats, "stats_days": selectors.stats_default_days()}


def latest_firing_panel(request, organization):
    scope = _scope(request, organization)
    if scope is None:
        return None
    return {"latest_alerts": selectors.latest_firing(**scope)}


def register_portal() -> None:
    """Top-navigation link and dashboard panels; called from AlertsConfig.ready()."""
    from aiops.panels import register_nav_item, register_panel

    register_nav_item(gettext_lazy("Alerts"), "alerts:list", order=10)
    register_panel("dashboard", "alerts-firing", "alerts/panels/firing.html", context=firing_panel, order=10)
    register_panel("dashboard", "alerts-mtta", "alerts/panels/mtta.html", context=mtta_panel, order=20)
    register_panel(
        "dashboard_wide", "alerts-latest", "alerts/panels/latest.html", context=latest_firing_panel, order=10
    )
