"""Alertmanager HA pairs post the same batch at the same moment: one alert each, never two, no errors."""
import copy
import json
import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from apps.alerts.models import Alert
from tests.alerts.factories import IntegrationFactory
from tests.alerts.test_ingest import contract


@pytest.mark.django_db(transaction=True)
def test_simultaneous_identical_batches_create_each_alert_once(org_a):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time; the race needs PostgreSQL")
    integration = IntegrationFactory(organization=org_a)
    body = contract("firing.json")
    template = body["alerts"][0]
    body["alerts"] = []
    for i in range(50):
        item = copy.deepcopy(template)
        item["labels"]["instance"] = f"node-{i}:9100"
        item["fingerprint"] = f"{i:016x}"
        body["alerts"].append(item)
    raw = json.dumps(body)
    url = reverse("alertmanager-hook", kwargs={"token": integration.token})
    start = threading.Barrier(6)
    statuses = []

    def post():
        try:
            start.wait()
            statuses.append(Client().post(url, data=raw, content_type="application/json").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [202] * 6
    assert Alert.objects.filter(integration=integration).count() == 50
    assert set(Alert.objects.values_list("receive_count", flat=True)) == {6}
