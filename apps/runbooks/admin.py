"""Admin screens. Runbooks are edited as YAML (the same schema and errors as import and Git sync);
executions, steps, audit events, versions and timers are read-only records."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from aiops.admin import OrgScopedAdmin
from aiops.roles import Role

from . import services
from .choices import VersionSource
from .executors.ssh import parse_host_key
from .guards import managed_by
from .models import (
    ExecutionEvent,
    Runbook,
    RunbookExecution,
    RunbookVersion,
    SshTarget,
    StepResult,
    TriggerWait,
)
from .schema import InvalidDefinition
from .services.targets import target_credential_problems
from .yamlio import dump, load


class RunbookAdminForm(forms.ModelForm):
    yaml_text = forms.CharField(
        label=_("Definition (YAML)"),
        widget=forms.Textarea(
            attrs={"rows": 36, "cols": 110, "style": "font-family: monospace", "spellcheck": "false"}
        ),
        help_text=_(
            "The runbook YAML schema (see the runbooks documentation). Every saved change is a new version."
        ),
    )
    organization_for_checks = None  # set by RunbookAdmin.get_form

    class Meta:
        model = Runbook
        fields = ["organization", "team"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.fields["yaml_text"].initial = dump(self.instance.definition)

    def clean_yaml_text(self):
        text = self.cleaned_data["yaml_text"]
        owner = managed_by(self.instance)
        if owner is not None:
            raise forms.ValidationError(
                _("This runbook is managed by %(label)s (%(path)s): change the file there.")
                % {"label": owner.label, "path": owner.path}
            )
        try:
            definition = load(text)
        except InvalidDefinition as exc:
            raise forms.ValidationError(exc.messages) from exc
        org = self.cleaned_data.get("organization") or self.organization_for_checks
        clash = Runbook.objects.filter(organization=org, slug=definition["slug"]).exclude(pk=self.instance.pk)
        if org is not None and clash.exists():
            raise forms.ValidationError(
                _("slug %(slug)r is already used by another runbook") % {"slug": definition["slug"]}
            )
        return text


class RunbookVersionInline(admin.TabularInline):
    model = RunbookVersion
    fields = ["number", "source", "note", "created_by", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Runbook)
class RunbookAdmin(OrgScopedAdmin):
    form = RunbookAdminForm
    list_display = ["name", "slug", "mode", "enabled", "category", "version", "team", "updated_at"]
    list_filter = ["mode", "enabled", "category"]
    search_fields = ["name", "slug", "description"]
    inlines = [RunbookVersionInline]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.organization_for_checks = None if request.user.is_superuser else self._org(request)
        return form

    def save_model(self, request, obj, form, change):
        org = obj.organization if request.user.is_superuser else self._org(request)
        result = services.runbook_import_yaml(
            organization=org,
            text=form.cleaned_data["yaml_text"],
            user=request.user,
            source=VersionSource.ADMIN,
            team=form.cleaned_data.get("team"),
            runbook=obj if change else None,
        )
        runbook, team = result.runbook, form.cleaned_data.get("team")
        if change and runbook.team_id != getattr(team, "pk", None):
            runbook.team = team
            runbook.save(update_fields=["team", "updated_at"])
        obj.pk = runbook.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        pass  # versions are written by the service, never through the inline


class SshTargetAdminForm(forms.ModelForm):
    class Meta:
        model = SshTarget
        fields = [
            "organization",
            "team",
            "name",
            "host",
            "port",
            "username",
            "private_key",
            "private_key_passphrase",
            "password",
            "host_key",
            "host_key_policy",
            "enabled",
            "description",
        ]

    def clean_host_key(self):
        value = self.cleaned_data.get("host_key", "")
        if not value:
            return ""
        try:
            return parse_host_key(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self):
        data = super().clean()
        problems = target_credential_problems(
            private_key=data.get("private_key") or self.instance.private_key,
            passphrase=data.get("private_key_passphrase") or self.instance.private_key_passphrase,
            password=data.get("password") or self.instance.password,
            key_changed=bool(data.get("private_key") or data.get("private_key_passphrase")),
        )
        for field, problem in problems.items():
            self.add_error(field, problem)
        return data


@admin.register(SshTarget)
class SshTargetAdmin(OrgScopedAdmin):
    form = SshTargetAdminForm
    list_display = ["name", "host", "port", "username", "host_key_policy", "enabled", "team"]
    list_filter = ["enabled", "host_key_policy"]
    search_fields = ["name", "host", "username"]


class _ReadOnlyAdmin(OrgScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RunbookVersion)
class RunbookVersionAdmin(_ReadOnlyAdmin):
    list_display = ["runbook", "number", "source", "created_by", "created_at", "note"]
    list_filter = ["source"]
    search_fields = ["runbook__name", "note"]
    actions = ["restore"]

    @admin.action(description=_("Make the selected version current again"))
    def restore(self, request, queryset):
        if not self._role_at_least(request, Role.ADMIN):
            messages.error(request, _("Only admins may restore runbook versions."))
            return
        for version in queryset:
            services.runbook_restore_version(version=version, user=request.user)
        messages.success(request, _("Restored %(count)d version(s).") % {"count": queryset.count()})


class StepResultInline(admin.TabularInline):
    model = StepResult
    fields = [
        "position",
        "phase",
        "name",
        "status",
        "attempts",
        "rendered",
        "exit_code",
        "http_status",
        "error",
        "duration_ms",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RunbookExecution)
class RunbookExecutionAdmin(_ReadOnlyAdmin):
    list_display = [
        "id",
        "runbook_name",
        "status",
        "trigger",
        "alert",
        "requested_by",
        "target_display",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "trigger"]
    search_fields = ["runbook_name", "reason", "status_reason", "target_display"]
    inlines = [StepResultInline]
    actions = ["approve", "reject", "cancel"]

    def _decide(self, request, queryset, service, verb):
        if not self._role_at_least(request, Role.OPERATOR):
            messages.error(request, _("Only operators may approve, reject or cancel runs."))
            return
        done = 0
        for execution in queryset:
            try:
                service(execution=execution, user=request.user)
                done += 1
            except services.ExecutionStateError as exc:
                messages.error(request, str(exc))
        if done:
            messages.success(request, _("%(verb)s %(count)d execution(s).") % {"verb": verb, "count": done})

    @admin.action(description=_("Approve selected executions"))
    def approve(self, request, queryset):
        self._decide(request, queryset, services.execution_approve, _("Approved"))

    @admin.action(description=_("Reject selected executions"))
    def reject(self, request, queryset):
        self._decide(request, queryset, services.execution_reject, _("Rejected"))

    @admin.action(description=_("Cancel selected executions"))
    def cancel(self, request, queryset):
        self._decide(request, queryset, services.execution_cancel, _("Cancelled"))


@admin.register(StepResult)
class StepResultAdmin(_ReadOnlyAdmin):
    list_display = [
        "execution",
        "position",
        "phase",
        "name",
        "status",
        "exit_code",
        "http_status",
        "duration_ms",
    ]
    list_filter = ["status", "phase", "step_type"]
    search_fields = ["name", "rendered", "error"]


@admin.register(ExecutionEvent)
class ExecutionEventAdmin(_ReadOnlyAdmin):
    list_display = ["execution", "kind", "actor", "at", "note"]
    list_filter = ["kind"]
    search_fields = ["note"]


@admin.register(TriggerWait)
class TriggerWaitAdmin(_ReadOnlyAdmin):
    list_display = ["runbook", "alert", "due_at", "fired_at", "outcome"]
    list_filter = ["fired_at"]
    search_fields = ["runbook__name", "outcome"]
