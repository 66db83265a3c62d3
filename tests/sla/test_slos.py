"""Error-budget SLOs against Debian's real Prometheus, backfilled with request and error counters:
3 days at 0.05 % errors, then the last hour at 2 % (20x the budget of a 99.9 % objective)."""
import shutil
import subprocess
import time
from datetime import UTC, datetime

import numpy as np
import pytest

from apps.alerts.models import Alert
from apps.sla import slos
from apps.sla.models import SLO
from tests.metrics.factories import MetricSourceFactory
from tests.metrics.prometheus import PROMETHEUS_BIN, PROMTOOL_BIN, PrometheusServer, write_openmetrics
from tests.support.net import LOOPBACK, free_port, wait_for_port

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
STEP, DAYS, RPS = 60, 3, 100.0


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    if not (shutil.which(PROMETHEUS_BIN) and shutil.which(PROMTOOL_BIN)):
        pytest.skip("Debian's prometheus is not installed (.ci/system-packages.sh)")
    work = tmp_path_factory.mktemp("slo-prometheus")
    end = float(int(time.time()) // STEP * STEP - 3 * 3600)  # clear of the head block's window
    n = DAYS * 86400 // STEP
    t = end - STEP * np.arange(n)[::-1]
    error_share = np.where(t > end - 3600, 0.02, 0.0005)
    requests = np.cumsum(np.full(n, RPS * STEP))
    errors = np.cumsum(RPS * STEP * error_share)
    write_openmetrics(work / "history.om", {
        "requests": ({"__name__": "slo_requests", "service": "checkout"}, t, requests),
        "errors": ({"__name__": "slo_errors", "service": "checkout"}, t, errors)})
    data = work / "data"
    subprocess.run([PROMTOOL_BIN, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=240h",
                    str(work / "history.om"), str(data)], check=True, capture_output=True, timeout=300)
    config = work / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1h\nscrape_configs: []\n")
    port = free_port()
    log = (work / "prometheus.log").open("w")
    process = subprocess.Popen(
        [PROMETHEUS_BIN, f"--config.file={config}", f"--storage.tsdb.path={data}",
         f"--web.listen-address={LOOPBACK}:{port}", "--storage.tsdb.retention.time=400d"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(LOOPBACK, port, timeout=30)
        server = PrometheusServer(process, f"http://{LOOPBACK}:{port}", end, {})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if server.get("/-/ready")[0] == 200:
                    break
            except Exception:  # noqa: BLE001 - not JSON until ready
                pass
            time.sleep(0.3)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture
def slo(org_a, prometheus):
    source = MetricSourceFactory(organization=org_a, url=prometheus.url)
    return SLO.objects.create(organization=org_a, name="Checkout availability", source=source, objective=99.9,
                              window_days=DAYS, error_query='sum(rate(slo_errors{service="checkout"}[{{.window}}]))',
                              total_query='sum(rate(slo_requests{service="checkout"}[{{.window}}]))')


def test_burn_rates_budget_and_the_page_alert(slo, prometheus):
    at = datetime.fromtimestamp(prometheus.end, UTC)
    evaluation = slos.slo_evaluate(slo=slo, at=at)
    burn = evaluation.burn_rates
    assert burn["5m"] == pytest.approx(20, rel=0.05) and burn["1h"] == pytest.approx(20, rel=0.1)
    assert burn["6h"] == pytest.approx((5 * 0.5 + 20) / 6, rel=0.1)  # 3.75x: below 6x
    assert burn["3d"] == pytest.approx((71 * 0.5 + 20) / 72, rel=0.1)  # 0.77x: below 1x
    # 3 days' budget at 0.77x: about 23 % left.
    assert evaluation.budget_remaining == pytest.approx(1 - (71 * 0.5 + 20) / 72, abs=0.05)
    assert evaluation.firing == {"page": ["1h/5m 14.4x"], "ticket": []}

    assert slos.slo_alert(slo=slo, evaluation=evaluation) == {"page": True, "ticket": False}
    page = Alert.objects.get(organization=slo.organization, labels__sloth_severity="page")
    assert page.status == "firing" and page.severity == "critical" and page.labels["slo"] == slo.name
    assert not Alert.objects.filter(labels__sloth_severity="ticket", status="firing").exists()

    # An hour before the spike nothing burns fast: the page alert resolves.
    calm = slos.slo_evaluate(slo=slo, at=datetime.fromtimestamp(prometheus.end - 3 * 3600, UTC))
    assert calm.firing == {"page": [], "ticket": []} and calm.burn_rates["1h"] == pytest.approx(0.5, rel=0.1)
    slos.slo_alert(slo=slo, evaluation=calm)
    page.refresh_from_db()
    assert page.status == "resolved"


def test_no_traffic_is_no_burn(slo, prometheus):
    slo.error_query = slo.error_query.replace("checkout", "nowhere")
    slo.total_query = slo.total_query.replace("checkout", "nowhere")
    evaluation = slos.slo_evaluate(slo=slo, at=datetime.fromtimestamp(prometheus.end, UTC))
    assert evaluation.budget_remaining is None and set(evaluation.burn_rates.values()) == {None}
    assert evaluation.firing == {"page": [], "ticket": []}
