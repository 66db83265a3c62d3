"""Admin form for repositories: the same field checks as the API (services.clean_fields)."""

from django import forms
from django.core.exceptions import ValidationError

from . import services
from .models import Repository

FORM_FIELDS = [
    "name", "team", "url", "web_url", "branch", "tag", "pinned_commit", "path", "include_globs", "exclude_globs",
    "apply_mode", "auth_method", "ssh_private_key", "known_hosts", "token_username", "token", "ca_bundle", "enabled",
    "failure_channel",
    "interval_seconds", "environment", "webhook_provider", "webhook_secret",
]  # fmt: skip


class RepositoryAdminForm(forms.ModelForm):
    class Meta:
        model = Repository
        fields = ["organization", *FORM_FIELDS]

    def clean(self):
        cleaned = super().clean()
        values = {k: v for k, v in cleaned.items() if k in FORM_FIELDS and k not in ("team",)}
        if not values.get("ssh_private_key"):
            values.pop("ssh_private_key", None)  # empty keeps the stored key (write-only field)
        try:
            checked = services.clean_fields(values, self.instance if self.instance.pk else None)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
            return cleaned
        cleaned.update(checked)
        if "ssh_public_key" in checked:
            self.instance.ssh_public_key = checked["ssh_public_key"]
        return cleaned
