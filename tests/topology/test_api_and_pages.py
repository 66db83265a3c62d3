"""Topology API (CRUD, graph, import/export, discover), the management command, discovery, SVG pages."""

import io
import json

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.urls import reverse

from apps.topology import tasks
from apps.topology.models import Dependency, Service
from tests.alerts.factories import AlertFactory
from tests.topology.factories import DependencyFactory, ServiceFactory

pytestmark = pytest.mark.django_db
FILE = "services:\n  - name: web\n  - name: api\ndependencies:\n  - source: web\n    target: api\n"


def test_service_and_dependency_crud(org_a, org_b, users_a, api_client_for):
    client = api_client_for(users_a["admin"], org_a)
    web = client.post(
        "/api/v1/topology/services/", {"name": "web", "type": "web", "environment": "prod"}, format="json"
    )
    api = client.post(
        "/api/v1/topology/services/", {"name": "api", "type": "api", "environment": "prod"}, format="json"
    )
    assert web.status_code == 201 and api.status_code == 201
    dup = client.post("/api/v1/topology/services/", {"name": "web", "environment": "prod"}, format="json")
    assert dup.status_code == 400 and "name" in dup.json()["error"]["fields"]
    edge = client.post(
        "/api/v1/topology/dependencies/",
        {"source": web.json()["id"], "target": api.json()["id"], "kind": "sync"},
        format="json",
    )
    assert edge.status_code == 201 and edge.json()["source_name"] == "web"
    self_loop = client.post(
        "/api/v1/topology/dependencies/",
        {"source": web.json()["id"], "target": web.json()["id"]},
        format="json",
    )
    assert self_loop.status_code == 400
    foreign = ServiceFactory(organization=org_b)
    cross = client.post(
        "/api/v1/topology/dependencies/", {"source": web.json()["id"], "target": foreign.pk}, format="json"
    )
    assert cross.status_code == 400 and "target" in cross.json()["error"]["fields"]
    listed = client.get("/api/v1/topology/dependencies/", {"service": api.json()["id"]}).json()
    assert listed["count"] == 1
    viewer = api_client_for(users_a["viewer"], org_a)
    assert viewer.post("/api/v1/topology/services/", {"name": "x"}, format="json").status_code == 403


def test_graph_json_has_layers_and_failing_nodes(org_a, users_a, api_client_for):
    web, api, db = (ServiceFactory(organization=org_a, name=n) for n in ("web", "api", "db"))
    DependencyFactory(organization=org_a, source=web, target=api)
    DependencyFactory(organization=org_a, source=api, target=db, kind="database")
    AlertFactory(organization=org_a, service="db", environment="production")
    body = api_client_for(users_a["viewer"], org_a).get("/api/v1/topology/graph").json()
    nodes = {n["name"]: n for n in body["nodes"]}
    assert [nodes[n]["layer"] for n in ("web", "api", "db")] == [0, 1, 2]
    assert nodes["db"]["failing"] and nodes["db"]["firing_alerts"] == 1 and not nodes["web"]["failing"]
    assert {(e["source"], e["target"]) for e in body["edges"]} == {(web.pk, api.pk), (api.pk, db.pk)}


def test_import_and_export_over_the_api(org_a, org_b, users_a, users_b, api_client_for):
    admin = api_client_for(users_a["admin"], org_a)
    bad = admin.post(
        "/api/v1/topology/import",
        data="services:\n  - name: web\n    tier: gold\n",
        content_type="application/yaml",
    )
    assert bad.status_code == 400
    error = bad.json()["error"]
    assert error["code"] == "invalid" and error["fields"]["errors"][0]["line"] == 3
    assert not Service.objects.exists()
    ok = admin.post("/api/v1/topology/import", data=FILE, content_type="application/yaml")
    assert ok.status_code == 200 and ok.json()["created"] == {"services": 2, "dependencies": 1}
    as_json = admin.post(
        "/api/v1/topology/import?dry_run=true",
        data=json.dumps({"services": [{"name": "x"}]}),
        content_type="application/json",
    )
    assert as_json.json()["created"]["services"] == 1 and not Service.objects.filter(name="x").exists()
    exported = api_client_for(users_a["viewer"], org_a).get("/api/v1/topology/export")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(exported.content)["dependencies"] == [
        {"source": "web", "target": "api", "kind": "sync", "criticality": "critical"}
    ]
    assert (
        api_client_for(users_a["viewer"], org_a)
        .post("/api/v1/topology/import", data=FILE, content_type="application/yaml")
        .status_code
        == 403
    )
    other = api_client_for(users_b["viewer"], org_b).get("/api/v1/topology/export?format=json").json()
    assert other["services"] == []


def test_discovery_from_alert_events(org_a):
    event = {
        "organization_id": org_a.pk,
        "data": {
            "service": "checkout",
            "environment": "production",
            "labels": {"namespace": "shop"},
            "team_id": None,
            "starts_at": "2025-03-04T14:00:00+00:00",
        },
    }
    tasks.discover_from_alert(event)
    tasks.discover_from_alert(event)
    service = Service.objects.get()
    assert (service.name, service.namespace, service.discovered_from) == ("checkout", "shop", "alert")
    assert service.last_seen.isoformat() == "2025-03-04T14:00:00+00:00"
    ServiceFactory(organization=org_a, name="payments", environment="")
    tasks.discover_from_alert({**event, "data": {**event["data"], "service": "payments"}})
    assert Service.objects.filter(name="payments").count() == 1  # the environment-agnostic entry counts


def test_discover_endpoint(org_a, users_a, api_client_for):
    AlertFactory(organization=org_a, service="billing", environment="production")
    response = api_client_for(users_a["admin"], org_a).post("/api/v1/topology/discover")
    assert response.json() == {"created": 1} and Service.objects.get().name == "billing"


def test_management_command(org_a, tmp_path):
    path = tmp_path / "topology.yaml"
    path.write_text(FILE)
    out = io.StringIO()
    call_command("topology", "import", str(path), "--org", org_a.slug, stdout=out)
    assert "services 2 created" in out.getvalue() and Dependency.objects.count() == 1
    target = tmp_path / "out.json"
    call_command("topology", "export", str(target), "--org", org_a.slug, stderr=io.StringIO())
    assert json.loads(target.read_text())["services"][0]["name"] == "api"
    path.write_text("services:\n  - name: web\n    type: nope\n")
    with pytest.raises(CommandError, match=r"topology.yaml:3: services\[0\].type"):
        call_command("topology", "import", str(path), "--org", org_a.slug)


def test_portal_and_admin_graph_pages(org_a, users_a, client):
    web, db = ServiceFactory(organization=org_a, name="web"), ServiceFactory(organization=org_a, name="db<x>")
    DependencyFactory(organization=org_a, source=web, target=db)
    AlertFactory(organization=org_a, service="db<x>", environment="production")
    client.force_login(users_a["viewer"])
    page = client.get(reverse("topology:graph"))
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and 'class="node failing"' in html
    assert "db&lt;x&gt;" in html and "db<x>" not in html
    admin = users_a["admin"]
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    assert "<svg" in client.get(reverse("admin:topology_service_graph")).content.decode()
    assert (
        reverse("admin:topology_service_graph")
        in client.get(reverse("admin:topology_service_changelist")).content.decode()
    )


def test_registry_rules_are_service_rules_whatever_the_door(org_a, org_b):
    """Uniqueness lives in the services, not the serializer: admin, importer and tasks keep it too."""
    from django.core.exceptions import ValidationError

    from apps.topology import services

    web = services.service_create(organization=org_a, name="web", environment="prod", type="web")
    api = services.service_create(organization=org_a, name="api", environment="prod", type="api")
    services.service_create(organization=org_b, name="web", environment="prod", type="web")  # other org: free
    with pytest.raises(ValidationError) as taken:
        services.service_create(organization=org_a, name="web", environment="prod", type="web")
    assert "name" in taken.value.message_dict
    with pytest.raises(ValidationError):
        services.service_update(service=api, name="web")
    api.refresh_from_db()
    assert api.name == "api"
    assert services.service_update(service=web, description="front door").description == "front door"
    edge = services.dependency_create(organization=org_a, source=web, target=api, kind="sync")
    with pytest.raises(ValidationError) as loop:
        services.dependency_create(organization=org_a, source=web, target=web, kind="sync")
    assert "target" in loop.value.message_dict
    with pytest.raises(ValidationError):
        services.dependency_create(organization=org_a, source=web, target=api, kind="async")
    assert list(Dependency.objects.filter(organization=org_a)) == [edge]
