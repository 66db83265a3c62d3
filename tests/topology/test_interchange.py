"""The topology file: validation with line numbers, no partial writes, export → import round trip."""

import pytest

from apps.topology.interchange import TopologyFileError, load
from apps.topology.models import Dependency, Service
from apps.topology.selectors import topology_document
from apps.topology.services import topology_import
from tests.tenancy.factories import TeamFactory
from tests.topology.factories import DependencyFactory, ServiceFactory

GOOD = """\
version: 1
services:
  - name: web
    type: web
    tier: tier1
    team: payments
  - name: api
    type: api
    health_check_url: https://api.example.com/healthz
    labels: {owner: shop}
  - name: database
    type: database
dependencies:
  - source: web
    target: api
  - source: api
    target: database
    kind: database
    criticality: critical
"""


def problems(text, fmt=None):
    with pytest.raises(TopologyFileError) as exc:
        load(text, fmt)
    return [(p.line, p.path, p.message) for p in exc.value.problems]


def test_every_problem_is_reported_with_its_line():
    text = """\
services:
  - name: web
    type: webb
  - name: api
    colour: blue
  - type: cache
  - name: web
dependencies:
  - source: web
    target: web
  - source: web
    kind: sometimes
"""
    found = problems(text)
    assert (
        3,
        "services[0].type",
        "'webb' is not one of: api, web, worker, database, cache, queue, storage, network, external, other",
    ) in found
    assert any(
        line == 5 and path == "services[1].colour" and "unknown field" in msg for line, path, msg in found
    )
    assert (6, "services[2].name", "is required") in found
    assert any(line == 7 and "already defined at services[0]" in msg for line, _p, msg in found)
    assert any(line == 9 and "cannot depend on itself" in msg for line, _p, msg in found)
    assert (11, "dependencies[1].target", "is required") in found
    assert any(line == 12 and "sometimes" in msg for line, _p, msg in found)


def test_syntax_errors_name_the_line():
    [(line, _path, message)] = problems("services:\n  - name: web\n    type: [api\n")
    assert line == 4 and message.startswith("invalid YAML")
    [(line, _path, message)] = problems('{"services": [\n  {"name": "web",}\n]}', "json")
    assert line == 2 and message.startswith("invalid JSON")


def test_json_errors_have_lines_too():
    found = problems('{\n  "services": [\n    {"name": "web", "tier": "gold"}\n  ]\n}')
    assert found == [(3, "services[0].tier", "'gold' is not one of: tier1, tier2, tier3")]


@pytest.mark.django_db
def test_import_creates_and_merges(org_a):
    TeamFactory(organization=org_a, slug="payments")
    result = topology_import(organization=org_a, spec=load(GOOD))
    assert result.created == {"services": 3, "dependencies": 2}
    web = Service.objects.get(organization=org_a, name="web")
    assert web.team.slug == "payments" and web.tier == "tier1" and web.discovered_from == "import"
    assert Dependency.objects.get(source__name="api").kind == "database"
    again = topology_import(organization=org_a, spec=load(GOOD))
    assert again.created == {"services": 0, "dependencies": 0} and again.updated["services"] == 3


@pytest.mark.django_db
def test_bad_reference_changes_nothing(org_a):
    ServiceFactory(organization=org_a, name="keep", environment="")
    text = GOOD.replace("team: payments", "team: nobody") + "  - source: api\n    target: ghost\n"
    with pytest.raises(TopologyFileError) as exc:
        topology_import(organization=org_a, spec=load(text))
    messages = [str(p) for p in exc.value.problems]
    assert any("line 6" in m and "no team with slug 'nobody'" in m for m in messages), messages
    assert any("line 21" in m and "target 'ghost'" in m for m in messages), messages
    assert list(Service.objects.for_org(org_a).values_list("name", flat=True)) == ["keep"]


@pytest.mark.django_db
def test_replace_deletes_what_the_file_omits_and_dry_run_keeps_nothing(org_a):
    TeamFactory(organization=org_a, slug="payments")
    DependencyFactory(
        organization=org_a,
        source=ServiceFactory(organization=org_a, name="old-a"),
        target=ServiceFactory(organization=org_a, name="old-b"),
    )
    dry = topology_import(organization=org_a, spec=load(GOOD), replace=True, dry_run=True)
    assert dry.deleted == {"services": 2, "dependencies": 1} and dry.dry_run
    assert Service.objects.for_org(org_a).filter(name="old-a").exists()
    topology_import(organization=org_a, spec=load(GOOD), replace=True)
    assert sorted(Service.objects.for_org(org_a).values_list("name", flat=True)) == ["api", "database", "web"]


@pytest.mark.django_db
def test_export_then_import_round_trips(org_a, org_b):
    from apps.topology.interchange import dump

    TeamFactory(organization=org_a, slug="payments")
    topology_import(organization=org_a, spec=load(GOOD))
    ServiceFactory(organization=org_a, name="api", environment="staging")  # a name in two environments
    document = topology_document(organization=org_a)
    TeamFactory(organization=org_b, slug="payments")
    for fmt in ("yaml", "json"):
        topology_import(organization=org_b, spec=load(dump(document, fmt), fmt), replace=True)
        assert topology_document(organization=org_b) == document


@pytest.mark.django_db
def test_ambiguous_names_need_an_environment(org_a):
    ServiceFactory(organization=org_a, name="api", environment="production")
    ServiceFactory(organization=org_a, name="api", environment="staging")
    ServiceFactory(organization=org_a, name="web", environment="production")
    with pytest.raises(TopologyFileError) as exc:
        topology_import(organization=org_a, spec=load("dependencies:\n  - source: web\n    target: api\n"))
    assert "several environments" in str(exc.value)
    topology_import(
        organization=org_a,
        spec=load("dependencies:\n  - source: web\n    target: api\n    environment: production\n"),
    )
    assert Dependency.objects.get().target.environment == "production"


@pytest.mark.django_db
def test_saving_a_dependency_clears_the_cached_graph_at_once(org_a, settings):
    """The save signal must outlive ready() (a weakly connected local function would not)."""
    import gc

    from apps.topology import graph
    from apps.topology.models import Dependency, Service

    settings.TOPOLOGY_GRAPH_CACHE_SECONDS = 3600
    api = Service.objects.create(organization=org_a, name="api-x")
    db = Service.objects.create(organization=org_a, name="db-x")
    before = graph.graph_for(org_a)
    gc.collect()
    Dependency.objects.create(organization=org_a, source=api, target=db)
    after = graph.graph_for(org_a)
    assert after is not before
