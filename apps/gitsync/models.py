"""Runbook repositories, one row per sync attempt, the runbooks each repository manages, push deliveries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aiops.fields import EncryptedTextField
from aiops.models import CreatedByMixin, OrgOwnedModel, TeamOwnedModel

from .choices import ApplyMode, AuthMethod, FileOutcome, SyncStatus, Trigger, WebhookProvider

DEFAULT_INCLUDE = "**/*.yaml\n**/*.yml"
CONFIG_FIELDS = ("url", "branch", "tag", "pinned_commit", "path", "include_globs", "exclude_globs", "apply_mode")


class Repository(TeamOwnedModel, CreatedByMixin):
    """A Git repository of runbook YAML files, synced on push, on schedule and on demand.

    What is synced is `tag` if set, else `pinned_commit` if set (rollback), else the head of
    `branch`. Runbooks it creates belong to the repository's team.
    """

    name = models.CharField(_("name"), max_length=200)
    url = models.CharField(
        _("URL"),
        max_length=1000,
        help_text=_("ssh://git@host/org/runbooks.git, git@host:org/runbooks.git, https://..., or file:///srv/runbooks.git"),
    )
    web_url = models.CharField(
        _("web URL"),
        max_length=1000,
        blank=True,
        help_text=_("Browse URL of the repository (https://github.com/org/runbooks) for links to files; "
                    "derived from the URL for GitHub, GitLab and Gitea when empty."),
    )
    branch = models.CharField(_("branch"), max_length=255, default="main")
    tag = models.CharField(_("tag"), max_length=255, blank=True,
                           help_text=_("Sync this tag instead of the branch head."))
    pinned_commit = models.CharField(
        _("pinned commit"),
        max_length=40,
        blank=True,
        help_text=_("Sync exactly this commit (a rollback); empty follows the branch."),
    )
    path = models.CharField(_("folder"), max_length=500, blank=True, help_text=_("Empty = the whole repository."))
    include_globs = models.TextField(_("include"), default=DEFAULT_INCLUDE, help_text=_("One glob per line."))
    exclude_globs = models.TextField(_("exclude"), blank=True, help_text=_("One glob per line."))
    apply_mode = models.CharField(_("invalid files"), max_length=20, choices=ApplyMode.choices,
                                  default=ApplyMode.PARTIAL)
    auth_method = models.CharField(_("authentication"), max_length=20, choices=AuthMethod.choices,
                                   default=AuthMethod.NONE)
    ssh_private_key = EncryptedTextField(
        _("SSH private key"),
        blank=True,
        help_text=_("Upload a deploy key, or leave empty and generate one (ed25519). Write-only."),
    )
    ssh_public_key = models.TextField(
        _("SSH public key"), blank=True, editable=False, help_text=_("Add this as a read-only deploy key.")
    )
    known_hosts = models.TextField(
        _("pinned host key"),
        blank=True,
        help_text=_("known_hosts line(s) of the ssh server; required for ssh. A changed key is refused."),
    )
    host_key_pinned_at = models.DateTimeField(_("host key pinned"), null=True, blank=True, editable=False)
    token_username = models.CharField(_("token user name"), max_length=200, blank=True,
                                      help_text=_("For HTTPS tokens: x-access-token (GitHub), oauth2 (GitLab), ..."))
    token = EncryptedTextField(_("access token"), blank=True, help_text=_("Write-only."))
    ca_bundle = models.TextField(
        _("CA bundle"),
        blank=True,
        help_text=_("PEM certificate(s) an https server's certificate must chain to (a private CA); "
                    "empty = the system's trusted CAs. Verification is never turned off."),
    )
    failure_channel = models.CharField(
        _("notify on failure"),
        max_length=200,
        blank=True,
        help_text=_("Notification channel (name or type) told when syncs start failing; "
                    "empty = the GITSYNC_FAILURE_CHANNEL setting."),
    )
    enabled = models.BooleanField(_("sync enabled"), default=True)
    interval_seconds = models.PositiveIntegerField(_("interval (seconds)"), default=180)
    environment = models.CharField(_("environment"), max_length=100, blank=True, db_index=True)
    webhook_provider = models.CharField(
        _("push webhook"), max_length=20, choices=WebhookProvider.choices, blank=True, default=WebhookProvider.NONE
    )
    webhook_token = EncryptedTextField(_("webhook URL token"), editable=False, blank=True)
    webhook_token_hash = models.CharField(max_length=64, unique=True, null=True, editable=False)
    webhook_secret = EncryptedTextField(
        _("webhook secret"),
        blank=True,
        help_text=_("GitHub, Gitea, Bitbucket: the HMAC secret. GitLab: the secret token. Write-only."),
    )
    # State the sync keeps; never edited by hand.
    last_sync_at = models.DateTimeField(_("last sync"), null=True, blank=True, editable=False)
    last_sync_status = models.CharField(_("last status"), max_length=20, choices=SyncStatus.choices, blank=True,
                                        editable=False)
    last_synced_sha = models.CharField(_("synced commit"), max_length=40, blank=True, editable=False)
    last_config_digest = models.CharField(max_length=64, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    next_sync_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    sync_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    sync_requested_trigger = models.CharField(max_length=20, choices=Trigger.choices, blank=True, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    lock_owner = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("runbook repository")
        verbose_name_plural = _("runbook repositories")
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="gitsync_repo_org_name")]

    def __str__(self):
        return self.name

    @property
    def target(self) -> str:
        """What a sync fetches, as a person reads it."""
        if self.tag:
            return f"tag {self.tag}"
        if self.pinned_commit:
            return f"commit {self.pinned_commit[:12]} (pinned)"
        return f"branch {self.branch}"


class SyncRun(OrgOwnedModel):
    """One sync attempt: what was fetched, what it did to each file, how long, and why it failed."""

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    status = models.CharField(_("status"), max_length=20, choices=SyncStatus.choices, default=SyncStatus.RUNNING)
    ref = models.CharField(_("ref"), max_length=300, blank=True)
    commit_sha = models.CharField(_("commit"), max_length=40, blank=True, db_index=True)
    commit_author = models.CharField(_("author"), max_length=300, blank=True)
    commit_message = models.TextField(_("message"), blank=True)
    committed_at = models.DateTimeField(_("committed"), null=True, blank=True)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    deleted_count = models.PositiveIntegerField(_("deactivated"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    files = models.JSONField(_("files"), default=list, blank=True,
                             help_text=_("Per file: path, outcome, runbook, errors (with line numbers)."))
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("requested by"))

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("sync run")
        indexes = [models.Index(fields=["repository", "-started_at"], name="gitsync_run_repo_started")]

    def __str__(self):
        return f"{self.repository} {self.started_at:%Y-%m-%d %H:%M:%S} {self.status}"

    def files_with(self, outcome: str) -> list[dict]:
        return [f for f in self.files if f.get("outcome") == outcome]


class ManagedRunbook(OrgOwnedModel):
    """A runbook whose source of truth is a file in a repository: read-only everywhere else."""

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="managed")
    runbook = models.OneToOneField("runbooks.Runbook", on_delete=models.CASCADE, related_name="git_source")
    path = models.CharField(_("path"), max_length=1000)
    blob_sha = models.CharField(max_length=40)
    checksum = models.CharField(max_length=64)
    commit_sha = models.CharField(_("commit"), max_length=40)
    active = models.BooleanField(_("in the repository"), default=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("Git-managed runbook")
        indexes = [models.Index(fields=["repository", "path"], name="gitsync_managed_repo_path")]

    def __str__(self):
        return f"{self.repository}:{self.path}"


class VersionCommit(OrgOwnedModel):
    """The commit a runbook version came from: shown in the runbook's history (sha, author, message, date)."""

    version = models.OneToOneField("runbooks.RunbookVersion", on_delete=models.CASCADE, related_name="git_commit")
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="version_commits")
    path = models.CharField(_("path"), max_length=1000)
    commit_sha = models.CharField(_("commit"), max_length=40)
    author = models.CharField(_("author"), max_length=300, blank=True)
    message = models.TextField(_("message"), blank=True)
    committed_at = models.DateTimeField(_("committed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("runbook version commit")

    def __str__(self):
        return f"{self.version} @ {self.commit_sha[:12]}"

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]


class PushDelivery(OrgOwnedModel):
    """A push webhook delivery id already accepted, so a replayed delivery does nothing."""

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="deliveries")
    delivery_id = models.CharField(max_length=200)
    provider = models.CharField(max_length=20, choices=WebhookProvider.choices)
    ref = models.CharField(max_length=300, blank=True)
    after = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("push delivery")
        verbose_name_plural = _("push deliveries")
        constraints = [
            models.UniqueConstraint(fields=["repository", "delivery_id"], name="gitsync_delivery_once")
        ]

    def __str__(self):
        return f"{self.provider} {self.delivery_id}"


__all__ = ["Repository", "SyncRun", "ManagedRunbook", "VersionCommit", "PushDelivery", "FileOutcome"]
