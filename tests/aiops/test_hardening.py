"""Regression tests for issue #15's findings: each one a 4xx (or a mask) where it was a 500 or a leak."""
import json
import logging
import uuid

import pytest
from django.test import override_settings
from django.urls import reverse

from aiops import http, webhooks
from aiops.logging import RedactSecretsFilter
from aiops.redaction import redact_text, redact_url

# A fresh client address per run: the throttles count per address in the (shared) cache.
ADDRESS = f"198.51.100.{uuid.uuid4().int % 250}:{uuid.uuid4().hex[:6]}"


@pytest.mark.parametrize("text,path", [
    ('{"a": "\\u0000"}', "a"),
    ('{"alerts": [{"labels": {"x": "\\ud800"}}]}', "alerts[0].labels.x"),
    ('{"a": NaN}', "a"),
    ('{"a": [1, Infinity]}', "a[1]"),
    ('{"d": 1e400}', "d"),
    ('{"n": ' + "9" * 5000 + "}", "n"),
    ('{"n": 9223372036854775808}', "n"),
    ('{"\\u0000k": 1}', "\\x00k"),
])
def test_parse_json_refuses_what_storage_cannot_take_and_names_the_path(text, path):
    with pytest.raises(webhooks.InvalidJSON) as caught:
        webhooks.parse_json(text.encode())
    assert caught.value.status == 400
    if path != "\\x00k":
        assert path in caught.value.fields, caught.value.fields


def test_parse_json_limits_depth_without_recursion_errors():
    for depth in (webhooks.MAX_DEPTH + 1, 500, 100_000):
        with pytest.raises(webhooks.InvalidJSON):
            webhooks.parse_json(("[" * depth + "]" * depth).encode())
    assert webhooks.parse_json(b'{"a": [1, 2.5, "\\u00e9", true, null]}') == {"a": [1, 2.5, "é", True, None]}
    assert webhooks.parse_json(b"[" * 10 + b"]" * 10)  # shallow nesting is fine


def test_headers_and_secrets_never_raise(rf):
    request = rf.post("/", HTTP_AUTHORIZATION="Bearer \u00e9\u00ff", HTTP_X_SIG="\u0100")
    assert webhooks.bearer_token(request) == "\u00e9\u00ff"
    assert webhooks.secret_matches(webhooks.bearer_token(request), "secret") is False
    assert webhooks.secret_matches("", "") is False
    assert webhooks.secret_matches("s\ud800", "s") is False
    assert webhooks.basic_credentials(rf.post("/", HTTP_AUTHORIZATION="Basic \u00e9==")) is None
    assert webhooks.header(request, "X-Missing") == ""


def test_year_9999_is_refused_where_it_enters():
    from apps.alerts.payloads import PayloadError, parse_alertmanager

    body = {"alerts": [{"status": "firing", "labels": {"alertname": "x"}, "startsAt": "9999-12-31T23:59:59Z"}]}
    with pytest.raises(PayloadError) as caught:
        parse_alertmanager(body)
    assert "alerts[0].startsAt" in caught.value.errors


@pytest.mark.django_db
@pytest.mark.parametrize("raw", [b'{"alerts": [{"labels": {"a": "\\u0000"}}]}', b'{"alerts": NaN}',
                                 b'{"version": "4", "alerts": [{"labels": {"a": "\\ud800"}}]}'])
def test_alert_webhook_answers_400_and_stores_nothing(client, org_a, raw):
    from apps.alerts.models import Alert, RawPayload
    from tests.alerts.factories import IntegrationFactory

    integration = IntegrationFactory(organization=org_a)
    response = client.post(reverse("alertmanager-hook", kwargs={"token": integration.token}), data=raw,
                           content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_payload"
    assert not Alert.objects.exists() and not RawPayload.objects.exists()


@pytest.mark.django_db
def test_non_ascii_authorization_on_a_bearer_integration_is_a_401(client, org_a):
    from tests.alerts.factories import IntegrationFactory

    integration = IntegrationFactory(organization=org_a, auth_type="bearer", auth_secret="s3cret")
    response = client.post(reverse("alertmanager-hook", kwargs={"token": integration.token}), data=b"{}",
                           content_type="application/json", HTTP_AUTHORIZATION="Bearer \u00e9t\u00e9")
    assert response.status_code == 401


@pytest.mark.django_db
def test_change_webhook_refuses_huge_duration_and_deep_metadata(client, org_a):
    from apps.changes.models import ChangeEvent
    from tests.changes.factories import ChangeSourceFactory

    source = ChangeSourceFactory(organization=org_a)
    url = reverse("changes-hook", kwargs={"token": source.token})
    base = {"event_type": "deployment", "service": "api", "timestamp": "2026-01-01T00:00:00Z"}
    for body in ({**base, "duration_seconds": 10**18}, {**base, "duration_seconds": 1e300}):
        response = client.post(url, data=json.dumps(body), content_type="application/json")
        assert response.status_code == 400, response.content
    deep = json.dumps({**base, "metadata": {}}).replace('"metadata": {}', '"metadata": ' + "[" * 500 + "]" * 500)
    assert client.post(url, data=deep, content_type="application/json").status_code == 400
    assert not ChangeEvent.objects.exists()


@pytest.mark.django_db
def test_slack_and_pagerduty_callbacks_with_malformed_headers_are_4xx(client, org_a):
    from tests.notifications.factories import HOOK_CASES

    for name in ("slack-interaction", "pagerduty-webhook"):
        target = HOOK_CASES[name](org_a)
        for headers in ({"HTTP_X_SLACK_REQUEST_TIMESTAMP": "not-a-number", "HTTP_X_SLACK_SIGNATURE": "v0=zz"},
                        {"HTTP_X_PAGERDUTY_SIGNATURE": "\u00e9"}, {}):
            response = client.post(target.url, data=b"payload=%7B%7D", content_type=target.content_type, **headers)
            assert 400 <= response.status_code < 500, (name, headers, response.status_code)
        raw = target.encode('{"event": "not an object", "actions": "nope"}')
        response = client.post(target.url, data=raw, content_type=target.content_type, **target.headers(raw))
        assert 200 <= response.status_code < 500, (name, response.status_code)


# --- API ---------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_options_answers_on_api_routes(org_a, users_a, api_client_for):
    client = api_client_for(users_a["viewer"], org_a)
    assert client.options(reverse("alert-list")).status_code == 200
    assert client.options("/api/v1/incidents/").status_code == 200


@pytest.mark.django_db
def test_unknown_api_path_is_a_json_404(org_a, users_a, api_client_for):
    response = api_client_for(users_a["viewer"], org_a).get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_duplicate_team_slug_is_a_409_and_deep_json_a_400(org_a, users_a, api_client_for):
    client = api_client_for(users_a["owner"], org_a)
    assert client.post("/api/v1/teams/", {"name": "Ops", "slug": "ops"}, format="json").status_code == 201
    duplicate = client.post("/api/v1/teams/", {"name": "Ops 2", "slug": "ops"}, format="json")
    assert duplicate.status_code in (400, 409), duplicate.content
    assert "error" in duplicate.json()
    deep = "[" * 5000 + "]" * 5000
    response = client.post("/api/v1/teams/", data=deep, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.django_db
def test_service_validation_and_refusals_map_to_400_and_409(rf):
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError

    from aiops.api.errors import exception_handler
    from aiops.exceptions import ActionRefused

    context = {"view": None, "request": None}
    invalid = exception_handler(ValidationError({"config.url": ["bad"]}), context)
    assert invalid.status_code == 400 and invalid.data["error"]["fields"] == {"config.url": ["bad"]}
    refused = exception_handler(ActionRefused("already resolved", code="invalid_state"), context)
    assert refused.status_code == 409 and refused.data["error"]["code"] == "invalid_state"
    conflict = exception_handler(IntegrityError('duplicate key; Failing row contains (secret)'), context)
    assert conflict.status_code == 409 and "Failing row" not in json.dumps(conflict.data)


@pytest.mark.django_db
def test_api_filter_foreign_and_missing_ids_answer_the_same(org_a, org_b, users_a, api_client_for):
    from tests.tenancy.factories import TeamFactory

    team_b = TeamFactory(organization=org_b)
    client = api_client_for(users_a["owner"], org_a)
    foreign = client.get("/api/v1/alerts/", {"team": team_b.pk})
    missing = client.get("/api/v1/alerts/", {"team": 987654321})
    assert foreign.status_code == missing.status_code == 400, (foreign.content, missing.content)


# --- secrets, abuse controls -------------------------------------------------------------------------

def test_urls_and_hook_tokens_are_redacted():
    assert redact_url("https://user:pw@hooks.example.com/x?y=1") == "https://user:***@hooks.example.com/x?y=1"
    assert redact_url("https://hooks.example.com/x") == "https://hooks.example.com/x"
    assert redact_text('"POST /hooks/alertmanager/AbCdEf0123456789xyz/ HTTP/1.1" 202') == \
        '"POST /hooks/alertmanager/***/ HTTP/1.1" 202'
    record = logging.LogRecord("django.server", logging.INFO, "", 0, '"%s" %s',
                               ("POST /hooks/changes/AbCdEf0123456789xyz/ HTTP/1.1", 202), None)
    RedactSecretsFilter().filter(record)
    assert "AbCdEf0123456789xyz" not in record.getMessage()


@pytest.mark.django_db
def test_channel_summary_masks_url_credentials(org_a, users_a, api_client_for):
    from tests.notifications.factories import NotificationChannelFactory

    channel = NotificationChannelFactory(organization=org_a, kind="webhook",
                                         config={"url": "https://bob:hunter2@hooks.example.com/in"})
    response = api_client_for(users_a["viewer"], org_a).get(f"/api/v1/notifications/channels/{channel.pk}/")
    assert response.status_code == 200, response.content
    assert "hunter2" not in response.content.decode()
    assert "bob:***@hooks.example.com" in response.json()["summary"]


@pytest.mark.django_db
@override_settings(AIOPS_LOGIN_MAX_FAILURES=3)
def test_failed_logins_lock_the_name_from_that_address(client, users_a):
    user = users_a["viewer"]
    user.set_password("right-password")
    user.save()
    for _ in range(3):
        response = client.post(reverse("login"), {"username": user.username, "password": "wrong"},
                               REMOTE_ADDR=ADDRESS)
        assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated
    locked = client.post(reverse("login"), {"username": user.username, "password": "right-password"},
                         REMOTE_ADDR=ADDRESS)
    assert "Too many failed sign-ins" in locked.content.decode()
    assert not locked.wsgi_request.user.is_authenticated
    other = client.post(reverse("login"), {"username": user.username, "password": "right-password"},
                        REMOTE_ADDR=f"{ADDRESS}1")
    assert other.status_code == 302  # another address is not locked out by this one


@pytest.mark.django_db
@override_settings(AIOPS_API_AUTH_MAX_FAILURES=3)
def test_failed_api_authentication_is_throttled(client):
    codes = [client.get("/api/v1/alerts/", HTTP_AUTHORIZATION="Bearer aiops_nope_nope",
                        REMOTE_ADDR=f"{ADDRESS}2").status_code for _ in range(5)]
    assert codes[:3] == [401, 401, 401] and codes[-1] == 429, codes


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy(client):
    response = client.get(reverse("login"))
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_outbound_deny_list_refuses_private_ranges_only_when_enabled():
    with override_settings(OUTBOUND_HTTP_DENY_PRIVATE=True):
        with pytest.raises(http.OutboundError, match="private address"):
            http.request("GET", "http://127.0.0.1:9/", retries=0, timeout=1)
        with pytest.raises(http.OutboundError, match="private address"):
            http.check_target("http://169.254.169.254/latest/meta-data/")
        with override_settings(OUTBOUND_HTTP_ALLOW_HOSTS=["127.0.0.1"]):
            http.check_target("http://127.0.0.1:9/")
    http.check_target("http://127.0.0.1:9/")  # default: allow
