"""Context assembly: the provider registry, bounds, the token budget, prompts and the built-in blocks."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.alerts import services as alert_services
from apps.analysis import context, incident_support
from apps.analysis.context import ContextBlock, estimate_tokens
from apps.analysis.subjects import Subject
from tests.alerts.factories import AlertEventFactory, AlertFactory

pytestmark = pytest.mark.django_db


def test_tokens_are_estimated_as_characters_over_four():
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcd") == 1
    assert estimate_tokens("abcde") == 2


def test_providers_run_in_order_and_blocks_are_numbered(org_a, extra_context):
    extra_context("late", lambda s: ContextBlock("Late block", "late body", kind="note"), order=90)
    extra_context("early", lambda s: [ContextBlock("Early block", "early body", kind="change")], order=5)
    assembled = context.assemble(Subject.for_alert(AlertFactory(organization=org_a)))
    titles = [b.title for b in assembled.blocks]
    assert titles[0] == "Early block" and titles[-1] == "Late block"
    assert [b.id for b in assembled.blocks] == [f"E{i}" for i in range(1, len(titles) + 1)]
    assert assembled.blocks[0].source == "early"


def test_a_failing_provider_is_skipped_and_reported(org_a, extra_context):
    def broken(subject):
        raise RuntimeError("log backend down")

    extra_context("logs", broken)
    assembled = context.assemble(Subject.for_alert(AlertFactory(organization=org_a)))
    assert assembled.errors == ["logs: RuntimeError"]
    assert assembled.blocks[0].kind == "alert"


def test_a_provider_whose_query_fails_does_not_break_the_transaction(org_a, extra_context):
    def bad_query(subject):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM table_that_does_not_exist")

    extra_context("broken_db", bad_query, order=15)  # between the alert and the similar-alerts providers
    alert = AlertFactory(organization=org_a, name="RedisDown")
    AlertFactory(
        organization=org_a,
        name="RedisDown",
        status="resolved",
        starts_at=timezone.now() - timedelta(days=1),
        ends_at=timezone.now() - timedelta(days=1) + timedelta(minutes=3),
    )
    assembled = context.assemble(Subject.for_alert(alert))
    assert assembled.errors and assembled.errors[0].startswith("broken_db:")
    assert [b.kind for b in assembled.blocks] == ["alert", "similar_alerts"]


def test_blocks_are_bounded_and_the_budget_is_kept(org_a, extra_context, settings):
    settings.ANALYSIS_BLOCK_MAX_CHARS = 1000
    extra_context("big", lambda s: [ContextBlock(f"Big {i}", "x" * 5000) for i in range(10)], order=50)
    subject = Subject.for_alert(AlertFactory(organization=org_a))
    assembled = context.assemble(subject, budget_tokens=1500)
    big = [b for b in assembled.blocks if b.title.startswith("Big")]
    assert all(len(b.body) <= 1000 and b.truncated for b in big)
    assert assembled.omitted, "what does not fit is left out"
    system, user = context.render_prompt(subject, assembled)
    assert estimate_tokens(system) + estimate_tokens(user) <= 1500
    assert f"{len(assembled.omitted)} further context item" in user
    summary = assembled.summary()
    assert {row["included"] for row in summary} == {True, False}
    assert all("body" not in row for row in summary)


def test_prompt_comes_from_the_templates_and_its_hash_is_stable(org_a):
    subject = Subject.for_alert(AlertFactory(organization=org_a, name="RedisDown", service="cache"))
    assembled = context.assemble(subject)
    system, user = context.render_prompt(subject, assembled)
    assert system.startswith("You are an experienced site reliability engineer")
    assert '"suggested_runbook"' in system  # the JSON schema is embedded
    assert user.startswith("Analyse this alert: RedisDown (cache")
    assert "[E1] The alert: RedisDown" in user
    again = context.render_prompt(subject, context.assemble(subject))
    assert context.prompt_hash(system, user) == context.prompt_hash(*again)


def test_alert_block_has_labels_annotations_duration_and_history(org_a, users_a):
    alert = AlertFactory(
        organization=org_a,
        name="HostOutOfMemory",
        starts_at=timezone.now() - timedelta(minutes=42),
        labels={"alertname": "HostOutOfMemory", "instance": "web-3:9100"},
        annotations={"summary": "Host out of memory", "runbook_url": "https://wiki/oom"},
    )
    AlertEventFactory(organization=org_a, alert=alert, kind="fired", at=alert.starts_at)
    alert_services.alert_acknowledge(alert=alert, user=users_a["operator"], note="on it")
    block = context.assemble(Subject.for_alert(alert)).blocks[0]
    assert block.kind == "alert" and block.refs == [
        {"type": "alerts.alert", "id": alert.pk, "label": alert.name}
    ]
    assert "instance=web-3:9100" in block.body and "runbook_url: https://wiki/oom" in block.body
    assert "(42 min ago, still firing)" in block.body
    assert "fired (alertmanager)" in block.body and "acknowledged (web) by a-operator — on it" in block.body
    assert block.facts["history"] == ["fired", "acknowledged"]


def test_similar_alerts_block_says_how_earlier_episodes_ended(org_a, users_a):
    now = timezone.now()
    for days in (1, 2, 3):
        AlertFactory(
            organization=org_a,
            name="HighLatency",
            service="search",
            status="resolved",
            starts_at=now - timedelta(days=days),
            ends_at=now - timedelta(days=days) + timedelta(minutes=6),
        )
    AlertFactory(organization=org_a, name="HighLatency", service="other")  # another service: not similar
    alert = AlertFactory(organization=org_a, name="HighLatency", service="search")
    [block] = [b for b in context.assemble(Subject.for_alert(alert)).blocks if b.kind == "similar_alerts"]
    assert block.facts["count"] == 3 and block.facts["resolved"] == 3
    assert block.facts["median_duration_seconds"] == 360
    assert "resolved on its own after 6 min" in block.body
    assert len(block.refs) == 3


@pytest.mark.skipif(not incident_support.installed(), reason="apps.incidents is not installed")
def test_incident_block_lists_the_other_alerts(org_a):
    from tests.incidents.factories import IncidentAlertFactory, IncidentFactory

    incident = IncidentFactory(
        organization=org_a, title="Checkout down", root_cause_service_name="checkout-db"
    )
    db = AlertFactory(organization=org_a, name="PostgresqlDown", service="checkout-db")
    api = AlertFactory(organization=org_a, name="HighErrorRate", service="checkout")
    for alert in (db, api):
        IncidentAlertFactory(organization=org_a, incident=incident, alert=alert)
    blocks = context.assemble(Subject.for_alert(api)).blocks
    [block] = [b for b in blocks if b.kind == "incident"]
    assert "Root-cause service suggested by correlation: checkout-db" in block.body
    assert "PostgresqlDown" in block.body and block.refs[0]["type"] == "incidents.incident"
    assert {a["name"] for a in block.facts["alerts"]} == {"PostgresqlDown", "HighErrorRate"}
