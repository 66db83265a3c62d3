"""The organisation-scoped ModelAdmin every tenant-owned model registers with.

Non-superusers see only rows `visible_to` them in the active organisation, may change them only
as admins or owners of it, and new rows are stamped with that organisation. Related-object
choices are narrowed the same way, so a form cannot point at another organisation's row.
"""
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _

from .access import access_for, active_organization
from .fields import EncryptedJSONField, EncryptedTextField
from .models import Event, EventReceipt, Heartbeat
from .querysets import scope_choices
from .roles import Role


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A sidebar filter over a relation that offers only the active organisation's rows.

    Django's own lists every row of the related table (another organisation's teams, channels,
    organisations by name). Every `list_filter` entry over a relation of an `OrgScopedAdmin` is
    swapped for this one (see `OrgScopedAdmin.get_list_filter`).
    """

    def field_choices(self, field, request, model_admin):
        if request.user.is_superuser:
            return super().field_choices(field, request, model_admin)
        related = field.remote_field.model._default_manager.all()
        scoped = scope_choices(related, request.user, active_organization(request))
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            scoped = scoped.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in scoped[:500]]


class ScopedRawIdWidget(ForeignKeyRawIdWidget):
    """A raw-id box that names the chosen row only when the user may pick it (no name by id)."""

    def __init__(self, *args, allowed=None, **kwargs):
        self.allowed = allowed
        super().__init__(*args, **kwargs)

    def label_and_url_for_value(self, value):
        if self.allowed is not None and value not in (None, ""):
            key = self.rel.get_related_field().name
            try:
                if not self.allowed.filter(**{key: value}).exists():
                    return "", ""
            except (ValueError, TypeError):
                return "", ""
        return super().label_and_url_for_value(value)


class OrgScopedAdmin(admin.ModelAdmin):
    list_per_page = 50
    show_full_result_count = False  # COUNT(*) on a million rows is the slow part of a changelist

    def _org(self, request):
        return active_organization(request)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.visible_to(request.user, self._org(request))

    def _role_at_least(self, request, role: Role) -> bool:
        if request.user.is_superuser:
            return True
        org = self._org(request)
        return org is not None and access_for(request.user).has_role(org.pk, role)

    def has_module_permission(self, request):
        return self._role_at_least(request, Role.VIEWER)

    def has_view_permission(self, request, obj=None):
        return self._role_at_least(request, Role.VIEWER)

    def has_add_permission(self, request):
        return self._role_at_least(request, Role.ADMIN)

    def has_change_permission(self, request, obj=None):
        return self._role_at_least(request, Role.ADMIN)

    def has_delete_permission(self, request, obj=None):
        return self._role_at_least(request, Role.ADMIN)

    def get_exclude(self, request, obj=None):
        excluded = list(super().get_exclude(request, obj) or [])
        if not request.user.is_superuser:
            excluded.append("organization")
        return excluded

    def save_model(self, request, obj, form, change):
        if not change and not request.user.is_superuser:
            obj.organization = self._org(request)
        if not change and hasattr(obj, "created_by_id") and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def _narrow(self, request, queryset):
        if request.user.is_superuser:
            return queryset
        return scope_choices(queryset, request.user, self._org(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = self._narrow(request, formfield.queryset)
            widget = getattr(formfield.widget, "widget", formfield.widget)  # inside the related-add wrapper
            if isinstance(widget, ForeignKeyRawIdWidget) and not request.user.is_superuser:
                scoped = ScopedRawIdWidget(widget.rel, widget.admin_site, attrs=widget.attrs, using=widget.db,
                                           allowed=formfield.queryset)
                if widget is formfield.widget:
                    formfield.widget = scoped
                else:
                    formfield.widget.widget = scoped
        return formfield

    def get_list_filter(self, request):
        """Every filter over a relation offers only rows of the active organisation."""
        return [self._scoped_filter(entry) for entry in super().get_list_filter(request)]

    def _scoped_filter(self, entry):
        if isinstance(entry, str):
            path, filter_class = entry, None
        elif isinstance(entry, list | tuple) and len(entry) == 2 and isinstance(entry[0], str):
            path, filter_class = entry
        else:
            return entry  # a SimpleListFilter: its lookups are the app's own choice
        try:
            field = get_fields_from_path(self.model, path)[-1]
        except FieldDoesNotExist:
            return entry
        if not getattr(field, "is_relation", False) or field.remote_field is None:
            return entry
        if filter_class in (None, admin.RelatedFieldListFilter):
            return (path, ScopedRelatedFieldListFilter)
        return entry

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = self._narrow(request, formfield.queryset)
        return formfield

    def get_search_results(self, request, queryset, search_term):
        # Autocomplete widgets call this on the *related* admin: keep it scoped too.
        return super().get_search_results(request, self._narrow(request, queryset), search_term)

    @staticmethod
    def secret_fields(model) -> list[str]:
        return [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField | EncryptedJSONField)]


class _PlatformReadOnlyAdmin(admin.ModelAdmin):
    """Platform-wide tables (several organisations' events): superusers only, read-only."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", _("open")), ("completed", _("processed by every subscriber")), ("given_up", _("given up"))]

    def queryset(self, request, queryset):
        return {
            "open": lambda: queryset.filter(next_sweep_at__isnull=False),
            "completed": lambda: queryset.filter(completed_at__isnull=False),
            "given_up": lambda: queryset.filter(given_up_at__isnull=False),
        }.get(self.value(), lambda: queryset)()


@admin.register(Event)
class EventAdmin(_PlatformReadOnlyAdmin):
    """The outbox: what was published, which subscribers have processed it, what waits."""

    list_display = ("created_at", "name", "organization_id", "sweeps", "next_sweep_at", "completed_at", "given_up_at")
    list_filter = (EventStateFilter, "name")
    search_fields = ("=id",)
    readonly_fields = [f.name for f in Event._meta.fields] + ["receipts"]
    actions = ["reopen"]
    show_full_result_count = False

    def changelist_view(self, request, extra_context=None):
        from . import outbox

        extra_context = {**(extra_context or {}), "backlog": outbox.backlog()}
        return super().changelist_view(request, extra_context=extra_context)

    @admin.display(description=_("receipts"))
    def receipts(self, obj):
        rows = EventReceipt.objects.filter(event_id=obj.id).order_by("processed_at")
        return ", ".join(f"{r.subscriber} ({r.processed_at:%H:%M:%S})" for r in rows) or "—"

    def get_actions(self, request):
        # Read-only for edits, but a superuser may give given-up events another round.
        actions = super().get_actions(request)
        return actions if request.user.is_superuser else {}

    @admin.action(description=_("Sweep again (given-up events)"))
    def reopen(self, request, queryset):
        from . import outbox

        count = outbox.reopen(event_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, _("%(count)d event(s) will be sent again to the subscribers that lack them.")
                          % {"count": count})


@admin.register(Heartbeat)
class HeartbeatAdmin(_PlatformReadOnlyAdmin):
    list_display = ("kind", "hostname", "pid", "started_at", "seen_at")
    list_filter = ("kind",)
