"""The plan's API endpoints, the portal pages (dashboard order, SVG chart, report downloads), tenancy."""
import re

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from apps.capacity import services
from apps.capacity.models import CapacityReport, ResourceQuery
from apps.metrics.client import Series
from tests.capacity.factories import ResourceQueryFactory
from tests.metrics.factories import MetricSourceFactory

pytestmark = pytest.mark.django_db
GB = 1e9


def _rows(now, *, days=21, step=3600):
    """db-primary: a 500 GB disk at 57 % growing 1.2 points a day; web-1: flat at 40 %."""
    t = now - step * np.arange(days * 24)[::-1]
    grow = 500 * GB * (0.57 + 0.012 * (t - t[0]) / 86400)
    flat = np.full(len(t), 200 * GB)
    cap = [500 * GB] * len(t)
    return [(Series({"instance": name, "mountpoint": "/"}, list(t), list(v)), list(t), list(v), cap)
            for name, v in (("db-primary", grow), ("web-1", flat))]


@pytest.fixture
def resources(org_a):
    query = ResourceQueryFactory(organization=org_a, name="Disk", kind="disk", unit="bytes", step_seconds=3600)
    return services.scan_rows(query=query, rows=_rows(timezone.now().timestamp()))


def test_dashboard_sorted_by_days_to_exhaustion_and_resource_chart(resources, users_a, client):
    client.force_login(users_a["viewer"])
    page = client.get(reverse("capacity:index")).content.decode()
    assert page.index("db-primary") < page.index("web-1") and 'class="sparkline"' in page
    grow = next(r for r in resources if r.resource_name.startswith("db-primary"))
    detail = client.get(reverse("capacity:resource", kwargs={"pk": grow.pk})).content.decode()
    assert "<svg" in detail and 'class="threshold"' in detail and 'class="band"' in detail
    assert "P50" in detail


def test_recommendation_says_how_many_gb(resources):
    grow = next(r for r in resources if r.resource_name.startswith("db-primary"))
    level = grow.trend_line["level"]
    assert grow.growth_per_day == pytest.approx(1.2, rel=0.01)
    # (level + 1.2 × 90) / 0.8 × 500 GB − 500 GB, level ≈ 57 + 1.2 × 20.96
    expected = (max(level, grow.usage_percent) + grow.growth_per_day * 90) / 80 * 500 - 500
    from apps.capacity.recommend import recommendation

    text = recommendation(grow, warning=80)
    amount = float(re.search(r"Add ([\d,]+) GB to stay below 80 % for 90 days", text).group(1).replace(",", ""))
    assert amount == pytest.approx(expected, abs=1) and 650 < amount < 720


def test_api_endpoints(resources, org_a, org_b, users_a, users_b, api_client_for):
    api = api_client_for(users_a["viewer"], org_a)
    listing = api.get("/api/v1/capacity/metrics").json()["results"]
    assert [r["resource_name"] for r in listing][0].startswith("db-primary")
    assert len(api.get("/api/v1/capacity/metrics/disk").json()["results"]) == 2
    assert api.get("/api/v1/capacity/metrics/cpu").json()["results"] == []
    assert api.get("/api/v1/capacity/metrics/nope").status_code == 404
    grow = next(r for r in resources if r.resource_name.startswith("db-primary"))
    forecast = api.get(f"/api/v1/capacity/forecast/{grow.pk}").json()
    assert forecast["eta"]["90"]["p50"] > 0 and len(forecast["points"]) == 90
    recs = api.get("/api/v1/capacity/recommendations").json()
    assert recs["summary"]["attention"] == 1 and recs["results"][0]["resource"].startswith("db-primary")
    assert api.post("/api/v1/capacity/reports", {}, format="json").status_code == 403  # viewers read only
    operator = api_client_for(users_a["operator"], org_a)
    made = operator.post("/api/v1/capacity/reports", {"report_type": "on_demand"}, format="json")
    assert made.status_code == 201 and made.json()["report_data"]["summary"]["total"] == 2
    assert operator.post("/api/v1/capacity/reports", {"report_type": "yearly"}, format="json").status_code == 400
    rid = made.json()["id"]
    assert api.get(f"/api/v1/capacity/reports/{rid}").status_code == 200
    assert len(api.get("/api/v1/capacity/reports").json()["results"]) == 1
    other = api_client_for(users_b["viewer"], org_b)
    assert other.get(f"/api/v1/capacity/reports/{rid}").status_code == 404
    assert other.get(f"/api/v1/capacity/forecast/{grow.pk}").status_code == 404
    assert other.get("/api/v1/capacity/metrics").json()["results"] == []


def test_query_defaults_and_bad_input(org_a, org_b, users_a, api_client_for):
    source = MetricSourceFactory(organization=org_a)
    foreign = MetricSourceFactory(organization=org_b)
    api = api_client_for(users_a["admin"], org_a)
    made = api.post("/api/v1/capacity/queries", {"name": "pg", "kind": "db_connections", "source": source.pk},
                    format="json")
    assert made.status_code == 201, made.json()
    row = ResourceQuery.objects.get(pk=made.json()["id"])
    assert "pg_stat_activity_count" in row.usage_query and "pg_settings_max_connections" in row.capacity_query
    assert api.post("/api/v1/capacity/queries", {"name": "x", "kind": "disk", "source": foreign.pk},
                    format="json").status_code == 400
    bad = api.post("/api/v1/capacity/thresholds", {"name": "t", "warning_threshold": 95, "critical_threshold": 90},
                   format="json")
    assert bad.status_code == 400
    assert api.post("/api/v1/capacity/thresholds", {"name": "t", "notify_channels": "x"},
                    format="json").status_code == 400


def test_report_page_and_downloads(resources, org_a, users_a, client):
    client.force_login(users_a["operator"])
    response = client.post(reverse("capacity:report-create"))
    report = CapacityReport.objects.get(organization=org_a)
    assert response.status_code == 302
    page = client.get(reverse("capacity:report", kwargs={"pk": report.pk})).content.decode()
    assert "CAPACITY REPORT" in page and "db-primary" in page and "GB to stay below 80 %" in page
    csv = client.get(reverse("capacity:report-download", kwargs={"pk": report.pk, "fmt": "csv"}))
    assert csv["Content-Type"].startswith("text/csv") and b"db-primary" in csv.content
    md = client.get(reverse("capacity:report-download", kwargs={"pk": report.pk, "fmt": "md"}))
    assert b"## SUMMARY" in md.content
    assert client.get(reverse("capacity:report-download", kwargs={"pk": report.pk, "fmt": "exe"})).status_code == 404
