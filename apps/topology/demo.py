"""Demo data for `make run`: the network-switch example's service graph.

Imported through the same parser and service as a user's YAML file, before the alert storm is
seeded, so the demo incident names the database as root cause by the dependency graph (with the
failing dependents as evidence), not merely because its alert came first. Idempotent.
"""

from .interchange import parse, validate
from .models import Dependency
from .services import topology_import

DEMO_TOPOLOGY = """\
version: 1
services:
  - {name: web, environment: production, type: web, tier: tier1}
  - {name: api-gateway, environment: production, type: api, tier: tier1}
  - {name: payment, environment: production, type: api, tier: tier1}
  - {name: user-service, environment: production, type: api, tier: tier2}
  - {name: database, environment: production, type: database, tier: tier1}
  - {name: cache, environment: production, type: cache, tier: tier2}
dependencies:
  - {source: web, target: api-gateway, environment: production, kind: sync, criticality: critical}
  - {source: api-gateway, target: database, environment: production, kind: database, criticality: critical}
  - {source: api-gateway, target: cache, environment: production, kind: cache, criticality: degraded}
  - {source: payment, target: database, environment: production, kind: database, criticality: critical}
  - {source: user-service, target: database, environment: production, kind: database, criticality: critical}
"""


def seed(organization, users) -> None:
    if Dependency.objects.for_org(organization).exists():
        return
    data, lines = parse(DEMO_TOPOLOGY, "yaml")
    topology_import(organization=organization, spec=validate(data, lines))
