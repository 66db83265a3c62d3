"""What a runbook is: its canonical definition (the YAML schema as JSON), every version, and targets.

The definition JSON is the single source of truth; the columns beside it (name, mode, enabled,
...) are copies kept by the services so lists can filter and sort in the database.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aiops.fields import EncryptedTextField
from aiops.models import CreatedByMixin, OrgOwnedModel, TeamOwnedModel

from ..choices import HostKeyPolicy, Mode, VersionSource


class SshTarget(TeamOwnedModel, CreatedByMixin):
    """A host runbook commands run on. The host key is pinned: a changed key is always refused."""

    name = models.CharField(_("name"), max_length=200)
    host = models.CharField(
        _("host"),
        max_length=255,
        help_text=_("Address to connect to; also what alert labels are matched against."),
    )
    port = models.PositiveIntegerField(_("port"), default=22)
    username = models.CharField(_("user"), max_length=100)
    private_key = EncryptedTextField(
        _("private key"), blank=True, help_text=_("OpenSSH or PEM private key text.")
    )
    private_key_passphrase = EncryptedTextField(_("private key passphrase"), blank=True)
    password = EncryptedTextField(_("password"), blank=True)
    host_key = models.TextField(
        _("pinned host key"),
        blank=True,
        help_text=_(
            'The server\'s public host key, e.g. "ssh-ed25519 AAAA..." (a known_hosts line is accepted too).'
        ),
    )
    host_key_policy = models.CharField(
        _("unknown host keys"), max_length=20, choices=HostKeyPolicy.choices, default=HostKeyPolicy.STRICT
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="sshtarget_org_name")]
        indexes = [models.Index(fields=["organization", "host"], name="sshtarget_org_host")]
        verbose_name = _("SSH target")

    def __str__(self):
        return f"{self.name} ({self.username}@{self.host}:{self.port})"


class Runbook(TeamOwnedModel, CreatedByMixin):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True, db_index=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices, default=Mode.MANUAL)
    definition = models.JSONField(_("definition"), help_text=_("The canonical runbook document (see docs)."))
    version = models.PositiveIntegerField(_("version"), default=1)
    checksum = models.CharField(_("checksum"), max_length=64, editable=False)
    source_path = models.CharField(
        _("source path"),
        max_length=500,
        blank=True,
        help_text=_("File the runbook was imported from, if any."),
    )

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "slug"], name="runbook_org_slug")]
        indexes = [models.Index(fields=["organization", "enabled", "mode"], name="runbook_org_enabled")]

    def __str__(self):
        return self.name

    @property
    def execution(self) -> dict:
        return self.definition["execution"]

    @property
    def steps(self) -> list:
        return self.definition["steps"]

    @property
    def triggers(self) -> list:
        return self.definition.get("triggers", [])


class RunbookVersion(OrgOwnedModel):
    """One saved state of a runbook: the YAML as submitted (comments kept), who and when."""

    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    yaml_text = models.TextField(_("YAML"))
    definition = models.JSONField(_("definition"))
    checksum = models.CharField(_("checksum"), max_length=64)
    source = models.CharField(
        _("source"), max_length=20, choices=VersionSource.choices, default=VersionSource.YAML
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["runbook", "number"], name="runbookversion_unique")]
        verbose_name = _("runbook version")

    def __str__(self):
        return f"{self.runbook} v{self.number}"
