"""alert.received → triggers: auto runs, semi_auto asks for approval, manual only suggests; minimum
firing duration waits on a DB timer; refusals are recorded with their reason."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.runbooks.matching import host_of, trigger_matches
from apps.runbooks.models import RunbookExecution, TriggerWait
from apps.runbooks.tasks import timers
from tests.alerts.factories import AlertFactory
from tests.tenancy.factories import TeamFactory

pytestmark = pytest.mark.django_db


def runbook_yaml(name, mode, url, trigger="{alert_pattern: 'ServiceDown*', severity: [critical]}", extra=""):
    return f"""
name: {name}
execution: {{mode: {mode}{extra}}}
triggers: [{trigger}]
steps: [{{name: poke, type: api, method: POST, endpoint: "{url}/{{{{labels.service}}}}"}}]
"""


@pytest.fixture
def api(http_stub):
    return http_stub(name="svc")


def test_trigger_matching_rules():
    trigger = {
        "alert_pattern": "ServiceDown*",
        "severity": ["critical", "warning"],
        "labels": {"env": "prod*"},
    }
    assert trigger_matches(trigger, name="ServiceDownHard", severity="warning", labels={"env": "production"})
    assert not trigger_matches(trigger, name="servicedown", severity="warning", labels={"env": "prod"})
    assert not trigger_matches(trigger, name="ServiceDown", severity="info", labels={"env": "prod"})
    assert not trigger_matches(trigger, name="ServiceDown", severity="critical", labels={"env": "staging"})
    assert not trigger_matches(trigger, name="ServiceDown", severity="critical", labels={})
    assert [host_of(v) for v in ("web-1:9100", "[::1]:22", "::1", "10.0.0.1", "http://db:5432/x")] == [
        "web-1",
        "::1",
        "::1",
        "10.0.0.1",
        "db",
    ]


def test_modes_on_a_matching_alert(org_a, import_yaml, deliver_alert, api):
    auto = import_yaml(runbook_yaml("Auto fix", "auto", api.url))
    semi = import_yaml(runbook_yaml("Semi fix", "semi_auto", api.url))
    manual = import_yaml(runbook_yaml("Manual fix", "manual", api.url))
    import_yaml(runbook_yaml("Other alert", "auto", api.url, trigger="{alert_pattern: 'DiskFull'}"))
    alert = AlertFactory(
        organization=org_a, name="ServiceDownHard", severity="critical", labels={"service": "web"}
    )
    deliver_alert(alert)
    runs = {e.runbook_id: e for e in RunbookExecution.objects.all()}
    assert set(runs) == {auto.pk, semi.pk}
    assert runs[auto.pk].status == "succeeded" and runs[auto.pk].trigger == "alert"
    assert runs[auto.pk].reason == "alert ServiceDownHard (critical) matched trigger 'ServiceDown*'"
    assert runs[semi.pk].status == "pending_approval"
    assert [r.path for r in api.requests] == ["/web"]
    assert manual.pk not in runs  # manual runbooks are only suggested (see the alert page panel)


def test_resent_alert_does_not_trigger_again(org_a, import_yaml, deliver_alert, api):
    import_yaml(runbook_yaml("Auto fix", "auto", api.url))
    alert = AlertFactory(
        organization=org_a, name="ServiceDown", severity="critical", labels={"service": "web"}
    )
    deliver_alert(alert, is_new=False)
    assert not RunbookExecution.objects.exists()


def test_team_runbook_only_fires_for_its_teams_alerts(org_a, import_yaml, deliver_alert, api):
    team, other = TeamFactory(organization=org_a), TeamFactory(organization=org_a)
    import_yaml(runbook_yaml("Team fix", "semi_auto", api.url), team=team)
    deliver_alert(AlertFactory(organization=org_a, team=other, name="ServiceDown", labels={"service": "a"}))
    assert not RunbookExecution.objects.exists()
    deliver_alert(AlertFactory(organization=org_a, team=team, name="ServiceDown", labels={"service": "b"}))
    [execution] = RunbookExecution.objects.all()
    assert execution.team == team and execution.status == "pending_approval"


def test_refused_trigger_is_recorded_with_its_reason(org_a, import_yaml, deliver_alert, api):
    import_yaml(runbook_yaml("Limited", "auto", api.url, extra=", max_executions_per_hour: 1"))
    for service in ("a", "b"):
        deliver_alert(AlertFactory(organization=org_a, name="ServiceDown", labels={"service": service}))
    ran, refused = RunbookExecution.objects.order_by("pk")
    assert ran.status == "succeeded"
    assert refused.status == "refused" and refused.status_reason.startswith("rate limit: Limited ran 1 times")
    assert refused.events.get().kind == "refused"
    assert len(api.requests) == 1


def test_min_duration_waits_on_a_timer_and_checks_the_alert_again(
    org_a, import_yaml, deliver_alert, api, on_commit
):
    runbook = import_yaml(
        runbook_yaml(
            "Slow fix", "auto", api.url, trigger="{alert_pattern: 'ServiceDown*', min_duration_seconds: 300}"
        )
    )
    still_firing = AlertFactory(organization=org_a, name="ServiceDown", labels={"service": "web"})
    resolved_soon = AlertFactory(organization=org_a, name="ServiceDown", labels={"service": "db"})
    old = AlertFactory(
        organization=org_a,
        name="ServiceDown",
        labels={"service": "old"},
        starts_at=timezone.now() - timedelta(minutes=10),
    )
    for alert in (still_firing, resolved_soon, old):
        deliver_alert(alert)
    # The alert that has fired for 10 minutes ran at once; the others wait 5 minutes from their start.
    assert [r.path for r in api.requests] == ["/old"]
    waits = TriggerWait.objects.filter(runbook=runbook).order_by("pk")
    assert [w.alert for w in waits] == [still_firing, resolved_soon]
    assert all(abs((w.due_at - w.alert.starts_at).total_seconds() - 300) < 1 for w in waits)
    deliver_alert(still_firing)  # a second delivery does not add a second timer
    assert waits.count() == 2
    assert on_commit(timers.delay).get() == {"expired": 0, "fired": 0}  # not due yet
    resolved_soon.status = "resolved"
    resolved_soon.save()
    TriggerWait.objects.update(due_at=timezone.now() - timedelta(seconds=1))
    assert on_commit(timers.delay).get() == {"expired": 0, "fired": 2}
    first, second = TriggerWait.objects.order_by("pk")
    assert first.outcome.startswith("execution #") and first.outcome.endswith(" approved")  # queued to run
    assert second.outcome == "skipped: the alert resolved before the minimum duration"
    assert [r.path for r in api.requests] == ["/old", "/web"]
    assert on_commit(timers.delay).get() == {"expired": 0, "fired": 0}
