"""Admin: repositories (with Sync now, Test connection, Trust host key, Generate deploy key), runs, managed runbooks."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from aiops.admin import OrgScopedAdmin
from aiops.links import absolute_reverse
from aiops.roles import Role

from . import git, services
from .choices import Trigger
from .forms import RepositoryAdminForm
from .models import ManagedRunbook, PushDelivery, Repository, SyncRun, VersionCommit


@admin.register(Repository)
class RepositoryAdmin(OrgScopedAdmin):
    form = RepositoryAdminForm
    list_display = ["name", "url", "target", "environment", "enabled", "last_sync_status", "last_sync_at",
                    "last_synced_sha", "organization"]
    list_filter = ["enabled", "last_sync_status", "auth_method", "webhook_provider", "environment"]
    list_select_related = ["organization"]
    search_fields = ["name", "url"]
    readonly_fields = ["ssh_public_key", "host_key_pinned_at", "webhook_url", "last_sync_at", "last_sync_status",
                       "last_synced_sha", "last_error", "next_sync_at", "created_by"]
    actions = ["sync_now", "test_connection", "trust_host_key", "generate_deploy_key"]

    @admin.display(description=_("synced"))
    def target(self, obj):
        return obj.target

    @admin.display(description=_("webhook URL"))
    def webhook_url(self, obj):
        if not obj.webhook_token:
            return "—"
        return absolute_reverse("gitsync-hook", args=[obj.webhook_token])

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not self._role_at_least(request, Role.ADMIN):
            fields.remove("webhook_url")
        return fields

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if not self._role_at_least(request, Role.ADMIN) and "webhook_url" in fields:
            fields.remove("webhook_url")
        return fields

    def save_model(self, request, obj, form, change):
        services.repository_prepare(repository=obj)
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Sync now"))
    def sync_now(self, request, queryset):
        for repository in queryset:
            services.repository_request_sync(repository=repository, trigger=Trigger.MANUAL, user=request.user)
        self.message_user(request, _("%(n)d sync(s) queued.") % {"n": queryset.count()}, messages.SUCCESS)

    @admin.action(description=_("Test connection"))
    def test_connection(self, request, queryset):
        for repository in queryset:
            try:
                sha = services.repository_test_connection(repository=repository)
            except (git.GitError, ValueError) as exc:
                self.message_user(request, f"{repository}: {exc}", messages.ERROR)
            else:
                self.message_user(request, _("%(repo)s: reachable, %(target)s is at %(sha)s")
                                  % {"repo": repository, "target": repository.target, "sha": sha[:12]},
                              messages.SUCCESS)

    @admin.action(description=_("Trust the ssh host key (first use only)"))
    def trust_host_key(self, request, queryset):
        for repository in queryset:
            try:
                lines = services.repository_trust_host_key(repository=repository)
            except (services.AlreadyPinned, ValueError, git.GitError) as exc:
                self.message_user(request, f"{repository}: {exc}", messages.ERROR)
            else:
                self.message_user(request, _("%(repo)s: pinned %(keys)s") % {"repo": repository, "keys": lines},
                                  messages.SUCCESS)

    @admin.action(description=_("Generate a new deploy key"))
    def generate_deploy_key(self, request, queryset):
        for repository in queryset:
            public = services.repository_generate_deploy_key(repository=repository)
            self.message_user(request, _("%(repo)s: add this read-only deploy key: %(key)s")
                              % {"repo": repository, "key": public}, messages.SUCCESS)


class _ReadOnlyAdmin(OrgScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SyncRun)
class SyncRunAdmin(_ReadOnlyAdmin):
    list_display = ["repository", "started_at", "trigger", "status", "commit_sha", "created_count", "updated_count",
                    "unchanged_count", "deleted_count", "error_count", "duration_ms"]
    list_filter = ["status", "trigger"]
    list_select_related = ["repository"]
    search_fields = ["repository__name", "commit_sha", "commit_message"]
    fields = ["repository", "trigger", "status", "ref", "commit_sha", "commit_author", "commit_message", "committed_at",
              "created_count", "updated_count", "unchanged_count", "deleted_count", "error_count", "file_results",
              "started_at", "finished_at", "duration_ms", "error", "requested_by"]
    readonly_fields = fields

    @admin.display(description=_("files"))
    def file_results(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.files, indent=2, ensure_ascii=False))


@admin.register(ManagedRunbook)
class ManagedRunbookAdmin(_ReadOnlyAdmin):
    list_display = ["path", "repository", "runbook", "commit_sha", "active"]
    list_filter = ["active"]
    list_select_related = ["repository", "runbook"]
    search_fields = ["path", "runbook__name"]


@admin.register(VersionCommit)
class VersionCommitAdmin(_ReadOnlyAdmin):
    list_display = ["version", "repository", "path", "commit_sha", "author", "committed_at"]
    list_select_related = ["version__runbook", "repository"]
    search_fields = ["commit_sha", "path", "author", "message"]


@admin.register(PushDelivery)
class PushDeliveryAdmin(_ReadOnlyAdmin):
    list_display = ["delivery_id", "provider", "repository", "ref", "after", "created_at"]
    list_filter = ["provider"]
    list_select_related = ["repository"]
    search_fields = ["delivery_id"]
