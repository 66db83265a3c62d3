"""The event path with a real Celery worker: webhooks in, the worker correlates, a link is stored."""

import time

import pytest

from apps.changes.models import ChangeCorrelation
from tests.alerts.factories import IntegrationFactory
from tests.changes.conftest import alertmanager_body, post_alert, post_change
from tests.changes.factories import ChangeSourceFactory
from tests.changes.test_correlation import ALERT_AT, FRIDAY_DEPLOY


def _wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


@pytest.mark.slow
def test_worker_correlates_a_deploy_with_the_alert_after_it(celery_worker_process, client, org_a):
    source = ChangeSourceFactory(organization=org_a)
    integration = IntegrationFactory(organization=org_a)
    assert post_change(client, source, FRIDAY_DEPLOY).status_code == 202
    assert post_alert(client, integration, alertmanager_body(starts_at=ALERT_AT)).status_code == 202
    assert _wait_for(lambda: ChangeCorrelation.objects.exists()), celery_worker_process.log()[-3000:]
    link = ChangeCorrelation.objects.get()
    assert link.confidence == pytest.approx(0.95) and link.factors["service"]["match"] == "same"
