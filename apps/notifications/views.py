"""Portal pages: read the notification settings, the log and escalations; a few buttons.

Editing channels, rules and policies happens in the Django admin (linked from every list), so the
forms and their validation exist once. The portal adds what responders need during an incident:
the log, running escalations (cancel), snoozes (snooze an alert's pattern, end a snooze), test
messages and retrying a failed delivery.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView, View

from aiops.roles import Role
from aiops.views import OrgScopedViewMixin
from apps.alerts.models import Alert

from . import services
from .filtersets import (
    EscalationFilterSet,
    NotificationChannelFilterSet,
    NotificationDeliveryFilterSet,
    NotificationRuleFilterSet,
)
from .forms import SnoozeAlertForm
from .models import (
    Escalation,
    EscalationPolicy,
    NotificationChannel,
    NotificationDelivery,
    NotificationRule,
    Snooze,
)
from .providers import get_provider


class FilteredListView(OrgScopedViewMixin, ListView):
    filterset_class = None
    paginate_by = 50
    section = ""

    def get_queryset(self):
        qs = super().get_queryset()
        if self.filterset_class is None:
            return qs
        self.filterset = self.filterset_class(self.request.GET or None, queryset=qs, request=self.request)
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter"] = getattr(self, "filterset", None)
        ctx["section"] = self.section
        ctx["is_admin"] = self.has_role(Role.ADMIN)
        ctx["is_operator"] = self.has_role(Role.OPERATOR)
        return ctx


class DeliveryListView(FilteredListView):
    model = NotificationDelivery
    filterset_class = NotificationDeliveryFilterSet
    template_name = "notifications/delivery_list.html"
    section = "log"

    def get_queryset(self):
        return super().get_queryset().select_related("channel", "rule")


class DeliveryDetailView(OrgScopedViewMixin, DetailView):
    model = NotificationDelivery
    template_name = "notifications/delivery_detail.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "section": "log",
            "is_operator": self.has_role(Role.OPERATOR),
        }


class ChannelListView(FilteredListView):
    model = NotificationChannel
    filterset_class = NotificationChannelFilterSet
    template_name = "notifications/channel_list.html"
    section = "channels"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        for channel in ctx["object_list"]:
            channel.destination = (
                get_provider(channel.kind).summary(channel.config or {}) if channel.config else ""
            )
        return ctx


class RuleListView(FilteredListView):
    model = NotificationRule
    filterset_class = NotificationRuleFilterSet
    template_name = "notifications/rule_list.html"
    section = "rules"

    def get_queryset(self):
        return (
            super().get_queryset().select_related("escalation_policy").prefetch_related("channels", "teams")
        )


class PolicyListView(FilteredListView):
    model = EscalationPolicy
    template_name = "notifications/policy_list.html"
    section = "policies"

    def get_queryset(self):
        return super().get_queryset().prefetch_related("levels__channels")


class EscalationListView(FilteredListView):
    model = Escalation
    filterset_class = EscalationFilterSet
    template_name = "notifications/escalation_list.html"
    section = "escalations"

    def get_queryset(self):
        return super().get_queryset().select_related("subject", "rule")


class SnoozeListView(FilteredListView):
    model = Snooze
    template_name = "notifications/snooze_list.html"
    section = "snoozes"

    def get_queryset(self):
        return super().get_queryset().select_related("rule", "created_by")


class ActionView(OrgScopedViewMixin, View):
    """A POST button: look the row up in the user's organisation, call a service, go back."""

    http_method_names = ["post"]
    required_role = Role.OPERATOR

    def back(self, fallback: str):
        target = self.request.POST.get("next") or self.request.headers.get("Referer")
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={self.request.get_host()}):
            return redirect(target)
        return redirect(fallback)

    def scoped(self, model, pk):
        return get_object_or_404(
            model.objects.visible_to(self.request.user, self.request.organization), pk=pk
        )


class ChannelTestView(ActionView):
    required_role = Role.ADMIN

    def post(self, request, pk):
        channel = self.scoped(NotificationChannel, pk)
        delivery = services.channel_send_test(channel=channel, user=request.user)
        if request.headers.get("HX-Request"):
            return render(request, "notifications/partials/test_result.html", {"delivery": delivery})
        level = messages.success if delivery.status == "sent" else messages.error
        level(
            request,
            _("Test to %(name)s: %(status)s %(reason)s")
            % {"name": channel.name, "status": delivery.get_status_display(), "reason": delivery.reason},
        )
        return self.back("notifications:channels")


class DeliveryRetryView(ActionView):
    def post(self, request, pk):
        try:
            services.delivery_retry(delivery=self.scoped(NotificationDelivery, pk), user=request.user)
            messages.success(request, _("The delivery was queued again."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return self.back("notifications:index")


class EscalationCancelView(ActionView):
    def post(self, request, pk):
        escalation = services.escalation_cancel(escalation=self.scoped(Escalation, pk), user=request.user)
        messages.success(request, _("Escalation “%(name)s” cancelled.") % {"name": escalation.policy_name})
        return self.back("notifications:escalations")


class SnoozeEndView(ActionView):
    def post(self, request, pk):
        services.snooze_end(snooze=self.scoped(Snooze, pk))
        messages.success(request, _("Snooze ended."))
        return self.back("notifications:snoozes")


class AlertSnoozeView(ActionView):
    """Snooze the pattern (alert name and service) of an alert for a while."""

    def post(self, request, alert_id):
        alert = self.scoped(Alert, alert_id)
        form = SnoozeAlertForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose how long to snooze."))
            return self.back("notifications:snoozes")
        services.snooze_create(
            organization=request.organization,
            created_by=request.user,
            until=form.until(),
            alert_name_pattern=alert.name,
            services=[alert.service] if alert.service else [],
            reason=form.cleaned_data["reason"] or _("snoozed from alert #%(id)s") % {"id": alert.pk},
            team=alert.team,
        )
        messages.success(request, _("Notifications for “%(name)s” are snoozed.") % {"name": alert.name})
        return self.back("notifications:snoozes")
