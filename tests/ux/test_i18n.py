"""German (#16): locale/de is committed (.po and compiled .mo), AIOPS_LANGUAGE=de and the header's
language switcher both give a German portal."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "de" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

PROBE = """
import django
django.setup()
from django.conf import settings
from django.utils import translation
translation.activate(settings.LANGUAGE_CODE)
print(settings.LANGUAGE_CODE, translation.gettext("Dashboard"), translation.gettext("Incidents"))
"""


def test_aiops_language_de_sets_the_default_language():
    env = {**os.environ, "AIOPS_LANGUAGE": "de", "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60, check=True).stdout.strip().splitlines()[-1]
    assert out == "de Übersicht Vorfälle"


def test_catalogue_has_no_fuzzy_entries_and_the_mo_is_compiled_from_it(tmp_path):
    text = PO.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text  # a fuzzy header would drop Plural-Forms from the .mo
    assert '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"' in text
    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt (gettext) missing")
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(PO)], check=True)
    assert fresh.read_bytes() == MO.read_bytes(), "run `make messages` and commit locale/de/LC_MESSAGES/django.mo"


@pytest.mark.django_db
def test_default_language_de_renders_the_portal_in_german(client, users_a, settings):
    settings.LANGUAGE_CODE = "de"  # what AIOPS_LANGUAGE=de sets (config/settings/base.py)
    client.force_login(users_a["viewer"])
    html = client.get("/").content.decode()
    assert '<html lang="de">' in html
    for german in ("Übersicht", "Vorfälle", "Aktive Alerts", "Sprache"):
        assert german in html, german
    client.logout()
    login = client.get("/accounts/login/").content.decode()
    assert "Benutzername" in login and "Passwort" in login and "Anmelden" in login


@pytest.mark.django_db
def test_language_switcher_switches_to_german_and_back(client, users_a):
    client.force_login(users_a["viewer"])
    english = client.get("/alerts/").content.decode()
    assert 'id="language-switcher"' in english and "Dashboard" in english and "Übersicht" not in english
    response = client.post("/i18n/setlang/", {"language": "de", "next": "/alerts/"})
    assert response.status_code == 302 and response["Location"] == "/alerts/"
    german = client.get("/alerts/").content.decode()
    assert "Übersicht" in german and "Filtern" in german and "Zurücksetzen" in german
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Dashboard" in client.get("/").content.decode()
