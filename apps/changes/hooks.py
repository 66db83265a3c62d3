"""The change-webhook front door: authenticate, bound, verify, parse, record, answer. Nothing else.

POST /hooks/changes/<token>/ — the source's kind decides how the body is read (generic JSON,
GitHub, GitLab, Argo CD). Every refusal is `{"error": {"code", "message", "fields"?}}` with a 4xx
status (the alert webhooks' shape) and stores nothing; a well-formed delivery that is not a change
(GitHub's ping, a queued workflow run) is answered 200 so senders keep the webhook enabled.
Correlation with alerts happens afterwards, on `change.recorded`.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from aiops import ratelimit, webhooks
from apps.alerts.ingest import token_hash

from . import conf, services
from .choices import GENERIC_KINDS, SourceKind
from .models import ChangeSource
from .payloads import Ignored, PayloadError, decode_json, parse_generic
from .providers import argocd, github, gitlab

logger = logging.getLogger("apps.changes.hooks")


def _error(
    status: int,
    code: str,
    message: str,
    *,
    fields: dict | None = None,
    headers: dict | None = None,
    source: ChangeSource | None = None,
) -> JsonResponse:
    return webhooks.error_response(
        status, code, message, fields=fields, headers=headers, log=logger, change_source=source.pk if source else None
    )


def _limited(source: ChangeSource) -> JsonResponse | None:
    allowed, retry = ratelimit.hit(
        f"changehook:{source.pk}", limit=source.rate_limit_per_minute or conf.source_rate_limit()
    )
    if allowed:
        return None
    return _error(
        429,
        "rate_limited",
        f"Too many requests; retry in {retry} s.",
        headers={"Retry-After": str(retry)},
        source=source,
    )


def _authenticate(source: ChangeSource, request, raw: bytes) -> JsonResponse | None:
    """Check the sender's proof for the source's kind; None when it holds (or none is configured)."""
    if not source.secret:
        return None  # the secret URL alone authenticates
    if source.kind == SourceKind.GITHUB:
        if github.signature_valid(source.secret, raw, webhooks.header(request, "X-Hub-Signature-256")):
            return None
        return _error(
            401,
            "invalid_signature",
            "X-Hub-Signature-256 is missing or does not match the body signed with this source's secret.",
            source=source,
        )
    if source.kind == SourceKind.GITLAB:
        if gitlab.token_valid(source.secret, webhooks.header(request, "X-Gitlab-Token")):
            return None
        return _error(401, "invalid_token", "X-Gitlab-Token is missing or wrong.", source=source)
    if webhooks.secret_matches(webhooks.bearer_token(request), source.secret):
        return None
    return _error(
        401,
        "unauthorized",
        "Send Authorization: Bearer <the source's secret>.",
        headers={"WWW-Authenticate": 'Bearer realm="aiops-changes"'},
        source=source,
    )


def _parse(source: ChangeSource, request, body):
    now = timezone.now()
    if source.kind == SourceKind.GITHUB:
        return github.parse(request.META.get(github.EVENT_HEADER, ""), body, source=source, received_at=now)
    if source.kind == SourceKind.GITLAB:
        return gitlab.parse(request.META.get(gitlab.EVENT_HEADER, ""), body, source=source, received_at=now)
    if source.kind == SourceKind.ARGOCD:
        return argocd.parse(body, source=source, received_at=now)
    data = parse_generic(body, default_source=GENERIC_KINDS[SourceKind(source.kind)], received_at=now)
    if not data.environment and source.default_environment:
        data.environment = source.default_environment
    return data


@csrf_exempt
def receive(request, token: str):
    """POST /hooks/changes/<token>/ — one change per delivery."""
    if request.method != "POST":
        return _error(405, "method_not_allowed", "Send changes with POST.", headers={"Allow": "POST"})
    source = ChangeSource.objects.select_related("organization").filter(token_hash=token_hash(token)).first()
    if source is None:
        return _error(404, "unknown_source", "No change source has this URL; check the token in the admin.")
    if not source.enabled:
        return _error(403, "source_disabled", "This change source is disabled.", source=source)
    limited = _limited(source)
    if limited is not None:
        return limited
    try:
        webhooks.require_json(request)
    except webhooks.WebhookError:
        return _error(
            415,
            "unsupported_media_type",
            "Send the body as application/json (for GitHub: Content type application/json in the webhook settings).",
            source=source,
        )
    try:
        raw = webhooks.read_body(request, conf.max_body_bytes())
    except webhooks.WebhookError as exc:
        return exc.response(log=logger, change_source=source.pk)
    refused = _authenticate(source, request, raw)
    if refused is not None:
        return refused
    if source.kind == SourceKind.GITHUB and request.META.get(github.EVENT_HEADER) == "ping":
        return JsonResponse({"status": "pong"})
    if source.kind == SourceKind.GITHUB and not request.META.get(github.EVENT_HEADER):
        return _error(400, "missing_event", "The X-GitHub-Event header is required.", source=source)
    try:
        data = _parse(source, request, decode_json(raw))
    except Ignored as exc:
        return JsonResponse({"status": "ignored", "reason": str(exc)})
    except PayloadError as exc:
        return _error(400, "invalid_payload", "The body is not a valid change event.", fields=exc.errors, source=source)
    try:
        result = services.change_record(organization=source.organization, data=data, change_source=source)
    except DatabaseError:
        logger.exception("change webhook storage failed", extra={"change_source": source.pk})
        return _error(
            503,
            "unavailable",
            "Storage is unavailable; retry later.",
            headers={"Retry-After": "5"},
            source=source,
        )
    return JsonResponse({"status": "accepted", **result.as_dict()}, status=202)
