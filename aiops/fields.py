"""Encrypted model fields: ciphertext in the database, plaintext in Python, never shown back.

In forms these fields are write-only: the widget never renders the stored value, and leaving the
input empty keeps the stored secret (see `save_form_data`).
"""
import json

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import crypto

MARKER = "fernet:"


class SecretInput(forms.PasswordInput):
    def __init__(self, attrs=None):
        attrs = {"autocomplete": "new-password", "placeholder": _("unchanged — type to replace"), **(attrs or {})}
        super().__init__(attrs=attrs, render_value=False)


class SecretJSONInput(forms.Textarea):
    """A textarea that never shows the stored JSON."""

    def format_value(self, value):
        return ""


class _EncryptedMixin:
    def get_internal_type(self):
        return "TextField"

    def _serialize(self, value) -> str:
        return value

    def _deserialize(self, text: str):
        return text

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return self._empty()
        if value.startswith(MARKER):
            return self._deserialize(crypto.decrypt(value[len(MARKER):]))
        return self._deserialize(value)  # written before encryption was configured

    def to_python(self, value):
        if isinstance(value, str) and value.startswith(MARKER):
            return self._deserialize(crypto.decrypt(value[len(MARKER):]))
        return value

    def get_prep_value(self, value):
        if value is None or value == "" or value == {}:
            return "" if not self.null else None
        return MARKER + crypto.encrypt(self._serialize(value))

    def _empty(self):
        return ""

    def save_form_data(self, instance, data):
        # Write-only: an empty submission means "keep what is stored".
        if data in (None, "", {}) and getattr(instance, self.attname, None):
            return
        super().save_form_data(instance, data)

    def value_to_string(self, obj):
        return ""  # never dumped by dumpdata/serializers

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        return name, path, args, kwargs


class EncryptedTextField(_EncryptedMixin, models.TextField):
    description = "Text encrypted at rest"

    def formfield(self, **kwargs):
        # Forced, not defaulted: the admin passes its own textarea for TextFields, which would
        # render the stored secret into the page.
        kwargs["widget"] = SecretInput
        kwargs.setdefault("required", False)
        return super().formfield(**kwargs)


class EncryptedJSONField(_EncryptedMixin, models.TextField):
    """A JSON object encrypted as a whole (for provider configs that hold secrets)."""

    description = "JSON encrypted at rest"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", dict)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def _serialize(self, value) -> str:
        return json.dumps(value, sort_keys=True)

    def _deserialize(self, text: str):
        return json.loads(text) if text else {}

    def _empty(self):
        return {}

    def to_python(self, value):
        if isinstance(value, str) and not value.startswith(MARKER):
            try:
                return json.loads(value) if value else {}
            except json.JSONDecodeError as exc:
                raise forms.ValidationError(_("Enter valid JSON: %(error)s"), params={"error": exc}) from exc
        return super().to_python(value)

    def formfield(self, **kwargs):
        return forms.JSONField(
            required=False, widget=SecretJSONInput, label=self.verbose_name,
            help_text=self.help_text or _("Write-only: leave empty to keep the stored value."),
        )
