"""Fixtures for change tracking: sources of each kind, signed GitHub deliveries, the event bus observed."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from pathlib import Path

import pytest
from django.urls import reverse

from tests.alerts.factories import IntegrationFactory
from tests.changes.factories import ChangeSourceFactory

PAYLOADS = Path(__file__).parent / "payloads"
GITHUB_SECRET = "It's a Secret to Everybody"


def payload(name: str) -> dict:
    """A delivery body shaped like the sender's documented example (see payloads/README.md)."""
    return copy.deepcopy(json.loads((PAYLOADS / name).read_text()))


def github_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def hook_url(source) -> str:
    return reverse("changes-hook", kwargs={"token": source.token})


def post_change(client, source, body, *, headers: dict | None = None, content_type: str = "application/json"):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(hook_url(source), data=data, content_type=content_type, **(headers or {}))


def post_github(client, source, event: str, body, *, secret: str | None = GITHUB_SECRET, signature: str | None = None):
    raw = json.dumps(body).encode()
    headers = {"HTTP_X_GITHUB_EVENT": event, "HTTP_X_GITHUB_DELIVERY": "72d3162e-cc78-11e3-81ab-4c9367dc0958"}
    if signature is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    elif secret is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = github_signature(secret, raw)
    return client.post(hook_url(source), data=raw, content_type="application/json", **headers)


def alertmanager_body(
    *,
    starts_at: str,
    service: str = "payment-api",
    env: str = "production",
    name: str = "HighErrorRate",
    fingerprint: str = "084c4db540a0fab3",
    extra_labels=None,
) -> dict:
    """An Alertmanager v4 notification (the captured contract's shape) for one firing alert."""
    body = json.loads((Path(__file__).parents[1] / "alerts" / "contracts" / "firing.json").read_text())
    labels = {
        "alertname": name,
        "env": env,
        "service": service,
        "severity": "critical",
        "instance": f"{service}-1:8080",
        **(extra_labels or {}),
    }
    body["alerts"][0].update({"labels": labels, "startsAt": starts_at, "fingerprint": fingerprint})
    body["commonLabels"] = labels
    return body


def post_alert(client, integration, body):
    url = reverse("alertmanager-hook", kwargs={"token": integration.token})
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def generic_source(org_a):
    return ChangeSourceFactory(organization=org_a, kind="generic")


@pytest.fixture
def github_source(org_a):
    return ChangeSourceFactory(organization=org_a, kind="github", secret=GITHUB_SECRET)


@pytest.fixture
def integration(org_a):
    return IntegrationFactory(organization=org_a)


@pytest.fixture
def received(dispatched_events):
    """Events dispatched after commit, in order (the real bus, observed at its dispatch point)."""
    return dispatched_events


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run on-commit callbacks (event fan-out, eager Celery tasks) inside a non-transactional test."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
