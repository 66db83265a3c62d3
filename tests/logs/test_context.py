"""Alert log context end to end: the subscriber, storm de-duplication, failures recorded, the AI block,
the alert page's panel, the API and the `logs patterns` command — against a loopback Loki."""

from __future__ import annotations

import csv
import io
import json
import threading

import pytest
from django.core.management import call_command
from django.urls import reverse

from aiops import events
from apps.alerts.summary import alert_summary
from apps.analysis import offline
from apps.analysis.context import assemble, render_prompt
from apps.analysis.subjects import Subject
from apps.logs import services, tasks
from apps.logs.models import AlertLogContext, LogSource
from tests.alerts.factories import AlertFactory
from tests.logs.conftest import LokiStub, assert_loki_request, at, is_baseline, loki_streams
from tests.logs.factories import LogSourceFactory

pytestmark = pytest.mark.django_db

LINES = [
    (at(31, 0), "2026-05-01T14:31:00Z ERROR [PaymentProcessor] java.lang.OutOfMemoryError: Java heap space\n"
                "\tat com.shop.PaymentProcessor.processPayment(PaymentProcessor.java:234)\n"
                "\tat com.shop.PaymentService.handle(PaymentService.java:89)"),
    (at(31, 5), "2026-05-01T14:31:05Z ERROR [PaymentProcessor] java.lang.OutOfMemoryError: Java heap space\n"
                "\tat com.shop.PaymentProcessor.processPayment(PaymentProcessor.java:234)"),
    (at(31, 9), "2026-05-01T14:31:09Z WARN  [DatabasePool] Connection timeout after 30s to db-1:5432"),
    (at(31, 12), "2026-05-01T14:31:12Z WARN  [DatabasePool] Connection timeout after 12s to db-2:5432"),
]


@pytest.fixture
def loki(org_a):
    with LokiStub("loki") as stub:
        yield _loki_source(stub, org_a)


def _loki_source(stub, org_a):
    stub.validate(assert_loki_request)
    stub.set_default(200, json=loki_streams([]))
    source = LogSourceFactory(organization=org_a, url=stub.url, is_default=True, field_mapping={"service": "app"},
                              config={"token": "s3cret-token", "grafana_url": "https://grafana.example"})
    return stub, source


def _received(alerts):
    return [events.build_event("alert.received", org=a.organization_id, subject=a, is_new=True, **alert_summary(a))
            for a in alerts]


def _current(stub):
    return [r for r in stub.requests if int(r.query["end"][0]) > int(at(31).timestamp() * 1e9)]


def test_the_subscriber_stores_patterns_and_a_redelivery_changes_nothing(loki, org_a):
    stub, source = loki
    stub.respond(200, json=loki_streams(LINES))
    alert = AlertFactory(organization=org_a, starts_at=at(32))
    batch = _received([alert])
    assert tasks.fetch_alert_logs.apply(args=[batch], throw=True).get() == 1
    stub.assert_no_contract_errors()
    row = AlertLogContext.objects.get(alert=alert)
    assert row.status == "ok" and row.entries == 4 and row.level_counts == {"error": 2, "warning": 2}
    assert row.query_used == '{app="payment-api"} |~ "(?i)(error|exception|fatal)"'
    oom = row.patterns[0]
    assert oom["count"] == 2 and oom["top_frame"] == "PaymentProcessor.java:234" and oom["new"]
    assert oom["exception"] == "java.lang.OutOfMemoryError: Java heap space"
    assert row.patterns[1]["count"] == 2 and "Connection timeout after <*> to <*>" in row.patterns[1]["template"]
    assert row.explore_url.startswith("https://grafana.example/explore?")
    seen = len(stub.requests)
    assert tasks.fetch_alert_logs.apply(args=[batch], throw=True).get() == 0
    assert len(stub.requests) == seen and AlertLogContext.objects.count() == 1


def test_a_storm_costs_one_query_per_bucket(loki, org_a):
    stub, _source = loki
    stub.set_default(200, json=loki_streams(LINES))
    storm = [AlertFactory(organization=org_a, starts_at=at(32, i % 50), instance=f"payment-api-{i}:8080")
             for i in range(60)]
    later = AlertFactory(organization=org_a, starts_at=at(45))
    tasks.fetch_alert_logs.apply(args=[_received(storm[:30])], throw=True)
    tasks.fetch_alert_logs.apply(args=[_received(storm[30:] + [later])], throw=True)
    assert AlertLogContext.objects.filter(status="ok").count() == 61
    windows = {(r.query["start"][0], r.query["end"][0]) for r in stub.requests}
    # Two buckets (14:32 and 14:45), each one window query plus one baseline query: 4, not 122.
    assert len(stub.requests) == 4 and len(windows) == 4


def test_the_baseline_hour_is_fetched_while_the_window_is(loki, org_a):
    """Both queries must be in flight at once: each request waits (at most 5 s) for the other."""
    stub, _source = loki
    both_in_flight = threading.Barrier(2)

    def wait_for_the_other(req):
        try:
            both_in_flight.wait(timeout=5)
        except threading.BrokenBarrierError:
            raise AssertionError("the window and baseline queries were not in flight together") from None

    stub.validate(wait_for_the_other)
    stub.respond(200, json=loki_streams(LINES))
    stub.respond_baseline(200, json=loki_streams([(at(26), "2026-05-01T14:26:00Z WARN  [DatabasePool] "
                                                           "Connection timeout after 9s to db-3:5432")]))
    [row] = services.contexts_fetch(alerts=[AlertFactory(organization=org_a, starts_at=at(32))])
    stub.assert_no_contract_errors()
    assert sorted(is_baseline(r) for r in stub.requests) == [False, True]
    assert row.status == "ok" and row.entries == 4
    timeout = next(p for p in row.patterns if "Connection timeout" in p["template"])
    assert timeout["baseline_count"] == 1 and not timeout["new"]
    assert next(p for p in row.patterns if "OutOfMemoryError" in p["template"])["new"]


def test_a_failing_baseline_leaves_the_window_ok_and_patterns_unmarked(loki, org_a):
    stub, _source = loki
    stub.respond(200, json=loki_streams(LINES))
    stub.respond_baseline(500, body="boom")
    [row] = services.contexts_fetch(alerts=[AlertFactory(organization=org_a, starts_at=at(32))])
    assert row.status == "ok" and row.entries == 4
    assert all(p["baseline_count"] is None and not p["new"] for p in row.patterns)


def test_a_dead_source_is_recorded_never_raised(org_a):
    LogSourceFactory(organization=org_a, url="http://127.0.0.1:9", is_default=True)
    alert = AlertFactory(organization=org_a)
    [row] = services.contexts_fetch(alerts=[alert])
    assert row.status == "unavailable" and "failed" in row.reason
    context = assemble(Subject.for_alert(alert))
    [block] = context.by_kind("logs")
    assert block.body.startswith("Logs unavailable: ")


def test_an_http_error_is_an_error_with_its_reason(loki, org_a):
    stub, _source = loki
    stub.respond(400, json={"message": "parse error at line 1"})
    [row] = services.contexts_fetch(alerts=[AlertFactory(organization=org_a, starts_at=at(32))])
    assert row.status == "error" and "parse error" in row.reason


def test_the_prompt_carries_the_log_analysis_block_and_offline_reads_it(loki, org_a):
    stub, _source = loki
    stub.respond(200, json=loki_streams(LINES))
    alert = AlertFactory(organization=org_a, starts_at=at(32))
    subject = Subject.for_alert(alert)
    context = assemble(subject)  # fetched on demand: the analysis ran before the subscriber
    [block] = context.by_kind("logs")
    assert block.title == "Log Analysis (4 entries found)"
    _system, user = render_prompt(subject, context)
    assert "Error Patterns Detected:" in user
    assert "java.lang.OutOfMemoryError: Java heap space at PaymentProcessor.java:234 (2×" in user
    assert len(block.body) <= 6000
    assert "out of memory" in str(offline.analyse(subject, context)).lower()


def test_the_alert_page_shows_the_logs_panel(loki, org_a, users_a, client):
    stub, _source = loki
    stub.respond(200, json=loki_streams(LINES))
    alert = AlertFactory(organization=org_a, starts_at=at(32))
    services.contexts_fetch(alerts=[alert])
    client.force_login(users_a["viewer"])
    page = client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert 'id="panel-logs"' in page and "Related logs (4 entries, 2 errors)" in page
    assert "java.lang.OutOfMemoryError: Java heap space" in page and "PaymentProcessor.java:234" in page
    assert "View in Grafana Explore" in page and "Download logs" in page
    stub.respond(200, json=loki_streams(LINES))
    download = client.get(reverse("logs:download", args=[AlertLogContext.objects.get(alert=alert).pk]))
    assert download.status_code == 200 and b"OutOfMemoryError" in download.content


def test_api_sources_config_is_write_only_and_test_connection(loki, org_a, users_a, api_client_for):
    stub, source = loki
    admin = api_client_for(users_a["admin"], org_a)
    body = admin.get(reverse("logsource-detail", args=[source.pk])).json()
    assert body["config_set"] is True and "config" not in body and "s3cret" not in json.dumps(body)
    stub.respond(200, json=loki_streams([]))
    assert admin.post(reverse("logsource-test", args=[source.pk])).json() == {"ok": True, "message": "Loki answered"}
    created = admin.post(reverse("logsource-list"), {"name": "ES", "kind": "elasticsearch", "url": "http://127.0.0.1:9",
                                                     "config": {"api_key": "k"}, "is_default": True}, format="json")
    assert created.status_code == 201, created.content
    source.refresh_from_db()
    assert not source.is_default and LogSource.objects.get(pk=created.json()["id"]).config == {"api_key": "k"}
    bad = admin.post(reverse("logsource-list"), {"name": "x", "kind": "graylog"}, format="json")
    assert bad.status_code == 400
    viewer = api_client_for(users_a["viewer"], org_a)
    assert viewer.post(reverse("logsource-list"), {"name": "y", "kind": "loki"}, format="json").status_code == 403


def test_api_alert_logs_and_adhoc_query(loki, org_a, users_a, users_b, org_b, api_client_for):
    stub, source = loki
    stub.respond(200, json=loki_streams(LINES))
    alert = AlertFactory(organization=org_a, starts_at=at(32))
    viewer = api_client_for(users_a["viewer"], org_a)
    [row] = viewer.get(reverse("alert-logs", args=[alert.pk])).json()
    assert row["entries"] == 4 and row["patterns"][0]["top_frame"] == "PaymentProcessor.java:234"
    assert viewer.get(reverse("alert-logs", args=[alert.pk]) + "?refresh=1").status_code == 403
    stranger = api_client_for(users_b["owner"], org_b)
    assert stranger.get(reverse("alert-logs", args=[alert.pk])).status_code == 404
    stub.respond(200, json=loki_streams(LINES[:1]))
    answer = viewer.get(reverse("logs-query"), {"source": source.pk, "query": '{app="x"}', "minutes": 30}).json()
    assert answer["status"] == "ok" and len(answer["entries"]) == 1
    assert viewer.get(reverse("logs-query"), {"source": source.pk, "query": "{}", "minutes": 99999}).status_code == 400
    assert stranger.get(reverse("logs-query"), {"source": source.pk, "query": "{}"}).status_code == 404


def test_the_patterns_command_reads_raw_lines(tmp_path):
    path = tmp_path / "app.log"
    path.write_text("2024-05-01 10:00:01 ERROR timeout after 30s to db-1\n2024-05-01 10:00:02 INFO started\n"
                    "2024-05-01 10:00:03 ERROR timeout after 5s to db-2\n")
    out = io.StringIO()
    call_command("logs", "patterns", str(path), stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["LineId"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["EventId"] == rows[2]["EventId"] != rows[1]["EventId"]
    out = io.StringIO()
    call_command("logs", "patterns", str(path), "--format", "json", stdout=out)
    body = json.loads(out.getvalue())
    assert [t["count"] for t in body["templates"]] == [2, 1]


def test_a_team_default_wins_over_the_org_default(org_a):
    from tests.tenancy.factories import TeamFactory

    team = TeamFactory(organization=org_a)
    org_default = LogSourceFactory(organization=org_a, is_default=True)
    team_default = LogSourceFactory(organization=org_a, team=team, is_default=True)
    assert services.source_for_alert(AlertFactory(organization=org_a, team=team)) == team_default
    assert services.source_for_alert(AlertFactory(organization=org_a)) == org_default
