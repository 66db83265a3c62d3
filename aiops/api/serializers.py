"""Base serializer: the server owns organisation, team checks and created_by."""
from rest_framework import serializers

from aiops.fields import EncryptedJSONField, EncryptedTextField


class OrgOwnedSerializer(serializers.ModelSerializer):
    """Reports each encrypted field as `<name>_set` (true/false) and never echoes it.

    Empty secrets on update keep the stored value, like the admin forms.
    """

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
