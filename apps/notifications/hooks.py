"""Inbound callbacks: Slack's "Acknowledge" button and PagerDuty's v3 webhooks.

Both authenticate by the provider's signature with a secret stored in the channel's config
(Slack `signing_secret`, PagerDuty `webhook_secret`) and acknowledge through the alerts app's
own service, so the acknowledgment is recorded, published and stops escalations exactly like one
from the portal. A Slack user is not mapped to an account here (ChatOps owns that mapping); the
acknowledgment is recorded without a user, and messages name the Slack user.
"""

from __future__ import annotations

import logging
import time

from django.http import HttpResponse, HttpResponseForbidden, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from aiops import webhooks
from apps.alerts.choices import ActionSource, AlertStatus
from apps.alerts.models import Alert
from apps.alerts.services import AlertActionError, alert_acknowledge

from .choices import ChannelKind, SubjectKind
from .messages import ACK_ACTION
from .models import NotificationChannel, NotificationSubject, NotificationThread

logger = logging.getLogger(__name__)
MAX_CALLBACK_BYTES = 1024 * 1024  # Slack and PagerDuty callbacks are a few kB


def _acknowledge_subject(subject: NotificationSubject, *, who: str, source: str) -> int:
    """Acknowledge the alert (or every open alert of the incident) behind a subject."""
    NotificationSubject.objects.filter(pk=subject.pk).update(context={**subject.context, "ack_hint": who})
    if subject.kind == SubjectKind.ALERT:
        alerts = Alert.objects.filter(pk=subject.alert_id)
    else:
        alerts = Alert.objects.filter(pk__in=subject.alert_links.values("alert_id"))
    done = 0
    for alert in alerts.filter(status=AlertStatus.FIRING, acknowledged_at__isnull=True):
        try:
            alert_acknowledge(alert=alert, user=None, source=source, note=f"acknowledged by {who}")
            done += 1
        except AlertActionError:
            continue
    return done


@csrf_exempt
@require_POST
def slack_interaction(request, channel_id: int):
    channel = get_object_or_404(NotificationChannel, pk=channel_id, kind=ChannelKind.SLACK)
    secret = (channel.config or {}).get("signing_secret")
    try:
        raw = webhooks.read_body(request, MAX_CALLBACK_BYTES)
    except webhooks.WebhookError as exc:
        return exc.response(log=logger, channel=channel.pk)
    if not secret or not isinstance(secret, str) or not _slack_signature_ok(secret, raw, request):
        return HttpResponseForbidden("bad signature")
    try:
        form = QueryDict(raw.decode("utf-8"))
        payload = webhooks.parse_json(form.get("payload", ""))
    except UnicodeDecodeError:
        return webhooks.error_response(400, "invalid_payload", "The body is not UTF-8.", log=logger)
    except webhooks.WebhookError as exc:
        return exc.response(log=logger, channel=channel.pk)
    if not isinstance(payload, dict):
        return webhooks.error_response(400, "invalid_payload", "payload must be a JSON object.", log=logger)
    user = payload.get("user") if isinstance(payload.get("user"), dict) else {}
    who = "@" + str(user.get("username") or user.get("name") or user.get("id") or "slack")
    actions = payload.get("actions") if isinstance(payload.get("actions"), list) else []
    for action in actions:
        if not isinstance(action, dict) or action.get("action_id") != ACK_ACTION:
            continue
        subject = NotificationSubject.objects.filter(
            organization_id=channel.organization_id, key=str(action.get("value", ""))
        ).first()
        if subject is not None:
            _acknowledge_subject(subject, who=f"{who} (Slack)", source=ActionSource.CHAT)
    return HttpResponse(status=200)  # the message itself is edited by the acknowledgment's update


def _slack_signature_ok(secret: str, body: bytes, request) -> bool:
    """Slack's v0 signature over `v0:<timestamp>:<body>`, the timestamp within five minutes."""
    timestamp = webhooks.header(request, "X-Slack-Request-Timestamp").strip()
    if not timestamp.isascii() or not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
        return False
    expected = "v0=" + webhooks.hmac_sha256_hex(secret, b"v0:" + timestamp.encode() + b":" + body)
    return webhooks.secret_matches(webhooks.header(request, "X-Slack-Signature"), expected)


def _pagerduty_signature_ok(secret: str, body: bytes, header: str) -> bool:
    expected = "v1=" + webhooks.hmac_sha256_hex(secret, body)
    return any(webhooks.secret_matches(part.strip(), expected) for part in (header or "").split(","))


@csrf_exempt
@require_POST
def pagerduty_webhook(request, channel_id: int):
    channel = get_object_or_404(NotificationChannel, pk=channel_id, kind=ChannelKind.PAGERDUTY)
    secret = (channel.config or {}).get("webhook_secret")
    try:
        raw = webhooks.read_body(request, MAX_CALLBACK_BYTES)
    except webhooks.WebhookError as exc:
        return exc.response(log=logger, channel=channel.pk)
    if not secret or not isinstance(secret, str) or not _pagerduty_signature_ok(
        secret, raw, webhooks.header(request, "X-PagerDuty-Signature")
    ):
        return HttpResponseForbidden("bad signature")
    try:
        body = webhooks.parse_json(raw)
    except webhooks.WebhookError as exc:
        return exc.response(log=logger, channel=channel.pk)
    event = body.get("event") if isinstance(body, dict) else None
    if not isinstance(event, dict):
        return HttpResponse("not a PagerDuty v3 webhook", status=400)
    kind = str(event.get("event_type") or "")
    if kind not in ("incident.acknowledged", "incident.resolved"):
        return JsonResponse({"ignored": kind})
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    dedup_key = data.get("incident_key") or ""
    if not isinstance(dedup_key, str):
        return HttpResponse("data.incident_key must be a string", status=400)
    thread = (
        next(
            (
                t
                for t in NotificationThread.objects.filter(channel=channel)
                .select_related("subject")
                .filter(provider_ref__dedup_key=dedup_key)
            ),
            None,
        )
        if dedup_key
        else None
    )
    if thread is None:
        return JsonResponse({"ignored": "unknown incident_key"})
    agent = event.get("agent") if isinstance(event.get("agent"), dict) else {}
    agent = str(agent.get("summary") or "PagerDuty")
    count = _acknowledge_subject(thread.subject, who=f"{agent} (PagerDuty)", source=ActionSource.INTEGRATION)
    logger.info(
        "pagerduty acknowledgment", extra={"channel": channel.pk, "alerts": count, "at": int(time.time())}
    )
    return JsonResponse({"acknowledged": count})
