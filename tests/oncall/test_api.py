"""REST API: schedules, layers, overrides, who is on call, shifts, my shifts, feeds."""
import pytest

from apps.oncall.models import Layer, Override

pytestmark = pytest.mark.django_db


def test_create_a_schedule_with_layers_and_ask_who_is_on_call(api_client_for, org_a, users_a):
    client = api_client_for(users_a["admin"], org_a)
    schedule = client.post("/api/v1/oncall/schedules/", {"name": "DB", "time_zone": "America/New_York"},
                           format="json")
    assert schedule.status_code == 201, schedule.json()
    sid = schedule.json()["id"]
    layer = client.post("/api/v1/oncall/layers/", {
        "schedule": sid, "name": "weekly", "shift_unit": "weeks", "shift_length": 1, "start_date": "2026-03-02",
        "handoff_time": "09:00", "handoff_weekday": 0,
        "participants": [users_a["operator"].pk, users_a["viewer"].pk]}, format="json")
    assert layer.status_code == 201, layer.json()
    now = client.get(f"/api/v1/oncall/schedules/{sid}/oncall", {"at": "2026-03-10T12:00:00Z"}).json()
    assert [p["user"] for p in now["oncall"]] == [users_a["viewer"].pk]
    assert now["oncall"][0]["user_name"] == "a-viewer"
    shifts = client.get(f"/api/v1/oncall/schedules/{sid}/shifts",
                        {"from": "2026-03-02T00:00:00Z", "to": "2026-03-30T00:00:00Z"}).json()["shifts"]
    # 09:00 New York is 14:00 UTC before 8 March (EST) and 13:00 UTC after (EDT).
    assert [s["start"][:16] for s in shifts] == ["2026-03-02T14:00", "2026-03-09T13:00", "2026-03-16T13:00",
                                                 "2026-03-23T13:00"]
    assert client.get(f"/api/v1/oncall/schedules/{sid}/gaps").status_code == 200
    assert client.get(f"/api/v1/oncall/schedules/{sid}/shifts", {"from": "yesterday"}).status_code == 400
    mine = api_client_for(users_a["viewer"], org_a).get(
        "/api/v1/oncall/users/me/shifts", {"from": "2026-03-02T00:00:00Z", "to": "2026-03-30T00:00:00Z"}).json()
    assert [s["start"][:10] for s in mine["shifts"]] == ["2026-03-09", "2026-03-23"]
    assert mine["shifts"][0]["schedule_name"] == "DB"


def test_bad_input_is_a_400_that_changes_nothing(api_client_for, org_a, users_a, users_b, payments):
    client = api_client_for(users_a["admin"], org_a)
    before = Layer.objects.count()
    outsider = client.post("/api/v1/oncall/layers/", {
        "schedule": payments.pk, "name": "x", "start_date": "2026-03-02",
        "participants": [users_b["viewer"].pk]}, format="json")
    assert outsider.status_code == 400 and "participants" in outsider.json()["error"]["fields"]
    zone = client.post("/api/v1/oncall/schedules/", {"name": "x", "time_zone": "Nowhere/City"}, format="json")
    assert zone.status_code == 400
    backwards = client.post("/api/v1/oncall/overrides/", {
        "schedule": payments.pk, "user": users_a["viewer"].pk, "start": "2026-03-02T10:00:00Z",
        "end": "2026-03-02T09:00:00Z"}, format="json")
    assert backwards.status_code == 400
    foreign_user = client.post("/api/v1/oncall/overrides/", {
        "schedule": payments.pk, "user": users_b["viewer"].pk, "start": "2026-03-02T08:00:00Z",
        "end": "2026-03-02T09:00:00Z"}, format="json")
    assert foreign_user.status_code == 400
    assert Layer.objects.count() == before and not Override.objects.exists()


def test_an_operator_adds_an_override_and_a_viewer_cannot(api_client_for, org_a, users_a, payments):
    body = {"schedule": payments.pk, "user": users_a["owner"].pk, "start": "2026-03-03T08:00:00Z",
            "end": "2026-03-03T20:00:00Z", "reason": "swap"}
    assert api_client_for(users_a["viewer"], org_a).post("/api/v1/oncall/overrides/", body, format="json") \
        .status_code == 403
    created = api_client_for(users_a["operator"], org_a).post("/api/v1/oncall/overrides/", body, format="json")
    assert created.status_code == 201 and created.json()["created_by"] == users_a["operator"].pk
    now = api_client_for(users_a["viewer"], org_a).get(
        f"/api/v1/oncall/schedules/{payments.pk}/oncall", {"at": "2026-03-03T12:00:00Z"}).json()
    assert now["oncall"][0]["user"] == users_a["owner"].pk


def test_feed_url_is_returned_once_and_revocable(api_client_for, client, org_a, users_a, payments):
    api = api_client_for(users_a["viewer"], org_a)
    created = api.post("/api/v1/oncall/feeds/", {"user": users_a["viewer"].pk}, format="json")
    assert created.status_code == 201
    url = created.json()["url"]
    assert client.get(url).status_code == 200
    assert "url" not in api.get(f"/api/v1/oncall/feeds/{created.json()['id']}/").json()
    other = api.post("/api/v1/oncall/feeds/", {"user": users_a["operator"].pk}, format="json")
    assert other.status_code == 400  # a viewer cannot subscribe to someone else's shifts
    assert api.post(f"/api/v1/oncall/feeds/{created.json()['id']}/revoke/").status_code == 200
    assert client.get(url).status_code == 404
