"""The webhook front door: authenticate, bound, validate, upsert, answer 202. Nothing else.

Every refusal is a JSON body `{"error": {"code", "message", "fields"?}}` with a 4xx status and a
log line naming the integration (never the token), and touches no stored data.
"""
from __future__ import annotations

import logging

from django.db import DatabaseError
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from aiops import ratelimit, webhooks

from . import conf
from .choices import AuthType, IntegrationKind
from .ingest import ingest_alerts, token_hash
from .models import Integration
from .payloads import PayloadError, decode_json, parse_alertmanager, parse_generic

logger = logging.getLogger("apps.alerts.hooks")


def _error(status: int, code: str, message: str, fields: dict | None = None, headers: dict | None = None,
           integration: Integration | None = None) -> JsonResponse:
    return webhooks.error_response(status, code, message, fields=fields, headers=headers, log=logger,
                                   integration=integration.pk if integration else None)


def _authorised(integration: Integration, request) -> bool:
    if integration.auth_type == AuthType.NONE:
        return True
    expected = integration.auth_secret or ""
    if integration.auth_type == AuthType.BEARER:
        return webhooks.secret_matches(webhooks.bearer_token(request), expected)
    credentials = webhooks.basic_credentials(request)
    if credentials is None:
        return False
    username, password = credentials
    # Both compared, always, so the time taken says nothing about which one was wrong.
    user_ok = webhooks.constant_time_equal(username, integration.auth_username)
    return webhooks.secret_matches(password, expected) and user_ok


def _rate_limited(integration: Integration) -> JsonResponse | None:
    per_integration = integration.rate_limit_per_minute or conf.integration_rate_limit()
    allowed, retry = ratelimit.hit(f"hook:i:{integration.pk}", limit=per_integration)
    if allowed:
        allowed, retry = ratelimit.hit(f"hook:o:{integration.organization_id}", limit=conf.organization_rate_limit())
    if allowed:
        return None
    return _error(429, "rate_limited", f"Too many requests; retry in {retry} s.", headers={"Retry-After": str(retry)},
                  integration=integration)


@csrf_exempt
def receive(request, kind: str, token: str):
    """POST /hooks/<kind>/<token>/ — Alertmanager v4 or generic JSON, per the integration's kind."""
    if request.method != "POST":
        return _error(405, "method_not_allowed", "Send alerts with POST.", headers={"Allow": "POST"})
    integration = (Integration.objects.select_related("organization")
                   .filter(token_hash=token_hash(token)).first())
    if integration is None:
        return _error(404, "unknown_integration", "No integration has this URL; check the token in the admin.")
    if not integration.enabled:
        return _error(403, "integration_disabled", "This integration is disabled.", integration=integration)
    if integration.kind != kind:
        return _error(400, "wrong_kind", f"This is a {integration.kind} integration; post to "
                      f"/hooks/{integration.kind}/<token>/.", integration=integration)
    if not _authorised(integration, request):
        header = 'Bearer realm="aiops"' if integration.auth_type == AuthType.BEARER else 'Basic realm="aiops"'
        return _error(401, "unauthorized", "Missing or wrong credentials for this integration.",
                      headers={"WWW-Authenticate": header}, integration=integration)
    limited = _rate_limited(integration)
    if limited is not None:
        return limited
    try:
        webhooks.require_json(request)
        raw = webhooks.read_body(request, conf.max_body_bytes())
    except webhooks.WebhookError as exc:
        return exc.response(log=logger, integration=integration.pk)
    try:
        body = decode_json(raw)
        if integration.kind == IntegrationKind.ALERTMANAGER:
            alerts, group = parse_alertmanager(body)
        else:
            alerts, group = parse_generic(body, integration.field_mapping)
    except PayloadError as exc:
        return _error(400, "invalid_payload", "The body is not a valid alert notification.", fields=exc.errors,
                      integration=integration)
    try:
        result = ingest_alerts(integration=integration, alerts=alerts, group=group, raw_body=body,
                               source_ip=request.META.get("REMOTE_ADDR"))
    except DatabaseError:
        # Alertmanager retries on 5xx; a 503 says "try again" and nothing was half-written.
        logger.exception("webhook ingestion failed", extra={"integration": integration.pk})
        return _error(503, "unavailable", "Storage is unavailable; retry later.", headers={"Retry-After": "5"},
                      integration=integration)
    return JsonResponse({"status": "accepted", **result.as_dict()}, status=202)
