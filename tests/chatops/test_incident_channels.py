"""Incident channels: a new incident at or above the workspace's severity gets #inc-<n>-<slug>, once."""
import pytest

from apps.chatops import channels
from apps.chatops.models import IncidentChannel
from apps.incidents.services import incident_create
from tests.oncall.factories import LayerFactory, ScheduleFactory
from tests.support import slack as contract
from tests.tenancy.factories import TeamFactory

from .factories import ChatIdentityFactory


@pytest.fixture
def web_api(http_stub, workspace):
    stub = http_stub(name="slack-web-api")
    stub.validate(contract.web_api)
    stub.set_default(200, json={"ok": True})
    workspace.api_url = stub.url + "/api/"
    workspace.incident_channel_severity = "critical"
    workspace.save()
    return stub


def _answers(stub, name="inc-1"):
    stub.respond(200, json={"ok": True, "channel": {"id": "C0INC1", "name": name}},
                 path="/api/conversations.create")
    stub.respond(200, json={"ok": True, "channel": "C0INC1", "ts": "1700000000.000100"},
                 path="/api/chat.postMessage")


def _calls(stub):
    return [r.path[len("/api/"):] for r in stub.requests]


def _declare(django_capture_on_commit_callbacks, org, user, title, severity="critical", team=None):
    with django_capture_on_commit_callbacks(execute=True):
        return incident_create(organization=org, user=user, title=title, severity=severity, team=team)


def test_channel_name_is_slack_safe():
    assert channels.channel_name(42, "Payments API is DOWN (eu-west)!") == "inc-42-payments-api-is-down-eu-west"
    assert channels.channel_name(7, "Café ünïcode — ok", "2") == "inc-7-cafe-unicode-ok-2"
    long = channels.channel_name(123456, "x" * 300, "3")
    assert len(long) == 80 and long.startswith("inc-123456-xxx") and long.endswith("-3")
    assert channels.channel_name(3, "!!!") == "inc-3"


def test_critical_incident_opens_a_channel_invites_responders_and_pins_the_card(
        web_api, workspace, org_a, users_a, django_capture_on_commit_callbacks):
    team = TeamFactory(organization=org_a)
    oncall = users_a["admin"]
    LayerFactory(organization=org_a, schedule=ScheduleFactory(organization=org_a, team=team),
                 participants=[oncall.pk])
    ChatIdentityFactory(organization=org_a, workspace=workspace, external_id="UOPERATOR", user=users_a["operator"])
    ChatIdentityFactory(organization=org_a, workspace=workspace, external_id="UADMIN", user=oncall)
    ChatIdentityFactory(organization=org_a, workspace=workspace, external_id="UVIEWER", user=users_a["viewer"])
    _answers(web_api, "inc-1-checkout-is-down")
    incident = _declare(django_capture_on_commit_callbacks, org_a, users_a["operator"], "Checkout is down",
                        team=team)

    web_api.assert_no_contract_errors()
    assert _calls(web_api) == ["conversations.create", "conversations.invite", "chat.postMessage", "pins.add"]
    create, invite, post, pin = web_api.requests
    assert create.header("authorization") == "Bearer xoxb-test"
    assert f"name=inc-{incident.number}-checkout-is-down" in create.text
    assert "C0INC1" in invite.text and "UADMIN" in invite.text and "UOPERATOR" in invite.text
    assert "UVIEWER" not in invite.text  # not an owner, not on call
    assert post.json["channel"] == "C0INC1" and f"#{incident.number} Checkout is down" in post.json["text"]
    assert "1700000000.000100" in pin.text
    link = IncidentChannel.objects.get(incident=incident)
    assert (link.channel_id, link.name, link.workspace_id, link.organization_id) == (
        "C0INC1", "inc-1-checkout-is-down", workspace.pk, org_a.pk)
    assert sorted(link.invited) == ["UADMIN", "UOPERATOR"]


def test_a_redelivered_event_opens_no_second_channel(web_api, org_a, users_a, django_capture_on_commit_callbacks):
    from aiops.models import Event
    from apps.chatops.tasks import open_incident_channels

    _answers(web_api)
    incident = _declare(django_capture_on_commit_callbacks, org_a, users_a["operator"], "Database on fire")
    assert _calls(web_api).count("conversations.create") == 1
    (event,) = [e.payload for e in Event.objects.filter(name="incident.created")
                if e.payload["subject"]["id"] == incident.pk]
    open_incident_channels(event)  # the same event again (a redelivery, or the sweeper)
    open_incident_channels([event])  # and as a batch message
    assert _calls(web_api).count("conversations.create") == 1
    assert IncidentChannel.objects.filter(incident=incident).count() == 1


def test_below_the_threshold_or_switched_off_no_channel(web_api, workspace, org_a, users_a,
                                                        django_capture_on_commit_callbacks):
    _declare(django_capture_on_commit_callbacks, org_a, users_a["operator"], "Just a warning", severity="warning")
    workspace.incident_channel_severity = ""
    workspace.save()
    _declare(django_capture_on_commit_callbacks, org_a, users_a["operator"], "Critical but off")
    assert web_api.requests == [] and not IncidentChannel.objects.exists()


def test_a_taken_name_gets_a_numbered_suffix(web_api, org_a, users_a, django_capture_on_commit_callbacks):
    web_api.respond(200, json={"ok": False, "error": "name_taken"}, path="/api/conversations.create")
    _answers(web_api, "inc-1-disk-full-2")
    incident = _declare(django_capture_on_commit_callbacks, org_a, users_a["operator"], "Disk full")
    names = [r for r in web_api.requests if r.path == "/api/conversations.create"]
    assert len(names) == 2
    assert f"inc-{incident.number}-disk-full-2" in (names[1].text or "")
    assert IncidentChannel.objects.get(incident=incident).name == "inc-1-disk-full-2"
