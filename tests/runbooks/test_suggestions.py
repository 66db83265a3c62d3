"""The runbook suggester turns an analysis's runbook hint into a runbook that exists."""
import pytest

from apps.analysis.runbook_hooks import suggest_runbook
from apps.analysis.subjects import Subject
from tests.alerts.factories import AlertFactory
from tests.runbooks.factories import RunbookFactory, simple_definition

pytestmark = pytest.mark.django_db


def test_hint_naming_an_existing_runbook_links_to_it(org_a, org_b):
    alert = AlertFactory(organization=org_a, name="DiskFull", severity="warning")
    RunbookFactory(organization=org_b, name="rollback-deployment")  # another organisation's: never offered
    offered = suggest_runbook(subject=Subject.for_alert(alert), analysis={"suggested_runbook": "rollback-deployment"})
    assert offered["matched"] is False
    mine = RunbookFactory(organization=org_a, name="Rollback deployment")
    found = suggest_runbook(subject=Subject.for_alert(alert), analysis={"suggested_runbook": "rollback-deployment"})
    assert found["matched"] is True and found["id"] == mine.pk and found["url"].endswith(f"/runbooks/{mine.pk}/")


def test_without_a_named_match_a_runbook_whose_trigger_matches_is_offered(org_a):
    alert = AlertFactory(organization=org_a, name="HighErrorRate", severity="critical")
    runbook = RunbookFactory(organization=org_a, name="Restart API", definition=simple_definition("Restart API"))
    found = suggest_runbook(subject=Subject.for_alert(alert), analysis={"suggested_runbook": "something-else"})
    assert found["id"] == runbook.pk and "trigger" in found["reason"]
