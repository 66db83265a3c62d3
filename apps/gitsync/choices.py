from django.db import models
from django.utils.translation import gettext_lazy as _


class AuthMethod(models.TextChoices):
    NONE = "none", _("None (public or local repository)")
    SSH_KEY = "ssh_key", _("SSH deploy key")
    TOKEN = "token", _("HTTPS token")


class ApplyMode(models.TextChoices):
    PARTIAL = "partial", _("Apply valid files, report invalid ones")
    ALL_OR_NOTHING = "all_or_nothing", _("All or nothing per commit")


class WebhookProvider(models.TextChoices):
    NONE = "", _("No push webhook")
    GITHUB = "github", _("GitHub (X-Hub-Signature-256)")
    GITLAB = "gitlab", _("GitLab (X-Gitlab-Token)")
    GITEA = "gitea", _("Gitea / Forgejo (X-Gitea-Signature)")
    BITBUCKET = "bitbucket", _("Bitbucket (X-Hub-Signature)")


class Trigger(models.TextChoices):
    SCHEDULE = "schedule", _("Schedule")
    WEBHOOK = "webhook", _("Push webhook")
    MANUAL = "manual", _("Sync now")
    ROLLBACK = "rollback", _("Pinned to an older commit")


class SyncStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    NO_CHANGE = "no_change", _("No change")
    PARTIAL = "partial", _("Applied with errors")
    REJECTED = "rejected", _("Rejected (all or nothing)")
    FAILED = "failed", _("Failed")


class FileOutcome(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
    RENAMED = "renamed", _("Renamed")
    UNCHANGED = "unchanged", _("Unchanged")
    DEACTIVATED = "deactivated", _("Removed from Git: deactivated")
    INVALID = "invalid", _("Invalid")
