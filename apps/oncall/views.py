"""Portal pages: schedules (list, detail with a 14-day timeline), layer and override forms, .ics
import, calendar feeds, "my shifts"; and the public feed URL (the token is the credential)."""
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import ListView, View

from aiops.links import absolute_reverse
from aiops.roles import Role
from aiops.views import OrgScopedViewMixin

from . import charts, conf, ical, selectors, services
from .filtersets import ScheduleFilterSet
from .forms import ContactMethodForm, ImportForm, LayerForm, OverrideForm, ScheduleForm
from .models import CalendarFeed, ContactMethod, Layer, Override, Schedule


def _errors_to_form(form, exc: ValidationError) -> None:
    for field, errors in (exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}).items():
        form.add_error(field if field in form.fields else None, errors)


class ScheduleListView(OrgScopedViewMixin, ListView):
    model = Schedule
    template_name = "oncall/schedule_list.html"
    paginate_by = 50

    def get_queryset(self):
        self.filterset = ScheduleFilterSet(self.request.GET or None, queryset=super().get_queryset().select_related(
            "team", "lead"), request=self.request)
        return self.filterset.qs.order_by("team__name", "name", "pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        # Grouped by team (the portal has no team page: this is "who is on call" per team).
        ctx["rows"] = selectors.oncall_now(ctx["object_list"], timezone.now())
        ctx["filter"] = self.filterset
        ctx["is_admin"] = self.has_role(Role.ADMIN)
        return ctx


class ScheduleDetailView(OrgScopedViewMixin, View):
    def get(self, request, pk):
        schedule = get_object_or_404(Schedule.objects.visible_to(request.user).for_org(request.organization), pk=pk)
        now = timezone.now()
        chart = charts.timeline_chart(schedule, now, days=conf.gap_horizon_days())
        people = selectors.oncall_at(schedule, now)
        upcoming = selectors.next_shifts(schedule, count=10, after=now)
        names = selectors.users_by_id([s.user_id for s in people + upcoming] + [
            uid for layer in schedule.layers.all() for uid in layer.participants])
        tz = selectors.zone(schedule)
        feeds = schedule.feeds.filter(revoked_at__isnull=True)
        if not self.has_role(Role.ADMIN):
            feeds = feeds.filter(created_by=request.user)
        return render(request, "oncall/schedule_detail.html", {
            "schedule": schedule, "chart": chart, "tz": tz,
            "oncall": [(s, selectors.display_name(names.get(s.user_id))) for s in people],
            "upcoming": [(s, selectors.display_name(names.get(s.user_id))) for s in upcoming],
            "layers": [(layer, [selectors.display_name(names.get(int(p))) for p in layer.participants])
                       for layer in schedule.layers.all()],
            "overrides": schedule.overrides.filter(layer__isnull=True, end__gt=now).select_related(
                "user", "created_by"),
            "feeds": feeds, "new_feed_url": request.session.pop("oncall_new_feed_url", None),
            "is_admin": self.has_role(Role.ADMIN), "is_operator": self.has_role(Role.OPERATOR),
            "override_form": OverrideForm(organization=request.organization, tz=tz,
                                          initial=_override_initial(request.GET.get("day"), now, tz)),
        })


def _override_initial(day: str | None, now, tz) -> dict:
    """The override form's times: the whole local day picked in the month calendar, else the next 8 hours."""
    from datetime import date, datetime

    try:
        picked = date.fromisoformat(day) if day and len(day) == 10 else None
    except ValueError:
        picked = None
    if picked is not None:
        start = datetime.combine(picked, datetime.min.time())
        return {"start": start.strftime("%Y-%m-%dT%H:%M"),
                "end": (start + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")}
    return {"start": now.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
            "end": (now + timedelta(hours=8)).astimezone(tz).strftime("%Y-%m-%dT%H:%M")}


class ScheduleMonthView(OrgScopedViewMixin, View):
    """A month calendar of the schedule: who is on call each day, overrides marked (`?month=YYYY-MM`)."""

    model = Schedule  # for the tenant-isolation test: another organisation's schedule is a 404

    def get(self, request, pk):
        schedule = get_object_or_404(Schedule.objects.visible_to(request.user).for_org(request.organization), pk=pk)
        wanted = request.GET.get("month") or timezone.now().astimezone(selectors.zone(schedule)).strftime("%Y-%m")
        try:
            year, month = (int(part) for part in wanted.split("-"))
            if not (1 <= month <= 12 and 1970 <= year <= 9998) or len(wanted) != 7:
                raise ValueError
        except ValueError:
            return HttpResponseBadRequest(_("Give the month as YYYY-MM."))
        return render(request, "oncall/schedule_month.html", {
            "schedule": schedule, "calendar": charts.month_calendar(schedule, year, month),
            "is_operator": self.has_role(Role.OPERATOR)})


class _ScheduleScoped(OrgScopedViewMixin, View):
    required_role = Role.ADMIN

    def schedule(self, pk) -> Schedule:
        return get_object_or_404(Schedule.objects.visible_to(self.request.user).for_org(self.request.organization),
                                 pk=pk)

    def back(self, schedule):
        return redirect("oncall:schedule", pk=schedule.pk)


class ScheduleEditView(_ScheduleScoped):
    def get(self, request, pk=None):
        instance = self.schedule(pk) if pk else None
        return self._render(ScheduleForm(instance=instance, organization=request.organization), instance)

    def post(self, request, pk=None):
        instance = self.schedule(pk) if pk else None
        form = ScheduleForm(request.POST, instance=instance, organization=request.organization)
        if form.is_valid():
            fields = {k: form.cleaned_data[k] for k in form.Meta.fields}
            try:
                if instance is None:
                    instance = services.schedule_create(organization=request.organization,
                                                        created_by=request.user, **fields)
                else:
                    services.schedule_update(schedule=instance, **fields)
                return self.back(instance)
            except ValidationError as exc:
                _errors_to_form(form, exc)
        return self._render(form, instance, status=400)

    def _render(self, form, instance, status=200):
        return render(self.request, "oncall/form.html", {
            "form": form, "schedule": instance,
            "heading": _("Edit schedule") if instance else _("New schedule")}, status=status)


class LayerEditView(_ScheduleScoped):
    def _layer(self, schedule, layer_pk):
        return get_object_or_404(Layer, schedule=schedule, pk=layer_pk) if layer_pk else Layer(
            schedule=schedule, organization_id=schedule.organization_id, start_date=timezone.localdate())

    def get(self, request, pk, layer_pk=None):
        schedule = self.schedule(pk)
        layer = self._layer(schedule, layer_pk)
        return self._render(schedule, LayerForm(instance=layer, organization=request.organization), layer)

    def post(self, request, pk, layer_pk=None):
        schedule = self.schedule(pk)
        layer = self._layer(schedule, layer_pk)
        if request.POST.get("delete") and layer.pk:
            services.layer_delete(layer=layer)
            messages.success(request, _("Layer deleted."))
            return self.back(schedule)
        form = LayerForm(request.POST, instance=layer, organization=request.organization)
        if form.is_valid():
            try:
                services.layer_save(layer=form.instance)
                return self.back(schedule)
            except ValidationError as exc:
                _errors_to_form(form, exc)
        return self._render(schedule, form, layer, status=400)

    def _render(self, schedule, form, layer, status=200):
        return render(self.request, "oncall/form.html", {
            "form": form, "schedule": schedule, "can_delete": bool(layer.pk),
            "heading": _("Edit layer") if layer.pk else _("New layer")}, status=status)


class OverrideCreateView(_ScheduleScoped):
    required_role = Role.OPERATOR

    def post(self, request, pk):
        schedule = self.schedule(pk)
        form = OverrideForm(request.POST, organization=request.organization, tz=selectors.zone(schedule))
        if form.is_valid():
            try:
                services.override_create(schedule=schedule, created_by=request.user, **form.cleaned_data)
                messages.success(request, _("Override added."))
                return self.back(schedule)
            except ValidationError as exc:
                _errors_to_form(form, exc)
        return render(request, "oncall/form.html", {"form": form, "schedule": schedule,
                                                    "heading": _("New override")}, status=400)


class OverrideDeleteView(_ScheduleScoped):
    required_role = Role.OPERATOR

    def post(self, request, pk, override_pk):
        schedule = self.schedule(pk)
        services.override_delete(override=get_object_or_404(Override, schedule=schedule, pk=override_pk))
        messages.success(request, _("Override removed."))
        return self.back(schedule)


class ImportView(_ScheduleScoped):
    def get(self, request, pk):
        return self._render(self.schedule(pk), ImportForm())

    def post(self, request, pk):
        schedule = self.schedule(pk)
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = services.ics_import(schedule=schedule, data=form.cleaned_data["file"].read(),
                                             as_layer=form.cleaned_data["as_layer"],
                                             layer_name=form.cleaned_data["layer_name"], created_by=request.user)
                messages.success(request, _("Imported %(n)d shift(s).") % {"n": result["created"]})
                for line in result["skipped"][:10]:
                    messages.warning(request, _("Skipped %(line)s") % {"line": line})
                return self.back(schedule)
            except ValidationError as exc:
                _errors_to_form(form, exc)
        return self._render(schedule, form, status=400)

    def _render(self, schedule, form, status=200):
        return render(self.request, "oncall/form.html", {
            "form": form, "schedule": schedule, "multipart": True,
            "heading": _("Import an iCalendar file")}, status=status)


class FeedCreateView(OrgScopedViewMixin, View):
    """A secret calendar URL for a schedule (`schedule` posted) or for my own shifts."""

    def post(self, request):
        schedule = None
        if request.POST.get("schedule"):
            schedule = get_object_or_404(Schedule.objects.visible_to(request.user).for_org(request.organization),
                                         pk=request.POST["schedule"])
        feed, token = services.feed_create(organization=request.organization, schedule=schedule,
                                           user=None if schedule else request.user, created_by=request.user,
                                           name=schedule.name if schedule else request.user.get_username())
        request.session["oncall_new_feed_url"] = absolute_reverse("oncall:feed", args=[token])
        return redirect("oncall:schedule", pk=schedule.pk) if schedule else redirect("oncall:my-shifts")


class FeedRevokeView(OrgScopedViewMixin, View):
    def post(self, request, feed_pk):
        feeds = CalendarFeed.objects.visible_to(request.user).for_org(request.organization)
        if not self.has_role(Role.ADMIN):
            feeds = feeds.filter(created_by=request.user)
        feed = services.feed_revoke(feed=get_object_or_404(feeds, pk=feed_pk))
        messages.success(request, _("Calendar URL revoked."))
        return redirect("oncall:schedule", pk=feed.schedule_id) if feed.schedule_id else redirect("oncall:my-shifts")


class ContactMethodCreateView(OrgScopedViewMixin, View):
    """Add one of my own notification methods (used when I am paged and before my shifts)."""

    def post(self, request):
        form = ContactMethodForm(request.POST)
        if form.is_valid():
            try:
                services.contact_method_create(organization=request.organization, user=request.user,
                                               **form.cleaned_data)
                messages.success(request, _("Notification method added."))
                return redirect("oncall:my-shifts")
            except ValidationError as exc:
                _errors_to_form(form, exc)
        return MyShiftsView.get(self, request, form=form, status=400)


class ContactMethodDeleteView(OrgScopedViewMixin, View):
    def post(self, request, method_pk):
        method = get_object_or_404(ContactMethod, organization=request.organization, user=request.user,
                                   pk=method_pk)
        services.contact_method_delete(method=method)
        messages.success(request, _("Notification method removed."))
        return redirect("oncall:my-shifts")


class MyShiftsView(OrgScopedViewMixin, View):
    def get(self, request, form=None, status=200):
        now = timezone.now()
        schedules = Schedule.objects.visible_to(request.user).for_org(request.organization)
        pairs = selectors.user_shifts(request.user, request.organization, now - timedelta(days=1),
                                      now + timedelta(days=28), schedules=schedules)
        return render(request, "oncall/my_shifts.html", {
            "shifts": [(schedule, shift, selectors.zone(schedule)) for schedule, shift in pairs if shift.end > now],
            "feeds": CalendarFeed.objects.for_org(request.organization).filter(
                user=request.user, created_by=request.user, revoked_at__isnull=True),
            "new_feed_url": request.session.pop("oncall_new_feed_url", None),
            "methods": ContactMethod.objects.filter(organization=request.organization, user=request.user),
            "method_form": form or ContactMethodForm(),
        }, status=status)


def feed(request, token: str):
    """The iCalendar feed behind a secret URL: no login (calendar apps cannot log in)."""
    found = services.feed_for_token(token)
    if found is None:
        raise Http404
    now = timezone.now()
    start, end = selectors.feed_window(now)
    if found.schedule_id:
        shifts = [(found.schedule.name, s) for s in selectors.timeline(found.schedule, start, end)]
        name = _("On call: %(schedule)s") % {"schedule": found.schedule.name}
    else:

        pairs = selectors.user_shifts(found.user, found.organization_id, start, end)
        shifts = [(schedule.name, s) for schedule, s in pairs]
        name = _("My on-call shifts")
    names = {pk: selectors.display_name(u) for pk, u in selectors.users_by_id(s.user_id for _, s in shifts).items()}
    body = ical.feed_calendar(name=name, shifts=shifts, names=names, host=request.get_host().split(":")[0], now=now)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
