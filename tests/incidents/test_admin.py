"""Admin pages an organisation admin uses: incident (with its alerts inline), correlation settings."""

import pytest
from django.urls import reverse

from apps.incidents.locking import config_for
from apps.incidents.models import Incident

pytestmark = pytest.mark.django_db


def test_admin_pages_render_for_an_org_admin(org_a, users_a, make_alert, correlate, topology, client):
    topology({"api": ["db"]})
    correlate(make_alert("api", at=0), make_alert("db", at=3, severity="critical"))
    incident = Incident.objects.get()
    config = config_for(org_a.pk)
    admin = users_a["admin"]
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    page = client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "is a dependency of api" in html, html[html.find("Topology") :][:300]
    settings_page = client.get(reverse("admin:incidents_correlationconfig_change", args=[config.pk]))
    assert settings_page.status_code == 200
    form = settings_page.context["adminform"].form
    assert "organization" not in form.fields
    data = {name: form.initial.get(name) for name in form.fields}
    data.update(window_minutes=7, label_keys='["pod"]', reopen_window_minutes=0, topology_max_hops=3)
    data = {k: v for k, v in data.items() if v is not None and v is not False}
    response = client.post(reverse("admin:incidents_correlationconfig_change", args=[config.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    config.refresh_from_db()
    assert config.window_minutes == 7 and config.label_keys == ["pod"]
    api = incident.root_cause_service.dependents.get().source
    service_page = client.get(reverse("admin:topology_service_change", args=[api.pk]))
    assert service_page.status_code == 200 and "dependencies-TOTAL_FORMS" in service_page.content.decode()
