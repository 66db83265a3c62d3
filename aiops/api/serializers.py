"""Base serializer: the server owns organisation, team checks and created_by."""
from collections.abc import Mapping

from django.utils.translation import gettext as _
from rest_framework import serializers

from aiops.api.fields import OrgScopedRelatedField
from aiops.fields import EncryptedJSONField, EncryptedTextField


class OrgOwnedSerializer(serializers.ModelSerializer):
    """Reports each encrypted field as `<name>_set` (true/false) and never echoes it.

    Empty secrets on update keep the stored value, like the admin forms. A key that is not a field
    is refused (400 naming it) rather than ignored: a misspelt `grouping` must not silently leave a
    rule notifying per incident. Read-only fields and `<secret>_set` are accepted, so a body read
    with GET can be sent back with PUT.
    """

    # Every related field a ModelSerializer builds resolves ids inside the active organisation.
    serializer_related_field = OrgScopedRelatedField
    # Keys read from `initial_data` by a subclass (or shown by its to_representation) beyond its fields.
    extra_input_keys: frozenset[str] = frozenset()

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            secrets = {
                f"{field.name}_set"
                for field in self.Meta.model._meta.concrete_fields
                if isinstance(field, EncryptedTextField | EncryptedJSONField)
            }
            known = set(self.fields) | secrets | self.extra_input_keys
            unknown = [key for key in data if key not in known]
            if unknown and self.instance is not None and not isinstance(self.instance, list | tuple):
                # What this object's GET shows (computed keys such as a URL) may come back in a PUT.
                shown = set(self.to_representation(self.instance))
                unknown = [key for key in unknown if key not in shown]
            unknown = sorted(str(key) for key in unknown)
            if unknown:
                raise serializers.ValidationError({key: [_("Unknown field.")] for key in unknown})
        return super().to_internal_value(data)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        for field in instance._meta.concrete_fields:
            if isinstance(field, EncryptedTextField | EncryptedJSONField):
                data.pop(field.name, None)
                data[f"{field.name}_set"] = bool(getattr(instance, field.attname))
        return data

    def update(self, instance, validated_data):
        for field in instance._meta.concrete_fields:
            if isinstance(field, EncryptedTextField | EncryptedJSONField) and validated_data.get(field.name) in ("", None, {}):
                validated_data.pop(field.name, None)
        return super().update(instance, validated_data)
