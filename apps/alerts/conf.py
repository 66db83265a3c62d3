"""Alert-ingestion settings (Django setting, else environment variable, else the default)."""
from aiops.conf import setting


def max_body_bytes() -> int:
    return setting("ALERTS_MAX_BODY_BYTES", 5 * 1024 * 1024)


def integration_rate_limit() -> int:
    """Webhook requests per minute per integration when the integration sets none (0 = unlimited)."""
    return setting("ALERTS_INTEGRATION_RATE_LIMIT", 600)


def organization_rate_limit() -> int:
    """Webhook requests per minute per organisation, all integrations together (0 = unlimited)."""
    return setting("ALERTS_ORGANIZATION_RATE_LIMIT", 1200)


def raw_payload_retention_days() -> int:
    return setting("ALERTS_RAW_PAYLOAD_RETENTION_DAYS", 7)
