"""Demo data: one clearly labelled demo Loki source (a loopback URL nothing listens on) and one context.

The demo context is a stored example so the alert page shows the panel without a real Loki; the
source's name and `config.demo` say it is a demo, and Test connection against it fails honestly.
"""

from __future__ import annotations

from django.utils import timezone

from .choices import ContextStatus, SourceKind
from .mining.events import fold_events
from .mining.patterns import mine
from .models import AlertLogContext, LogSource

DEMO_NAME = "Demo Loki (loopback, not a real log source)"
DEMO_LINES = [
    "2024-05-01T14:32:10Z ERROR [PaymentProcessor] java.lang.OutOfMemoryError: Java heap space",
    "\tat com.shop.PaymentProcessor.processPayment(PaymentProcessor.java:234)",
    "\tat com.shop.PaymentService.handle(PaymentService.java:89)",
    "2024-05-01T14:32:15Z ERROR [PaymentProcessor] java.lang.OutOfMemoryError: Java heap space",
    "\tat com.shop.PaymentProcessor.processPayment(PaymentProcessor.java:234)",
    "2024-05-01T14:32:18Z WARN  [DatabasePool] Connection timeout after 30s to db-1:5432",
    "2024-05-01T14:32:19Z WARN  [DatabasePool] Connection timeout after 30s to db-2:5432",
]


def seed(org, users) -> None:
    source, _created = LogSource.objects.get_or_create(
        organization=org, name=DEMO_NAME,
        defaults={"kind": SourceKind.LOKI, "url": "http://127.0.0.1:3100", "is_default": False,
                  "config": {"demo": True}, "field_mapping": {"instance": "instance", "job": "job"}},
    )
    from apps.alerts.models import Alert

    alert = Alert.objects.filter(organization=org).order_by("-starts_at").first()
    if alert is None or AlertLogContext.objects.filter(alert=alert, source=source).exists():
        return
    events = fold_events([(None, line, {}) for line in DEMO_LINES])
    patterns, levels = mine(events)
    AlertLogContext.objects.create(
        organization=org, alert=alert, source=source, status=ContextStatus.OK,
        query_used='{instance="web-1", job="payment-api"} |~ "(?i)(error|exception|fatal)"  # demo data',
        window_start=alert.starts_at, window_end=alert.starts_at, entries=len(events), level_counts=levels,
        patterns=[p.as_dict() for p in patterns], queried_at=timezone.now(),
        key_lines=[{"at": "", "level": "error", "line": e.line} for e in events[:4]],
    )
