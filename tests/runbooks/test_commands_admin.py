"""`manage.py runbooks import/export` and the admin's YAML editor (same schema, same line errors)."""

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.urls import reverse

from apps.runbooks.models import Runbook

from .conftest import DATA, spec_yaml

pytestmark = pytest.mark.django_db


def test_import_directory_then_export(org_a, users_a, tmp_path, capsys):
    call_command("runbooks", "import", str(DATA), "--org", org_a.slug, "--user", users_a["admin"].username)
    out = capsys.readouterr().out
    # Both spec examples share the slug "restart-service": the second file updates the first.
    assert "created   restart-service (v1)" in out and "updated   restart-service (v2)" in out
    runbook = Runbook.objects.get()
    assert [v.created_by for v in runbook.versions.all()] == [users_a["admin"]] * 2
    call_command("runbooks", "export", "--org", org_a.slug, "--out", str(tmp_path / "out"))
    written = (tmp_path / "out" / "restart-service.yaml").read_text()
    assert yaml.safe_load(written)["steps"][0]["command_linux"] == "systemctl status {{service_name}}"
    call_command("runbooks", "import", str(tmp_path / "out"), "--org", org_a.slug)
    assert "unchanged restart-service" in capsys.readouterr().out


def test_import_reports_every_broken_file_with_lines_and_imports_nothing(org_a, tmp_path):
    (tmp_path / "good.yaml").write_text(spec_yaml())
    (tmp_path / "bad.yml").write_text("name: Bad\nsteps:\n  - name: a\n    command: ls\n    retries: many\n")
    with pytest.raises(CommandError) as info:
        call_command("runbooks", "import", str(tmp_path), "--org", org_a.slug)
    assert f"{tmp_path / 'bad.yml'}: line 5: steps[0].retries must be an integer" in str(info.value)
    assert not Runbook.objects.exists()
    with pytest.raises(CommandError, match="no organisation"):
        call_command("runbooks", "import", str(tmp_path), "--org", "nope")


def test_admin_edits_yaml_with_line_numbered_errors(client, org_a, users_a, import_yaml):
    runbook = import_yaml(spec_yaml())
    admin = users_a["admin"]
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    url = reverse("admin:runbooks_runbook_change", args=[runbook.pk])
    page = client.get(url)
    assert (
        page.status_code == 200
        and "command_linux: systemctl restart {{service_name}}" in page.content.decode()
    )
    broken = spec_yaml().replace("timeout_seconds: 60", "timeout_seconds: sixty")
    response = client.post(
        url, {"yaml_text": broken, "team": "", "versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0"}
    )
    assert response.status_code == 200
    assert "line 30: steps[1].timeout_seconds must be an integer" in response.content.decode()
    changed = spec_yaml().replace("cooldown_minutes: 15", "cooldown_minutes: 20")
    response = client.post(
        url, {"yaml_text": changed, "team": "", "versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    runbook.refresh_from_db()
    assert runbook.version == 2 and runbook.execution["cooldown_minutes"] == 20
    assert runbook.versions.get(number=2).source == "admin"


def test_admin_adds_a_runbook_from_yaml_and_refuses_a_taken_slug(client, org_a, users_a):
    admin = users_a["admin"]
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    url = reverse("admin:runbooks_runbook_add")
    form = {"yaml_text": spec_yaml(), "team": "", "versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0"}
    assert client.post(url, form).status_code == 302
    runbook = Runbook.objects.get()
    assert (runbook.organization, runbook.created_by, runbook.versions.get().source) == (
        org_a,
        admin,
        "admin",
    )
    again = client.post(url, form)
    assert again.status_code == 200 and "is already used by another runbook" in again.content.decode()
    assert Runbook.objects.count() == 1
