"""Alert ingestion: integrations, webhook payload validation and the upsert of alerts."""
from __future__ import annotations

import hashlib
import secrets

from django.db import transaction

from .models import Integration


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def integration_create(*, organization, name: str, created_by=None, **fields) -> Integration:
    """Create an integration with a fresh secret URL token."""
    token = secrets.token_urlsafe(24)
    return Integration.objects.create(
        organization=organization, name=name, created_by=created_by, token=token, token_hash=token_hash(token), **fields
    )


@transaction.atomic
def integration_rotate_token(*, integration: Integration) -> Integration:
    """Issue a new URL token; the old URL stops working at once."""
    token = secrets.token_urlsafe(24)
    integration.token = token
    integration.token_hash = token_hash(token)
    integration.save(update_fields=["token", "token_hash", "updated_at"])
    return integration
