"""The correlation engine on small, explicit cases: each strategy, event time, and its guard rails."""

import pytest
from django.utils import timezone

from apps.incidents import correlation
from apps.incidents.locking import config_for
from apps.incidents.models import Incident, IncidentAlert

pytestmark = pytest.mark.django_db


def incidents(org):
    return list(Incident.objects.for_org(org).order_by("number"))


def test_first_alert_opens_an_incident_with_a_reason(org_a, make_alert, correlate):
    alert = make_alert("api", "HighLatency", severity="critical")
    [outcome] = correlate(alert)
    assert outcome.created and outcome.strategy == "opened"
    incident = Incident.objects.get()
    assert incident.number == 1 and incident.severity == "critical" and incident.alert_count == 1
    assert incident.started_at == alert.starts_at
    assert "No open incident" in incident.correlation_reason
    link = IncidentAlert.objects.get()
    assert link.is_auto and link.added_by is None and link.strategy == "opened" and link.is_root_cause


def test_temporal_window_is_event_time_not_arrival_time(org_a, make_alert, correlate):
    first = make_alert("api", at=0)
    inside = make_alert("unknown-batch", at=4 * 60)  # nothing contradicts, one candidate: joins
    outside = make_alert("other-batch", at=4 * 60 + 5 * 60 + 1)  # arrives now too, but started 5 min after the last
    correlate(first, inside, outside)
    assert [i.alert_count for i in incidents(org_a)] == [2, 1]
    assert IncidentAlert.objects.get(alert=inside).strategy == "temporal"


def test_late_alert_that_started_earlier_still_joins(org_a, make_alert, correlate):
    later = make_alert("api", at=200)
    earlier = make_alert("api", at=20)  # delivered late by Alertmanager
    correlate(later, earlier)
    [incident] = incidents(org_a)
    assert incident.started_at == earlier.starts_at and incident.alert_count == 2
    assert incident.root_cause_alert_id == earlier.pk  # earliest alert of the service, re-evaluated


def test_topology_joins_and_separates_unrelated_simultaneous_failures(org_a, make_alert, correlate, topology):
    topology({"shop-web": ["shop-api"], "shop-api": ["shop-db"], "blog-web": ["blog-db"]})
    correlate(
        make_alert("shop-db", "DBDown", 0),
        make_alert("blog-db", "DBDown", 1),
        make_alert("shop-api", "Errors", 2),
        make_alert("blog-web", "Errors", 3),
        make_alert("shop-web", "5xx", 4),
    )
    shop, blog = incidents(org_a)
    assert shop.affected_services == ["shop-db", "shop-api", "shop-web"]
    assert blog.affected_services == ["blog-db", "blog-web"]
    web = IncidentAlert.objects.get(alert__service="shop-web")
    # linked to the root cause itself, never through a member that is only a symptom
    assert web.strategy == "topology" and "shop-web depends on shop-db" in web.reason and "root cause" in web.reason
    assert "unrelated" not in web.reason


def test_temporal_alone_does_not_choose_between_several_incidents(org_a, make_alert, correlate, topology):
    topology({"a-api": ["a-db"], "b-api": ["b-db"]})
    correlate(make_alert("a-db", at=0), make_alert("b-db", at=1))
    [outcome] = correlate(make_alert("mystery", at=2))
    assert outcome.created and "time alone cannot choose" in outcome.reason
    assert len(incidents(org_a)) == 3


def test_label_match_joins_across_services(org_a, make_alert, correlate, topology):
    topology({"x-api": ["x-db"], "y-api": ["y-db"]})
    correlate(make_alert("x-api", at=0, labels={"pod": "node-7-pod"}))
    [outcome] = correlate(make_alert("y-db", at=30, labels={"pod": "node-7-pod"}))
    assert outcome.strategy == "label" and "pod=node-7-pod" in outcome.reason
    assert len(incidents(org_a)) == 1


def test_label_keys_are_configurable(org_a, make_alert, correlate, topology):
    topology({"x-api": ["x-db"], "y-api": ["y-db"]})
    config = config_for(org_a.pk)
    config.label_keys = ["cluster"]
    config.save()
    correlate(make_alert("x-api", at=0, labels={"pod": "p1", "cluster": "eu-1"}))
    assert correlate(make_alert("y-db", at=5, labels={"pod": "p1", "cluster": "eu-1"}))[0].reason.count("cluster=eu-1")
    correlate(make_alert("x-db", at=6, labels={"pod": "p1", "cluster": "us-2"}))  # joins by topology, not pod
    assert IncidentAlert.objects.get(alert__service="x-db").strategy == "topology"


def test_group_key_joins_only_when_nothing_contradicts(org_a, make_alert, correlate, topology):
    topology({"a-api": ["a-db"], "b-api": ["b-db"]})
    correlate(
        make_alert("a-db", at=0, group_key='{}:{alertname="Down"}'),
        make_alert("b-db", at=1, group_key='{}:{alertname="Down"}'),
    )
    assert len(incidents(org_a)) == 2  # same group, but the topology says they are unrelated
    correlate(make_alert("ghost", at=2, group_key='{}:{alertname="Other"}'))
    [outcome] = correlate(make_alert("phantom", at=3, group_key='{}:{alertname="Other"}'))
    assert outcome.strategy == "group_key" and len(incidents(org_a)) == 3


def test_different_environment_contradicts(org_a, make_alert, correlate):
    correlate(make_alert("batch", at=0, env="production"))
    [outcome] = correlate(make_alert("batch2", at=10, env="staging"))
    assert outcome.created and "different environment" in outcome.reason


def test_resolved_alert_never_opens_an_incident(org_a, make_alert, correlate):
    [outcome] = correlate(make_alert("api", status="resolved"))
    assert outcome.incident is None and Incident.objects.count() == 0


def test_resolved_incident_is_not_joined_and_reopen_window_reopens(org_a, make_alert, correlate):
    first = make_alert("api", at=0)
    correlate(first)
    first.status, first.ends_at = "resolved", timezone.now()
    first.save()
    correlation.alert_resolved(organization_id=org_a.pk, alert_id=first.pk)
    incident = Incident.objects.get()
    assert incident.status == "resolved" and incident.firing_count == 0
    [outcome] = correlate(make_alert("api", at=60))
    assert outcome.created and Incident.objects.count() == 2

    config = config_for(org_a.pk)
    config.reopen_window_minutes = 30
    config.save()
    [outcome] = correlate(make_alert("api", at=61, instance="api-9:8080"))
    # the open #2 is the better match (same service); once it is resolved too, the window re-opens
    assert outcome.incident.number == 2


def test_reopen_within_window(org_a, make_alert, correlate):
    config = config_for(org_a.pk)
    config.reopen_window_minutes = 30
    config.save()
    first = make_alert("api", at=0)
    correlate(first)
    first.status = "resolved"
    first.save()
    correlation.alert_resolved(organization_id=org_a.pk, alert_id=first.pk)
    [outcome] = correlate(make_alert("api", at=90))
    incident = Incident.objects.get()
    assert outcome.incident.pk == incident.pk and incident.status == "open" and incident.resolved_at is None


def test_auto_resolve_is_configurable(org_a, make_alert, correlate):
    config = config_for(org_a.pk)
    config.auto_resolve = False
    config.save()
    alert = make_alert("api")
    correlate(alert)
    alert.status = "resolved"
    alert.save()
    incident = correlation.alert_resolved(organization_id=org_a.pk, alert_id=alert.pk)
    assert incident.status == "open" and incident.firing_count == 0


def test_auto_resolve_waits_for_the_last_alert(org_a, make_alert, correlate):
    a, b = make_alert("api", at=0), make_alert("api", at=5)
    correlate(a, b)
    a.status = "resolved"
    a.save()
    assert correlation.alert_resolved(organization_id=org_a.pk, alert_id=a.pk).status == "open"
    b.status = "resolved"
    b.save()
    assert correlation.alert_resolved(organization_id=org_a.pk, alert_id=b.pk).status == "resolved"


def test_idempotent_per_alert(org_a, make_alert, correlate):
    alert = make_alert("api")
    first, again = correlate(alert, alert)
    assert first.incident.pk == again.incident.pk and IncidentAlert.objects.count() == 1


def test_disabled_config_correlates_nothing(org_a, make_alert, correlate):
    config = config_for(org_a.pk)
    config.enabled = False
    config.save()
    assert correlate(make_alert("api")) == [None] and Incident.objects.count() == 0


def test_common_cause_merges_untouched_incidents(
    org_a, make_alert, correlate, topology, published, django_capture_on_commit_callbacks
):
    topology({"web": ["api"], "api": ["db"], "worker": ["db"]})
    with django_capture_on_commit_callbacks(execute=True):
        correlate(make_alert("worker", at=0), make_alert("web", at=1))  # siblings: two incidents so far
        assert Incident.objects.filter(status="open").count() == 2
        [outcome] = correlate(make_alert("db", "DBDown", at=2, severity="critical"))
    assert outcome.merged and Incident.objects.filter(status="open").count() == 1
    merged = Incident.objects.get(merged_into__isnull=False)
    target = Incident.objects.get(status="open")
    assert merged.status == "resolved" and target.alert_count == 3 and target.root_cause_service_name == "db"
    names = [e["name"] for e in published]
    assert "incident.root_cause_changed" in names
    closing = [e for e in published if e["name"] == "incident.status_changed"][-1]
    assert closing["data"]["merged_into_id"] == target.pk and closing["data"]["new_status"] == "resolved"


def test_no_merge_when_a_person_is_working_on_it(org_a, make_alert, correlate, topology, users_a):
    topology({"web": ["api"], "api": ["db"], "worker": ["db"]})
    correlate(make_alert("worker", at=0), make_alert("web", at=1))
    Incident.objects.filter(number=1).update(status="investigating", assignee=users_a["operator"])
    correlate(make_alert("db", at=2, severity="critical"))
    assert Incident.objects.filter(status__in=["open", "investigating"]).count() == 2


def test_root_cause_re_evaluated_as_alerts_join(
    org_a, make_alert, correlate, topology, published, django_capture_on_commit_callbacks
):
    topology({"web": ["api"], "api": ["db"]})
    with django_capture_on_commit_callbacks(execute=True):
        correlate(make_alert("web", "5xx", at=0))
        assert Incident.objects.get().root_cause_service_name == "web"
        correlate(
            make_alert("api", "Errors", at=5, severity="critical"),
            make_alert("db", "ConnectionRefused", at=30, severity="critical"),
        )
    incident = Incident.objects.get()
    assert incident.root_cause_service_name == "db"
    assert incident.root_cause_evidence["method"] == "topology"
    assert incident.root_cause_evidence["failing_dependents"] == ["api", "web"]
    assert incident.title.startswith("db: ")
    assert IncidentAlert.objects.get(is_root_cause=True).alert.service == "db"
    changes = [e["data"] for e in published if e["name"] == "incident.root_cause_changed"]
    assert [(c["previous_service"], c["service"]) for c in changes] == [("web", "api"), ("api", "db")]
    created = next(e for e in published if e["name"] == "incident.created")
    assert {"incident_id", "title", "status", "severity", "url", "alert_id"} <= set(created["data"])
    added = [e["data"] for e in published if e["name"] == "incident.alert_added"]
    assert len(added) == 2 and all({"alert_id", "strategy", "reason", "url"} <= set(d) for d in added)


def test_root_cause_falls_back_to_earliest_without_topology(org_a, make_alert, correlate):
    correlate(make_alert("b", at=10), make_alert("a", at=3))
    incident = Incident.objects.get()
    assert incident.root_cause_service_name == "a" and incident.root_cause_evidence["method"] == "earliest"


def test_teams_mixed_make_the_incident_organisation_wide(org_a, make_alert, correlate):
    from tests.tenancy.factories import TeamFactory

    team = TeamFactory(organization=org_a)
    correlate(make_alert("api", team=team))
    assert Incident.objects.get().team == team
    correlate(make_alert("api", at=5, team=None))
    assert Incident.objects.get().team is None


def test_other_organisations_incidents_are_never_candidates(org_a, org_b, make_alert, correlate):
    correlate(make_alert("api", org=org_a), make_alert("api", org=org_b, at=1))
    assert Incident.objects.for_org(org_a).count() == 1 and Incident.objects.for_org(org_b).count() == 1


def test_a_stray_minor_alert_on_a_dependency_does_not_take_the_root_cause(org_a, make_alert, correlate, topology):
    topology({"web": ["api"], "api": ["queue"]})
    correlate(
        *[make_alert("api", "HighErrorRate", at=i, severity="critical") for i in range(6)],
        make_alert("web", "5xx", at=8),
        make_alert("queue", "QueueBacklog", at=9, severity="warning"),
    )
    incident = Incident.objects.get()
    assert incident.alert_count == 8 and incident.root_cause_service_name == "api"
    assert incident.root_cause_evidence["weak_failing_dependencies"] == ["queue"]
    correlate(make_alert("queue", "BrokerDown", at=10, severity="critical"))
    incident.refresh_from_db()
    assert incident.root_cause_service_name == "queue"  # now it is a real failure


def test_an_alert_depending_on_both_roots_ties_sibling_incidents(org_a, make_alert, correlate, topology):
    """The brief's "API + Database + Cache = same incident", with database and cache alerting first."""
    topology({"api": ["database", "cache"]})
    correlate(make_alert("database", at=0, severity="critical"), make_alert("cache", at=2, severity="critical"))
    assert Incident.objects.filter(status="open").count() == 2  # siblings: nothing relates them yet
    [outcome] = correlate(make_alert("api", at=5))
    assert outcome.merged
    moved = IncidentAlert.objects.get(alert__service="cache")
    assert moved.strategy == "merge" and "connects the root causes" in moved.reason
    incident = Incident.objects.get(merged_into__isnull=True)
    assert incident.alert_count == 3 and set(incident.affected_services) == {"database", "cache", "api"}


def test_a_shared_dependency_does_not_tie_unrelated_failures(org_a, make_alert, correlate, topology):
    topology({"a-web": ["a-api", "auth"], "a-api": ["a-db"], "b-web": ["b-api", "auth"], "b-api": ["b-db"]})
    correlate(make_alert("a-db", at=0, severity="critical"), make_alert("b-db", at=1, severity="critical"))
    correlate(make_alert("auth", at=2))  # a stray alert on the shared service joins one of them
    correlate(make_alert("a-web", at=3), make_alert("b-web", at=4))
    a, b = (Incident.objects.get(affected_services__icontains=f'"{x}-db"') for x in "ab")
    assert a.pk != b.pk and "b-web" not in a.affected_services and "a-web" not in b.affected_services
