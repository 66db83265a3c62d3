"""Messages to one person through their own notification methods (apps.oncall.ContactMethod).

Each method goes out through an enabled organisation channel of its kind, addressed to the
person when it is sent (`dispatch.addressed`): e-mail through an e-mail channel's SMTP server to
the method's address, a Slack direct message through a Slack channel with a bot token (posting
to the member ID opens the DM), a personal webhook through a webhook channel (its method,
template and signature) to the method's URL, a PagerDuty user routing key through a PagerDuty
channel (its Events API URL and severity map; the trigger's routing key is the person's). The
delivery row keeps the method's id, never its address, URL or key. A person without methods is
written to at their account's e-mail address.
"""
from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from ..choices import ChannelKind
from ..models import NotificationChannel
from ..providers import ProviderError
from .outbox import EventRef, queue_delivery


def transport(organization_id: int, kind: str, preferred=()) -> NotificationChannel | None:
    """The channel a personal method of `kind` is sent through: one of `preferred` (the paging
    level's channels) first, then an organisation-wide one, then any of the organisation's."""
    candidates = [c for c in NotificationChannel.objects.filter(organization_id=organization_id, kind=kind,
                                                                enabled=True).order_by("pk")
                  if kind != ChannelKind.SLACK or c.config.get("token")]
    preferred = {getattr(c, "pk", c) for c in preferred}
    candidates.sort(key=lambda c: (c.pk not in preferred, c.team_id is not None))
    return candidates[0] if candidates else None


def queue_personal(*, organization_id: int, person: dict, event: EventRef, kind: str, now: datetime,
                   data: dict, severity: str | None = None, preferred=(), skip_emails=(), dedup: str = "",
                   **fields) -> list[str]:
    """Queue a delivery per method of `person` ({"user_id", "name", "email"}); returns what was queued
    ("email", "slack", ...) for the reason line. `dedup` makes a redelivered decision write nothing twice."""
    from apps.oncall.selectors import contact_methods

    methods = contact_methods(organization_id=organization_id, user_id=person["user_id"], severity=severity)
    if not methods and person.get("email"):
        methods = [{"id": None, "kind": ChannelKind.EMAIL, "target": person["email"]}]
    done = []
    skip = {e.lower() for e in skip_emails if e}
    for method in methods:
        if method["kind"] == ChannelKind.EMAIL and method["target"].lower() in skip:
            continue  # the level's e-mail channel already writes to this address
        channel = transport(organization_id, method["kind"], preferred)
        if channel is None:
            continue
        recipient = {"user_id": person["user_id"], "name": person.get("name", ""), "method_id": method["id"],
                     "method_kind": method["kind"]}
        if method["kind"] == ChannelKind.EMAIL:
            recipient["email"] = method["target"]
        if queue_delivery(organization_id=organization_id, event=event, kind=kind, now=now, channel=channel,
                          data={**data, "recipient": recipient}, dedup_key=(
                              f"{dedup}:{method['id'] or 'account'}"[:200] if dedup else None), **fields):
            done.append(method["kind"])
    return done


def personal_config(delivery, config: dict) -> dict:
    """The channel's config addressed to the delivery's person (see the module docstring)."""
    recipient = (delivery.data or {}).get("recipient") or {}
    kind = delivery.channel.kind
    if recipient.get("method_id"):
        from apps.oncall.selectors import contact_method

        method = contact_method(organization_id=delivery.organization_id, method_id=recipient["method_id"])
        if method is None or method["kind"] != kind:
            # Removed or disabled since: the send fails, nobody else is written to.
            raise ProviderError(_("the person's notification method was removed or disabled"), transient=False)
        if kind == ChannelKind.SLACK:
            return {**config, "channel": method["target"]}
        if kind == ChannelKind.WEBHOOK:
            return {**config, "url": method["target"]}
        if kind == ChannelKind.PAGERDUTY:
            return {**config, "routing_key": method["target"]}
        return {**config, "to_addresses": [method["target"]]}
    if recipient.get("email") and kind == ChannelKind.EMAIL:
        return {**config, "to_addresses": [recipient["email"]]}
    return config
