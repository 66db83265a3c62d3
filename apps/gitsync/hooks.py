"""The push-webhook front door: authenticate, bound, verify, de-duplicate, request a sync. Nothing else.

POST /hooks/gitsync/<token>/ — the repository's provider decides how the delivery is verified
(see providers.py). Refusals are `{"error": {"code", "message"}}` with a 4xx and store nothing;
a genuine delivery that is not a push to the synced branch (a ping, another branch) is answered
200 so providers keep the webhook enabled; a replayed delivery id is answered 200 and ignored.
The sync runs in a worker, never in the request.
"""

from __future__ import annotations

import hashlib
import logging

from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from aiops import ratelimit
from apps.alerts.payloads import PayloadError, decode_json

from . import conf, providers, services
from .choices import Trigger
from .models import PushDelivery, Repository

logger = logging.getLogger("apps.gitsync.hooks")


def _error(status: int, code: str, message: str, *, headers: dict | None = None, repository=None) -> JsonResponse:
    logger.warning("push webhook refused", extra={"status": status, "code": code,
                                                  "repository": repository.pk if repository else None})
    response = JsonResponse({"error": {"code": code, "message": message}}, status=status)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def _body(request) -> bytes | None:
    limit = conf.max_body_bytes()
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and int(declared) > limit:
        return None
    raw = request.read(limit + 1)
    return raw if len(raw) <= limit else None


def _wanted_ref(repository: Repository) -> str:
    return f"refs/tags/{repository.tag}" if repository.tag else f"refs/heads/{repository.branch}"


@csrf_exempt
def receive(request, token: str):
    """POST /hooks/gitsync/<token>/ — one push per delivery."""
    if request.method != "POST":
        return _error(405, "method_not_allowed", "Send pushes with POST.", headers={"Allow": "POST"})
    repository = Repository.objects.filter(webhook_token_hash=services.token_hash(token)).first()
    if repository is None or not repository.webhook_provider:
        return _error(404, "unknown_repository", "No repository has this webhook URL.")
    allowed, retry = ratelimit.hit(f"gitsynchook:{repository.pk}", limit=conf.hook_rate_limit())
    if not allowed:
        return _error(429, "rate_limited", f"Too many requests; retry in {retry} s.",
                      headers={"Retry-After": str(retry)}, repository=repository)
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return _error(415, "unsupported_media_type", "Send the body as application/json.", repository=repository)
    raw = _body(request)
    if raw is None:
        return _error(413, "payload_too_large", f"The body exceeds {conf.max_body_bytes()} bytes.",
                      repository=repository)
    if not repository.webhook_secret:
        return _error(401, "no_secret", "Set the repository's webhook secret first.", repository=repository)
    if not providers.authentic(repository.webhook_provider, repository.webhook_secret, request.META, raw):
        return _error(401, "invalid_signature",
                      "The delivery's signature or token does not match this repository's secret.",
                      repository=repository)
    try:
        push = providers.parse(repository.webhook_provider, request.META, decode_json(raw))
    except (PayloadError, ValueError):
        return _error(400, "invalid_payload", "The body is not a push event.", repository=repository)
    if push.ping:
        return JsonResponse({"status": "pong"})
    if push.ignored:
        return JsonResponse({"status": "ignored", "reason": push.ignored})
    if not repository.enabled:
        return JsonResponse({"status": "ignored", "reason": "sync is disabled for this repository"})
    if repository.pinned_commit:
        return JsonResponse({"status": "ignored", "reason": "the repository is pinned to a commit"})
    if _wanted_ref(repository) not in push.refs:
        return JsonResponse({"status": "ignored", "reason": f"the push is not to {_wanted_ref(repository)}"})
    delivery_id = push.delivery_id or "sha256:" + hashlib.sha256(raw).hexdigest()
    try:
        with transaction.atomic():
            PushDelivery.objects.create(organization_id=repository.organization_id, repository=repository,
                                        delivery_id=delivery_id, provider=repository.webhook_provider,
                                        ref=_wanted_ref(repository), after=push.after[:64])
            services.repository_request_sync(repository=repository, trigger=Trigger.WEBHOOK)
    except IntegrityError:
        return JsonResponse({"status": "duplicate", "delivery": delivery_id})
    return JsonResponse({"status": "accepted", "delivery": delivery_id}, status=202)
