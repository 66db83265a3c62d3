"""Kubernetes right-sizing against a real Prometheus backfilled with kube-state-metrics and cAdvisor
shaped series (one-minute samples over two days).

Hand computation — three workloads in namespace `shop`:
* Deployment `api` (ReplicaSet api-7d9f, pods …-aaaaa and …-bbbbb), container `app`: CPU counters
  growing 0.2 and 0.3 core-seconds per second, so the p95 of the highest pod is 0.3 cores against a
  1-core request; memory 200 Mi steady and 300 Mi at its peak against a 256 Mi request → at risk,
  recommended memory ceil(300 Mi × 1.15).
* StatefulSet `db` (pod db-0), container `postgres`: 0.5 cores used, 0.25 requested → at risk.
* Deployment `web` (one pod), container `nginx`: 0.05 cores of 0.5 and 100 Mi of 512 Mi → savings
  of 0.45 cores and 512 − 115 Mi.
"""
import math
import time
from datetime import UTC, datetime

import pytest

from apps.capacity import reports, rightsizing
from apps.capacity.exports import report_csv, report_markdown
from tests.metrics.factories import MetricSourceFactory
from tests.metrics.prometheus import have_prometheus, serve_openmetrics

MI = 2**20
STEP = 60
DAYS = 2

PODS = [  # (pod, owner kind, owner, container, cpu cores, memory bytes (steady, peak), cpu request, memory request)
    ("api-7d9f-aaaaa", "ReplicaSet", "api-7d9f", "app", 0.2, (200 * MI, 200 * MI), 1.0, 256 * MI),
    ("api-7d9f-bbbbb", "ReplicaSet", "api-7d9f", "app", 0.3, (200 * MI, 300 * MI), 1.0, 256 * MI),
    ("db-0", "StatefulSet", "db", "postgres", 0.5, (400 * MI, 400 * MI), 0.25, 1024 * MI),
    ("web-5c4b-ccccc", "ReplicaSet", "web-5c4b", "nginx", 0.05, (100 * MI, 100 * MI), 0.5, 512 * MI),
]
REPLICASETS = [("api-7d9f", "Deployment", "api"), ("web-5c4b", "Deployment", "web")]


def _write(path, end):
    n = DAYS * 86400 // STEP
    stamps = [end - STEP * (n - 1 - i) for i in range(n)]
    lines = []
    for name in ("container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
                 "kube_pod_container_resource_requests", "kube_pod_owner", "kube_replicaset_owner"):
        lines.append(f"# TYPE {name} {'counter' if name.endswith('_total') else 'gauge'}")
        for pod, kind, owner, container, cpu, (steady, peak), cpu_req, mem_req in PODS:
            base = f'namespace="shop",pod="{pod}"'
            for i, ts in enumerate(stamps):
                if name == "container_cpu_usage_seconds_total":
                    lines.append(f'{name}{{{base},container="{container}"}} {cpu * STEP * i:.3f} {ts}')
                elif name == "container_memory_working_set_bytes":
                    value = peak if n // 2 <= i < n // 2 + 10 else steady  # a ten-minute peak
                    lines.append(f'{name}{{{base},container="{container}"}} {value} {ts}')
                elif name == "kube_pod_container_resource_requests":
                    lines.append(f'{name}{{{base},container="{container}",resource="cpu",unit="core"}} {cpu_req} {ts}')
                    lines.append(f'{name}{{{base},container="{container}",resource="memory",unit="byte"}} '
                                 f'{mem_req} {ts}')
                elif name == "kube_pod_owner":
                    lines.append(f'{name}{{{base},owner_kind="{kind}",owner_name="{owner}"}} 1 {ts}')
        if name == "kube_replicaset_owner":
            for rs, kind, owner in REPLICASETS:
                lines.extend(f'{name}{{namespace="shop",replicaset="{rs}",owner_kind="{kind}",owner_name="{owner}"}} '
                             f'1 {ts}' for ts in stamps)
    path.write_text("\n".join(lines) + "\n# EOF\n")


@pytest.fixture(scope="module")
def kube_prometheus(tmp_path_factory):
    if not have_prometheus():
        pytest.skip("Debian's prometheus is not installed (.ci/system-packages.sh)")
    work = tmp_path_factory.mktemp("kube-prometheus")
    end = int(time.time()) // STEP * STEP - 3 * 3600
    _write(work / "kube.om", end)
    with serve_openmetrics(work, work / "kube.om") as url:
        yield url, datetime.fromtimestamp(end, UTC)


def _rows(url, end, org):
    source = MetricSourceFactory(organization=org, url=url)
    return {(r.workload, r.container): r for r in rightsizing.analyse(source, end=end, days=DAYS)}


@pytest.mark.django_db
def test_requests_against_usage_per_workload_match_the_hand_computation(kube_prometheus, org_a):
    url, end = kube_prometheus
    rows = _rows(url, end, org_a)
    assert set(rows) == {("api", "app"), ("db", "postgres"), ("web", "nginx")}
    api, db, web = rows["api", "app"], rows["db", "postgres"], rows["web", "nginx"]
    assert (api.kind, api.pods, db.kind, web.kind) == ("Deployment", 2, "StatefulSet", "Deployment")
    assert api.cpu_p95 == pytest.approx(0.3, rel=0.01) and api.cpu_request == 1.0
    assert api.memory_max == 300 * MI and api.memory_request == 256 * MI
    assert api.memory_recommended == math.ceil(300 * MI * 1.15)
    assert api.verdict == "risk"  # memory over its request, although CPU is generous
    assert db.cpu_p95 == pytest.approx(0.5, rel=0.01) and db.verdict == "risk"
    assert web.verdict == "savings"
    assert web.cpu_delta == pytest.approx(0.45, rel=0.02)
    assert web.memory_delta == 512 * MI - math.ceil(100 * MI * 1.15)


@pytest.mark.django_db
def test_the_report_carries_the_rightsizing_section(kube_prometheus, org_a, client, users_a, settings):
    url, end = kube_prometheus
    settings.CAPACITY_RIGHTSIZING_DAYS = DAYS
    MetricSourceFactory(organization=org_a, url=url)
    report = reports.report_generate(organization_id=org_a.pk, report_type="on_demand", now=end)
    sized = report.report_data["rightsizing"]
    assert sized["at_risk"] == 2 and len(sized["rows"]) == 3
    # savings over all pods: api 2 × (1 − 0.3) + web 0.45 cores
    assert sized["savings"]["cpu_cores"] == pytest.approx(2 * 0.7 + 0.45, rel=0.02)
    markdown = report_markdown(report)
    assert "KUBERNETES RIGHT-SIZING" in markdown and "| shop/api | app | 2 | 1000m → 300m → 300m |" in markdown
    assert "rightsizing,shop/db/postgres" in report_csv(report)
    client.force_login(users_a["owner"])
    page = client.get(f"/capacity/reports/{report.pk}/").content.decode()
    assert 'id="rightsizing"' in page and "shop/web" in page


@pytest.mark.django_db
def test_a_source_without_kubernetes_series_adds_no_section(prometheus, org_a):
    MetricSourceFactory(organization=org_a, url=prometheus.url)
    report = reports.report_generate(organization_id=org_a.pk, report_type="on_demand",
                                     now=datetime.fromtimestamp(prometheus.end, UTC))
    assert "rightsizing" not in report.report_data
