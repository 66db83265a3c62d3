"""Alertmanager webhook bodies (version 4) for storms, shared by the tests and the benchmark."""

import json
import uuid
from datetime import UTC, datetime


def alertmanager_storm(
    count: int,
    *,
    starts_at: datetime | None = None,
    alertname: str = "HighErrorRate",
    service=lambda i: f"svc-{i}",
    summary=lambda i: f"error ratio high on instance {i}",
) -> bytes:
    """`count` firing critical alerts in one notification, each with its own fingerprint."""
    started = (starts_at or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
    batch = uuid.uuid4().hex[:10]
    alerts = [
        {
            "status": "firing",
            "labels": {
                "alertname": alertname,
                "service": service(i),
                "instance": f"{batch}-{i}:8080",
                "severity": "critical",
                "env": "production",
            },
            "annotations": {"summary": summary(i)},
            "startsAt": started,
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph",
            "fingerprint": f"{batch}{i:06x}",
        }
        for i in range(count)
    ]
    return json.dumps(
        {
            "version": "4",
            "status": "firing",
            "receiver": "aiops",
            "groupKey": f"{{}}:{batch}",
            "alerts": alerts,
            "groupLabels": {},
            "commonLabels": {},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager:9093",
            "truncatedAlerts": 0,
        }
    ).encode()
