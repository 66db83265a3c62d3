"""Every absolute link comes from one public base URL (aiops/links.py): AIOPS_BASE_URL, else
http://<AIOPS_BIND>. Issue #16: `AIOPS_BIND=127.0.0.1:18200 make run` wrote :8000 into the
webhook URL, the Alertmanager snippet, notification and timeline links."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import transaction

from aiops import events
from aiops.links import absolute_reverse, absolute_url
from apps.alerts import selectors as alert_selectors
from apps.alerts.summary import alert_summary
from apps.incidents.summary import incident_url
from apps.timeline.models import TimelineEntry
from tests.alerts.factories import AlertFactory, IntegrationFactory
from tests.incidents.factories import IncidentFactory

ROOT = Path(__file__).resolve().parents[2]
BASE = "http://127.0.0.1:18200"

PROBE = """
import json, django
django.setup()
from django.conf import settings
from aiops.links import absolute_reverse
print(json.dumps({"base": settings.AIOPS_BASE_URL,
                  "alert": absolute_reverse("alerts:detail", kwargs={"pk": 7})}))
"""


def _settings_in_fresh_process(**env):
    clean = {k: v for k, v in os.environ.items() if k not in ("AIOPS_BIND", "AIOPS_BASE_URL")}
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings.base")
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_base_url_follows_the_bind_address_unless_set_explicitly():
    assert _settings_in_fresh_process() == {"base": "http://127.0.0.1:8000",
                                           "alert": "http://127.0.0.1:8000/alerts/7/"}
    assert _settings_in_fresh_process(AIOPS_BIND="127.0.0.1:18200") == {
        "base": BASE, "alert": BASE + "/alerts/7/"}
    explicit = _settings_in_fresh_process(AIOPS_BIND="127.0.0.1:18200",
                                          AIOPS_BASE_URL="https://aiops.example.com/")
    assert explicit == {"base": "https://aiops.example.com", "alert": "https://aiops.example.com/alerts/7/"}


def test_helper_joins_paths(settings):
    settings.AIOPS_BASE_URL = BASE + "/"
    assert absolute_url("/x/") == BASE + "/x/"
    assert absolute_url("x/") == BASE + "/x/"
    assert absolute_reverse("incidents:detail", kwargs={"pk": 3}) == BASE + "/incidents/3/"


@pytest.mark.django_db
def test_webhook_url_snippet_event_links_and_timeline_use_the_base(settings, org_a, django_capture_on_commit_callbacks):
    settings.AIOPS_BASE_URL = BASE
    integration = IntegrationFactory(organization=org_a)
    url = alert_selectors.integration_webhook_url(integration)
    assert url.startswith(BASE + "/hooks/alertmanager/")
    snippet = alert_selectors.integration_alertmanager_snippet(integration)
    assert f'url: "{url}"' in snippet and ":8000" not in snippet

    alert = AlertFactory(organization=org_a, integration=integration)
    assert alert_summary(alert)["url"] == f"{BASE}/alerts/{alert.pk}/"  # what notifications link to
    assert incident_url(IncidentFactory(organization=org_a)).startswith(BASE + "/incidents/")

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.publish("alert.received", org=org_a, subject=alert, source="alertmanager", is_new=True,
                       **alert_summary(alert))
    entry = TimelineEntry.objects.get(alert_id=alert.pk, kind="alert.received")
    assert entry.source_url == f"{BASE}/alerts/{alert.pk}/"


@pytest.mark.django_db
def test_admin_integration_page_shows_the_bound_port(settings, client, org_a, users_a):
    settings.AIOPS_BASE_URL = BASE
    integration = IntegrationFactory(organization=org_a)
    client.force_login(users_a["admin"])
    page = client.get(f"/admin/alerts/integration/{integration.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert BASE + "/hooks/alertmanager/" in html and "127.0.0.1:8000" not in html
