"""Inbound callbacks: Slack's "Acknowledge" button and PagerDuty's v3 webhooks.

Both authenticate by the provider's signature with a secret stored in the channel's config
(Slack `signing_secret`, PagerDuty `webhook_secret`) and acknowledge through the alerts app's
own service, so the acknowledgment is recorded, published and stops escalations exactly like one
from the portal. A Slack user is not mapped to an account here (ChatOps owns that mapping); the
acknowledgment is recorded without a user, and messages name the Slack user.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from slack_sdk.signature import SignatureVerifier

from apps.alerts.choices import ActionSource, AlertStatus
from apps.alerts.models import Alert
from apps.alerts.services import AlertActionError, alert_acknowledge

from .messages import ACK_ACTION
from .models import NotificationChannel, NotificationSubject, NotificationThread

logger = logging.getLogger(__name__)


def _acknowledge_subject(subject: NotificationSubject, *, who: str, source: str) -> int:
    """Acknowledge the alert (or every open alert of the incident) behind a subject."""
    NotificationSubject.objects.filter(pk=subject.pk).update(context={**subject.context, "ack_hint": who})
    if subject.kind == "alert":
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
    channel = get_object_or_404(NotificationChannel, pk=channel_id, kind="slack")
    secret = (channel.config or {}).get("signing_secret")
    verifier = SignatureVerifier(secret) if secret else None
    if verifier is None or not verifier.is_valid(
        request.body,
        request.headers.get("X-Slack-Request-Timestamp"),
        request.headers.get("X-Slack-Signature"),
    ):
        return HttpResponseForbidden("bad signature")
    try:
        payload = json.loads(request.POST.get("payload", ""))
    except ValueError:
        return HttpResponse("payload is not JSON", status=400)
    user = payload.get("user") or {}
    who = "@" + str(user.get("username") or user.get("name") or user.get("id") or "slack")
    for action in payload.get("actions") or []:
        if action.get("action_id") != ACK_ACTION:
            continue
        subject = NotificationSubject.objects.filter(
            organization_id=channel.organization_id, key=str(action.get("value", ""))
        ).first()
        if subject is not None:
            _acknowledge_subject(subject, who=f"{who} (Slack)", source=ActionSource.CHAT)
    return HttpResponse(status=200)  # the message itself is edited by the acknowledgment's update


def _pagerduty_signature_ok(secret: str, body: bytes, header: str) -> bool:
    expected = "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, part.strip()) for part in (header or "").split(","))


@csrf_exempt
@require_POST
def pagerduty_webhook(request, channel_id: int):
    channel = get_object_or_404(NotificationChannel, pk=channel_id, kind="pagerduty")
    secret = (channel.config or {}).get("webhook_secret")
    if not secret or not _pagerduty_signature_ok(
        secret, request.body, request.headers.get("X-PagerDuty-Signature")
    ):
        return HttpResponseForbidden("bad signature")
    try:
        event = json.loads(request.body)["event"]
    except (ValueError, KeyError, TypeError):
        return HttpResponse("not a PagerDuty v3 webhook", status=400)
    kind = event.get("event_type", "")
    if kind not in ("incident.acknowledged", "incident.resolved"):
        return JsonResponse({"ignored": kind})
    dedup_key = (event.get("data") or {}).get("incident_key") or ""
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
    agent = (event.get("agent") or {}).get("summary") or "PagerDuty"
    count = _acknowledge_subject(thread.subject, who=f"{agent} (PagerDuty)", source=ActionSource.INTEGRATION)
    logger.info(
        "pagerduty acknowledgment", extra={"channel": channel.pk, "alerts": count, "at": int(time.time())}
    )
    return JsonResponse({"acknowledged": count})
