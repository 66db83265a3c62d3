"""Demo data for `make run`: a demo Alertmanager integration and the brief's network-switch storm.

The storm goes through the real ingestion service, so the worker correlates, analyses and
records it exactly as it would live traffic. Runs once: a second `seed_demo` changes nothing.
"""
from datetime import timedelta

from django.utils import timezone

from .ingest import ingest_alerts, integration_create
from .models import Integration
from .payloads import IncomingAlert, label_fingerprint

DEMO_INTEGRATION = "Prometheus Alertmanager (demo)"

# (service, alertname, seconds after the switch failed, severity, summary)
SWITCH_STORM = (
    [("database", "DatabaseConnectionTimeout", 5 + i, "critical", f"app-{i} cannot reach postgres-primary:5432")
     for i in range(5)]
    + [("api-gateway", "APIResponseTimeHigh", 12 + 3 * i, "warning", "p99 latency above 2s") for i in range(3)]
    + [("cache", "CacheUnreachable", 20 + 4 * i, "critical", "redis-main not answering") for i in range(2)]
    + [("web", "HealthCheckFailed", 60, "warning", "/healthz failing"),
       ("api-gateway", "HealthCheckFailed", 70, "warning", "/healthz failing"),
       ("payment", "HealthCheckFailed", 80, "warning", "/healthz failing"),
       ("user-service", "HealthCheckFailed", 90, "warning", "/healthz failing")]
)


def seed(organization, users) -> None:
    if Integration.objects.filter(organization=organization, name=DEMO_INTEGRATION).exists():
        return
    integration = integration_create(organization=organization, name=DEMO_INTEGRATION, created_by=users.get("admin"))
    failed_at = timezone.now() - timedelta(minutes=10)
    alerts = []
    for index, (service, name, offset, severity, summary) in enumerate(SWITCH_STORM):
        labels = {"alertname": name, "service": service, "severity": severity, "env": "production",
                  "instance": f"{service}-{index}:9100", "job": service}
        alerts.append(IncomingAlert(
            status="firing", labels=labels, annotations={"summary": summary, "description": f"{name} on {service}"},
            starts_at=failed_at + timedelta(seconds=offset), ends_at=None,
            generator_url="http://prometheus.example:9090/graph", fingerprint=label_fingerprint(labels),
        ))
    ingest_alerts(integration=integration, alerts=alerts, group={"group_key": "{}:{demo=\"network-switch\"}"},
                  raw_body={"demo": "network-switch storm", "alerts": len(alerts)})
