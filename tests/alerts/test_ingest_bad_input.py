"""Every bad webhook gets a clear 4xx JSON error and leaves stored alerts exactly as they were."""
import base64
import json

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.alerts.models import Alert, RawPayload
from tests.alerts.factories import IntegrationFactory
from tests.alerts.test_ingest import contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def integration(org_a):
    return IntegrationFactory(organization=org_a)


@pytest.fixture
def stored(client, integration):
    """One alert already stored, and a snapshot to prove bad requests never touch it."""
    url = reverse("alertmanager-hook", kwargs={"token": integration.token})
    assert client.post(url, data=json.dumps(contract("firing.json")), content_type="application/json").status_code == 202
    snapshot = lambda: list(Alert.objects.values())  # noqa: E731
    return snapshot, snapshot(), RawPayload.objects.count()


def hook(integration, kind="alertmanager"):
    return reverse(f"{'alertmanager' if kind == 'alertmanager' else 'generic-alert'}-hook",
                   kwargs={"token": integration.token})


def assert_refused(response, status, code, stored):
    snapshot, before, payloads = stored
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert snapshot() == before
    assert RawPayload.objects.count() == payloads
    return error


def with_alert(**changes):
    body = contract("firing.json")
    body["alerts"][0].update(changes)
    return body


BAD_BODIES = [
    ("not json", b"{not json", "body"),
    ("latin-1", "é".encode("latin-1"), "body"),
    ("array", b"[]", "body"),
    ("no alerts", json.dumps({"version": "4"}).encode(), "alerts"),
    ("alerts not list", json.dumps({"alerts": {"a": 1}}).encode(), "alerts"),
    ("alert not object", json.dumps({"alerts": ["x"]}).encode(), "alerts[0]"),
    ("bad status", json.dumps(with_alert(status="exploded")).encode(), "alerts[0].status"),
    ("labels not object", json.dumps(with_alert(labels=["a"])).encode(), "alerts[0].labels"),
    ("no alertname", json.dumps(with_alert(labels={"job": "x"})).encode(), "alerts[0].labels.alertname"),
    ("label not string", json.dumps(with_alert(labels={"alertname": "X", "n": {"deep": 1}})).encode(), "alerts[0].labels.n"),
    ("bad time", json.dumps(with_alert(startsAt="yesterday")).encode(), "alerts[0].startsAt"),
    ("naive time", json.dumps(with_alert(startsAt="2026-11-22T10:00:00")).encode(), "alerts[0].startsAt"),
    ("time not string", json.dumps(with_alert(startsAt=12345)).encode(), "alerts[0].startsAt"),
    ("no start", json.dumps({"alerts": [{"status": "firing", "labels": {"alertname": "X"}}]}).encode(), "alerts[0].startsAt"),
    ("wrong version", json.dumps({**contract("firing.json"), "version": "3"}).encode(), "version"),
    ("long fingerprint", json.dumps(with_alert(fingerprint="f" * 65)).encode(), "alerts[0].fingerprint"),
]


@pytest.mark.parametrize("name,body,field", BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_invalid_bodies_name_the_field(client, integration, stored, name, body, field):
    response = client.post(hook(integration), data=body, content_type="application/json")
    error = assert_refused(response, 400, "invalid_payload", stored)
    assert field in error["fields"], error


def test_one_bad_alert_rejects_the_whole_batch(client, integration, stored):
    body = contract("firing.json")
    good = dict(body["alerts"][0], fingerprint="aaaa000000000000")
    body["alerts"] = [good, dict(good, status="weird")]
    assert_refused(client.post(hook(integration), data=json.dumps(body), content_type="application/json"),
                   400, "invalid_payload", stored)


def test_oversized_body_is_413(client, integration, stored, settings):
    settings.ALERTS_MAX_BODY_BYTES = 1024
    body = contract("firing.json")
    body["alerts"][0]["annotations"]["description"] = "x" * 2048
    assert_refused(client.post(hook(integration), data=json.dumps(body), content_type="application/json"),
                   413, "payload_too_large", stored)


def test_unknown_token_is_404(client, stored):
    url = reverse("alertmanager-hook", kwargs={"token": "no-such-token"})
    assert_refused(client.post(url, data=b"{}", content_type="application/json"), 404, "unknown_integration", stored)


def test_disabled_integration_is_403(client, integration, stored):
    integration.enabled = False
    integration.save()
    assert_refused(client.post(hook(integration), data=json.dumps(contract("firing.json")),
                               content_type="application/json"), 403, "integration_disabled", stored)


def test_wrong_kind_is_400(client, integration, stored):
    url = reverse("generic-alert-hook", kwargs={"token": integration.token})
    assert_refused(client.post(url, data=b"{}", content_type="application/json"), 400, "wrong_kind", stored)


def test_get_is_405(client, integration, stored):
    assert_refused(client.get(hook(integration)), 405, "method_not_allowed", stored)


def test_wrong_content_type_is_415(client, integration, stored):
    assert_refused(client.post(hook(integration), data="a=b", content_type="application/x-www-form-urlencoded"),
                   415, "unsupported_media_type", stored)


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic Zm9vOmJhcg==", "Bearer", "Bearer right extra"])
def test_bearer_auth_refusals_are_401(client, integration, stored, header):
    integration.auth_type, integration.auth_secret = "bearer", "right"
    integration.save()
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.post(hook(integration), data=json.dumps(contract("firing.json")),
                           content_type="application/json", **extra)
    assert_refused(response, 401, "unauthorized", stored)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_basic_auth(client, integration, stored):
    integration.auth_type, integration.auth_username, integration.auth_secret = "basic", "am", "pw"
    integration.save()
    body = json.dumps(contract("resolved.json"))
    wrong = "Basic " + base64.b64encode(b"am:nope").decode()
    assert_refused(client.post(hook(integration), data=body, content_type="application/json",
                               HTTP_AUTHORIZATION=wrong), 401, "unauthorized", stored)
    assert_refused(client.post(hook(integration), data=body, content_type="application/json",
                               HTTP_AUTHORIZATION="Basic !!!notbase64"), 401, "unauthorized", stored)
    right = "Basic " + base64.b64encode(b"am:pw").decode()
    assert client.post(hook(integration), data=body, content_type="application/json",
                       HTTP_AUTHORIZATION=right).status_code == 202


def test_rate_limit_is_429_with_retry_after_per_integration(client, org_a, stored):
    from django.core.cache import cache

    cache.clear()
    limited = IntegrationFactory(organization=org_a, rate_limit_per_minute=2)
    body = json.dumps(contract("firing.json"))
    codes = [client.post(hook(limited), data=body, content_type="application/json").status_code for _ in range(2)]
    assert codes == [202, 202]
    # The limit counts per fixed minute: a window that rolls over mid-test starts again at 2.
    for _ in range(3):
        response = client.post(hook(limited), data=body, content_type="application/json")
        if response.status_code == 429:
            break
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "rate_limited"
    other = IntegrationFactory(organization=org_a, rate_limit_per_minute=2)
    assert client.post(hook(other), data=body, content_type="application/json").status_code == 202


def test_organisation_rate_limit(client, org_a, settings):
    from django.core.cache import cache

    cache.clear()
    settings.ALERTS_ORGANIZATION_RATE_LIMIT = 1
    body = json.dumps(contract("firing.json"))
    first, second = IntegrationFactory(organization=org_a), IntegrationFactory(organization=org_a)
    assert client.post(hook(first), data=body, content_type="application/json").status_code == 202
    assert client.post(hook(second), data=body, content_type="application/json").status_code == 429


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(alert=st.dictionaries(st.sampled_from(["status", "labels", "annotations", "startsAt", "endsAt",
                                              "generatorURL", "fingerprint"]), json_values, max_size=7),
       top=st.dictionaries(st.sampled_from(["version", "groupKey", "receiver"]), json_values, max_size=3))
def test_arbitrary_json_never_500s(client, integration, alert, top):
    body = json.dumps({**top, "alerts": [alert]})
    response = client.post(hook(integration), data=body, content_type="application/json")
    assert response.status_code in (202, 400), response.content
    if response.status_code == 400:
        assert response.json()["error"]["fields"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=300))
def test_arbitrary_bytes_never_500(client, integration, raw):
    response = client.post(hook(integration), data=raw, content_type="application/json")
    assert response.status_code in (202, 400)
