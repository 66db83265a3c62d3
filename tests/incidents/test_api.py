"""Incident API: list/detail/create/PATCH, the lifecycle actions, roles, other organisations, config."""

import pytest

from apps.incidents.models import CorrelationConfig, Incident
from tests.incidents.factories import IncidentFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/incidents/"


@pytest.fixture
def incident(org_a, make_alert, correlate, topology):
    topology({"api": ["db"]})
    correlate(make_alert("api", at=0), make_alert("db", at=4, severity="critical"))
    return Incident.objects.get()


def test_list_filters_and_detail(incident, users_a, api_client_for):
    client = api_client_for(users_a["viewer"], org_a := incident.organization)
    body = client.get(BASE, {"active": "true", "service": "db"}).json()
    assert [row["number"] for row in body["results"]] == [1]
    assert client.get(BASE, {"service": "d"}).json()["count"] == 0
    detail = client.get(f"{BASE}{incident.pk}/").json()
    assert detail["root_cause_service_name"] == "db" and detail["alert_count"] == 2
    assert detail["services"][0] == {
        "service": "db",
        "alerts": 1,
        "firing": 1,
        "first_seen": detail["services"][0]["first_seen"],
        "severity": "critical",
        "alert_names": ["HighErrorRate"],
    }
    assert detail["root_cause_evidence"]["method"] == "topology"
    links = client.get(f"{BASE}{incident.pk}/alerts/").json()["results"]
    assert links[0]["is_root_cause"] and links[0]["alert_service"] == "db" and links[0]["strategy"] == "topology"
    assert org_a.pk == incident.organization_id


def test_actions_need_operator(incident, users_a, api_client_for):
    viewer = api_client_for(users_a["viewer"], incident.organization)
    for path, body in (
        ("status/", {"status": "investigating"}),
        ("comment/", {"body": "x"}),
        ("assign/", {"assignee": None}),
    ):
        assert viewer.post(f"{BASE}{incident.pk}/{path}", body, format="json").status_code == 403
    assert viewer.post(BASE, {"title": "x"}, format="json").status_code == 403


def test_lifecycle_over_the_api(incident, users_a, api_client_for):
    client = api_client_for(users_a["operator"], incident.organization)
    url = f"{BASE}{incident.pk}/"
    assert client.post(url + "status/", {"status": "mitigated"}, format="json").json()["status"] == "mitigated"
    bad = client.post(url + "status/", {"status": "open"}, format="json")
    assert bad.status_code == 409 and "cannot become Open" in bad.json()["error"]["message"]
    assert client.post(url + "status/", {"status": "bogus"}, format="json").status_code == 400
    patched = client.patch(
        url,
        {
            "status": "resolved",
            "impact": "Checkout down 12 min",
            "action_items": [{"title": "Pool alerts"}],
            "assignee": users_a["operator"].pk,
        },
        format="json",
    ).json()
    assert patched["status"] == "resolved" and patched["impact"] == "Checkout down 12 min"
    assert patched["assignee_username"] == "a-operator" and patched["action_items"][0]["title"] == "Pool alerts"
    comment = client.post(url + "comment/", {"body": "root cause: pool"}, format="json")
    assert comment.status_code == 201 and comment.json()["author_username"] == "a-operator"
    assert client.get(url + "comments/").json()["count"] == 1
    assert client.post(url + "comment/", {"body": ""}, format="json").status_code == 400


def test_create_add_remove_merge(incident, org_b, users_a, api_client_for, make_alert, correlate):
    client = api_client_for(users_a["operator"], incident.organization)
    loose = make_alert("batch", at=9000)
    created = client.post(BASE, {"title": "Manual", "severity": "info"}, format="json")
    assert created.status_code == 201 and created.json()["number"] == 2
    manual = created.json()["id"]
    assert client.post(f"{BASE}{manual}/add-alert/", {"alert": loose.pk}, format="json").json()["alert_count"] == 1
    taken = client.post(f"{BASE}{manual}/alerts/", {"alert": incident.root_cause_alert_id}, format="json")
    assert taken.status_code == 409 and "#1" in taken.json()["error"]["message"]
    moved = client.post(f"{BASE}{manual}/alerts/", {"alert": incident.root_cause_alert_id, "move": True}, format="json")
    assert moved.json()["alert_count"] == 2
    removed = client.delete(f"{BASE}{manual}/alerts/{loose.pk}/")
    assert removed.status_code == 200 and removed.json()["alert_count"] == 1
    foreign_alert = make_alert("api", org=org_b)
    foreign = client.post(f"{BASE}{manual}/add-alert/", {"alert": foreign_alert.pk}, format="json")
    assert foreign.status_code == 400 and "alert" in foreign.json()["error"]["fields"]
    merged = client.post(f"{BASE}{incident.pk}/merge/", {"source": manual}, format="json").json()
    assert merged["alert_count"] == 2 and Incident.objects.get(pk=manual).merged_into_id == incident.pk
    other = IncidentFactory(organization=org_b)
    assert client.post(f"{BASE}{incident.pk}/merge/{other.pk}/").status_code == 404


def test_correlation_config(org_a, org_b, users_a, api_client_for):
    viewer = api_client_for(users_a["viewer"], org_a)
    assert viewer.get("/api/v1/correlation/config").json()["window_minutes"] == 5
    assert viewer.put("/api/v1/correlation/config", {"window_minutes": 9}, format="json").status_code == 403
    admin = api_client_for(users_a["admin"], org_a)
    body = admin.patch(
        "/api/v1/correlation/config", {"window_minutes": 9, "label_keys": ["pod", " host "]}, format="json"
    ).json()
    assert body["window_minutes"] == 9 and body["label_keys"] == ["pod", "host"]
    bad = admin.patch("/api/v1/correlation/config", {"window_minutes": 0, "topology_max_hops": 99}, format="json")
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {
        "window_minutes",
        "topology_max_hops",
    }
    assert CorrelationConfig.objects.get(organization=org_a).window_minutes == 9
    assert not CorrelationConfig.objects.filter(organization=org_b, window_minutes=9).exists()
