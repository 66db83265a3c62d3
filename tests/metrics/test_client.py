"""The query client against a real Prometheus (30 days backfilled) and loopback stubs for failures."""
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from apps.metrics import client as prom
from apps.metrics import services
from apps.metrics.client import MetricQueryError, PrometheusClient, choose_step, chunk_ranges
from tests.metrics.factories import MetricSourceFactory

pytestmark = pytest.mark.django_db


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def test_test_connection_against_real_prometheus(prometheus, org_a):
    source = MetricSourceFactory(organization=org_a, url=prometheus.url)
    ok, message = services.source_test_connection(source=source)
    assert ok, message
    assert message.startswith("Connected; version 2.")
    source.refresh_from_db()
    assert source.last_check_ok is True and source.last_checked_at is not None


def test_prometheus_itself_refuses_more_than_11000_points(prometheus):
    end = prometheus.end
    status, body = prometheus.get(f"/api/v1/query_range?query=cpu_percent&start={end - 30 * 86400}&end={end}&step=60")
    assert status == 400 and "11,000" in body["error"]


def test_long_range_is_chunked_under_the_limit_and_stitched(prometheus, org_a):
    source = MetricSourceFactory(organization=org_a, url=prometheus.url, max_concurrency=3)
    end = _at(prometheus.end)
    start = end - timedelta(days=30)
    # 60 s over 30 days is 43,201 points: Prometheus refuses it in one request (test above).
    [series] = PrometheusClient(source).query_range("cpu_percent", start=start, end=end, step=60)
    # 43,201 steps; the first five (start … start + 4 min) precede the first sample (end − 30 d + 5 min) and have no value.
    assert len(series.timestamps) == 43201 - 5
    assert series.timestamps == sorted(set(series.timestamps))
    assert series.labels == {"__name__": "cpu_percent", "instance": "web-1"}
    # The 5-minute samples come back exactly at their own step.
    [coarse] = PrometheusClient(source).query_range("cpu_percent", start=start, end=end, step=300)
    expected = prometheus.series["cpu"][2]
    assert len(coarse.values) == 8640
    assert coarse.values[-1] == pytest.approx(expected[-1], abs=1e-3)


def test_many_series_and_instant_query(prometheus, org_a):
    source = MetricSourceFactory(organization=org_a, url=prometheus.url)
    end = _at(prometheus.end)
    result = PrometheusClient(source).query_range("disk_used_percent", start=end - timedelta(days=1), end=end, step=3600)
    assert sorted(s.labels["pattern"] for s in result) == ["filling", "sawtooth"]
    instant = PrometheusClient(source).query("disk_used_percent", at=end)
    assert len(instant) == 2 and all(len(s.values) == 1 for s in instant)


def test_bad_promql_says_what_failed(prometheus, org_a):
    source = MetricSourceFactory(organization=org_a, url=prometheus.url, name="prom-main")
    end = _at(prometheus.end)
    with pytest.raises(MetricQueryError) as caught:
        PrometheusClient(source).query_range("rate(cpu_percent[5m]", start=end - timedelta(hours=1), end=end, step=60)
    text = str(caught.value)
    assert "prom-main" in text and "HTTP 400" in text and "bad_data" in text and "rate(cpu_percent[5m]" in text


def test_choose_step_and_chunks():
    end = datetime(2026, 1, 31, tzinfo=UTC)
    start = end - timedelta(days=30)
    assert choose_step(start, end, points=2000) == 1800
    chunks = chunk_ranges(start, end, 60, 11000)
    assert len(chunks) == 4
    for (a, b), (c, _d) in zip(chunks, chunks[1:]):
        assert (b - a).total_seconds() / 60 + 1 <= 11000
        assert (c - b).total_seconds() == 60  # no sample fetched twice, none skipped
    assert chunks[-1][1] == end


def test_unreachable_source(org_a):
    source = MetricSourceFactory(organization=org_a, url="http://127.0.0.1:9", name="gone")
    ok, message = services.source_test_connection(source=source)
    assert not ok and "gone" in message and "could not connect" in message


def _matrix(values=((1.0, "1"),)):
    return {"status": "success", "data": {"resultType": "matrix", "result": [{"metric": {"a": "b"}, "values": values}]}}


def test_auth_headers_reach_the_server(http_stub, org_a):
    stub = http_stub(name="mimir")
    stub.set_default(200, json={"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {}, "value": [1, "1"]}]}})

    def contract(req):
        assert req.method == "POST" and req.path == "/prometheus/api/v1/query"
        assert req.header("content-type") == "application/x-www-form-urlencoded"
    stub.validate(contract)
    bearer = MetricSourceFactory(organization=org_a, url=stub.url + "/prometheus", auth_type="bearer",
                                 secret="s3cret", headers={"X-Scope-OrgID": "tenant-1"})
    PrometheusClient(bearer).query("vector(1)")
    basic = MetricSourceFactory(organization=org_a, url=stub.url + "/prometheus", auth_type="basic",
                                username="u", secret="p")
    PrometheusClient(basic).query("vector(1)")
    first, second = stub.wait_for(2)
    assert first.header("authorization") == "Bearer s3cret" and first.header("x-scope-orgid") == "tenant-1"
    assert second.header("authorization") == "Basic dTpw"
    stub.assert_no_contract_errors()


def test_timeout_and_non_json_answers(http_stub, org_a):
    stub = http_stub(name="slow")
    stub.respond(200, json=_matrix(), delay=2.0)
    stub.respond(200, json=_matrix(), delay=2.0)
    source = MetricSourceFactory(organization=org_a, url=stub.url, timeout_seconds=0.5, name="slow-prom")
    end = datetime.now(UTC)
    with pytest.raises(MetricQueryError, match="slow-prom.*timed out after 0.5 s"):
        PrometheusClient(source).query_range("up", start=end - timedelta(hours=1), end=end, step=60)
    html = http_stub(name="html")
    html.set_default(200, body=b"<html>login</html>")
    other = MetricSourceFactory(organization=org_a, url=html.url, name="portal")
    with pytest.raises(MetricQueryError, match="not JSON"):
        PrometheusClient(other).query("up")


def test_concurrency_is_bounded_per_source(http_stub, org_a, settings):
    settings.METRICS_MAX_POINTS_PER_SERIES = 11
    stub = http_stub(name="prom")
    in_flight, peak, lock = [0], [0], threading.Lock()

    def count(req):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.05)
        with lock:
            in_flight[0] -= 1
    stub.validate(count)
    stub.set_default(200, json=_matrix())
    source = MetricSourceFactory(organization=org_a, url=stub.url, max_concurrency=2)
    end = datetime(2026, 1, 1, tzinfo=UTC)
    PrometheusClient(source).query_range("up", start=end - timedelta(minutes=100), end=end, step=60)
    assert len(stub.requests) == 10  # 101 points, 11 per chunk
    assert peak[0] <= 2
    for req in stub.requests:
        params = dict(pair.split("=") for pair in req.text.split("&"))
        points = (float(params["end"]) - float(params["start"])) / 60 + 1
        assert points <= 11


def test_semaphore_is_shared_by_clients_of_one_source(org_a):
    source = MetricSourceFactory(organization=org_a)
    assert prom._semaphore(source) is prom._semaphore(source)
