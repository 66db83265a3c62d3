"""Predictive and anomaly alerts enter the normal alert path through an internal integration.

`ingest_alerts` is the same service the Alertmanager webhook calls, so dedup by fingerprint,
incidents, notifications, analysis and SLAs treat a predictive alert like any other; the labels
mark it `kind=predictive` (or `anomaly`) and the annotations carry ETA, band and model.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from django.utils import timezone

from apps.alerts import ingest
from apps.alerts.models import Alert, Integration
from apps.alerts.payloads import IncomingAlert

INTERNAL_NAME = "Predictions (internal)"
INSTANCE_KEYS = ("instance", "host", "hostname", "node", "pod")


def internal_integration(organization_id: int) -> Integration:
    integration = Integration.objects.filter(organization_id=organization_id, name=INTERNAL_NAME).first()
    if integration is None:
        from apps.tenancy.models import Organization

        integration = ingest.integration_create(organization=Organization.objects.get(pk=organization_id),
                                                name=INTERNAL_NAME, kind="generic", enabled=True)
    return integration


def fingerprint(*parts) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:16]


def instance_of(labels: dict) -> str:
    for key in INSTANCE_KEYS:
        if labels.get(key):
            return str(labels[key])
    return ""


def send(*, organization_id: int, fp: str, labels: dict, annotations: dict, starts_at: datetime,
         firing: bool) -> Alert | None:
    """Fire (or resolve) one internal alert; returns the stored alert row."""
    integration = internal_integration(organization_id)
    now = timezone.now()
    incoming = IncomingAlert(status="firing" if firing else "resolved",
                             labels={k: str(v) for k, v in labels.items()},
                             annotations={k: str(v) for k, v in annotations.items()},
                             starts_at=starts_at, ends_at=None if firing else now, generator_url="", fingerprint=fp)
    body = {"source": "predictions", "alerts": [{"fingerprint": fp, "status": incoming.status,
                                                 "labels": incoming.labels, "annotations": incoming.annotations}]}
    ingest.ingest_alerts(integration=integration, alerts=[incoming], group={"group_key": f"predictions:{fp}"},
                         raw_body=body, received_at=now)
    return Alert.objects.filter(integration=integration, fingerprint=fp, starts_at=starts_at).first()
