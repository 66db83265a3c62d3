"""Kernel behaviour: roles, API tokens, the event bus, encrypted fields, probes, error bodies."""
import pytest
from django.db import connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from aiops import crypto, events
from aiops.roles import Role
from apps.alerts.models import Integration
from apps.tenancy import services
from tests.alerts.factories import IntegrationFactory


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


# --- roles ------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("role,can_create_team", [("viewer", False), ("operator", False), ("admin", True), ("owner", True)])
def test_each_role_on_an_admin_action(role, can_create_team, org_a, users_a, api_client_for):
    client = api_client_for(users_a[role], org_a)
    assert client.get("/api/v1/teams/").status_code == 200  # every role reads
    response = client.post("/api/v1/teams/", {"name": f"{role} team", "slug": f"{role}-team"}, format="json")
    assert response.status_code == (201 if can_create_team else 403), response.content
    if not can_create_team:
        assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.django_db
def test_role_order_is_cumulative():
    assert Role.VIEWER < Role.OPERATOR < Role.ADMIN < Role.OWNER
    with pytest.raises(ValueError):
        Role.from_name("superhero")


@pytest.mark.django_db
def test_team_member_sees_team_rows_and_org_wide_rows_only(org_a, users_a):
    from tests.tenancy.factories import TeamFactory, member

    red, blue = TeamFactory(organization=org_a), TeamFactory(organization=org_a)
    red_row = IntegrationFactory(organization=org_a, team=red)
    blue_row = IntegrationFactory(organization=org_a, team=blue)
    org_row = IntegrationFactory(organization=org_a)
    operator = member(org_a, Role.OPERATOR, teams=[red])
    visible = set(Integration.objects.visible_to(operator).for_org(org_a))
    assert visible == {red_row, org_row}
    assert set(Integration.objects.visible_to(users_a["admin"]).for_org(org_a)) == {red_row, blue_row, org_row}


@pytest.mark.django_db
def test_guardian_sharing_adds_one_row_within_the_organisation(org_a, org_b):
    from guardian.shortcuts import assign_perm

    from tests.tenancy.factories import TeamFactory, member

    hidden = IntegrationFactory(organization=org_a, team=TeamFactory(organization=org_a))
    foreign = IntegrationFactory(organization=org_b, team=TeamFactory(organization=org_b))
    viewer = member(org_a, Role.VIEWER, teams=[TeamFactory(organization=org_a)])
    assert hidden not in Integration.objects.visible_to(viewer)
    assign_perm("alerts.view_integration", viewer, hidden)
    assign_perm("alerts.view_integration", viewer, foreign)  # sharing never crosses organisations
    viewer = type(viewer).objects.get(pk=viewer.pk)
    assert hidden in Integration.objects.visible_to(viewer)
    assert foreign not in Integration.objects.visible_to(viewer)


@pytest.mark.django_db
def test_sharing_by_user_and_by_group_is_one_query(org_a, org_b, django_assert_num_queries):
    """`_shared_object_ids` is a subquery: the whole scope, sharing included, is one round trip."""
    from django.contrib.auth.models import Group
    from guardian.models import UserObjectPermission
    from guardian.shortcuts import assign_perm

    from tests.tenancy.factories import TeamFactory, member

    team = TeamFactory(organization=org_a)
    by_user = IntegrationFactory(organization=org_a, team=TeamFactory(organization=org_a))
    by_group = IntegrationFactory(organization=org_a, team=TeamFactory(organization=org_a))
    hidden = IntegrationFactory(organization=org_a, team=TeamFactory(organization=org_a))
    own = IntegrationFactory(organization=org_a, team=team)
    foreign = IntegrationFactory(organization=org_b, team=TeamFactory(organization=org_b))
    viewer = member(org_a, Role.VIEWER, teams=[team])
    group = Group.objects.create(name="sharers")
    viewer.groups.add(group)
    assign_perm("alerts.view_integration", viewer, by_user)
    assign_perm("alerts.view_integration", group, by_group)
    assign_perm("alerts.view_integration", group, foreign)  # sharing never crosses organisations
    # A key guardian stores as text that is no number must match nothing, not break the cast.
    stray = assign_perm("alerts.view_integration", viewer, hidden)
    UserObjectPermission.objects.filter(pk=stray.pk).update(object_pk="x-1")
    viewer = type(viewer).objects.get(pk=viewer.pk)
    Integration.objects.visible_to(viewer).exists()  # warm the access and content-type caches
    with django_assert_num_queries(1):
        rows = set(Integration.objects.visible_to(viewer, org_a))
    assert rows == {own, by_user, by_group}
    assert hidden not in rows and foreign not in rows


@pytest.mark.django_db
def test_one_call_and_two_call_chokepoint_agree(org_a, org_b, users_a):
    IntegrationFactory(organization=org_a), IntegrationFactory(organization=org_b)
    user = users_a["viewer"]
    one_call = list(Integration.objects.visible_to(user, org_a))
    assert one_call == list(Integration.objects.visible_to(user).for_org(org_a))
    assert list(Integration.objects.visible_to(user, org_a.pk)) == list(Integration.objects.visible_to(user, org_a))
    assert not Integration.objects.visible_to(user, None).exists()  # no active organisation: nothing
    assert not Integration.objects.visible_to(user, org_b).exists()  # not a member there


# --- tokens ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_token_authenticates_acts_in_its_organisation_and_stops_when_revoked(org_a, org_b, users_a):
    user = users_a["admin"]
    services.membership_set(organization=org_b, user=user, role=Role.ADMIN)
    issued = services.api_token_create(user=user, organization=org_b, name="ci")
    assert issued.plaintext.startswith("aiops_") and issued.token.key_hash not in issued.plaintext
    response = bearer(issued.plaintext).get("/api/v1/organizations/")
    assert response.status_code == 200
    assert [o["slug"] for o in response.json()["results"]] == ["org-b"]  # bound to org B, not A
    issued.token.refresh_from_db()
    assert issued.token.last_used_at is not None

    services.api_token_revoke(token=issued.token)
    response = bearer(issued.plaintext).get("/api/v1/organizations/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Bearer aiops_nope_nope", "Bearer garbage", "Bearer", "Token a b"])
def test_bad_tokens_are_401_not_500(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/teams/")
    assert response.status_code == 401


@pytest.mark.django_db
def test_token_api_shows_secret_once(org_a, users_a, api_client_for):
    client = api_client_for(users_a["viewer"], org_a)
    created = client.post("/api/v1/tokens/", {"name": "grafana"}, format="json")
    assert created.status_code == 201
    secret = created.json()["token"]
    listed = client.get("/api/v1/tokens/").json()["results"]
    assert listed and all("token" not in row for row in listed)
    assert secret not in str(listed)
    assert client.delete(f"/api/v1/tokens/{created.json()['id']}/").status_code == 204
    assert bearer(secret).get("/api/v1/teams/").status_code == 401


# --- events ------------------------------------------------------------------------------------

@pytest.fixture
def dispatched(monkeypatch):
    seen = []
    monkeypatch.setattr(events, "dispatch_many", seen.extend)
    return seen


@pytest.mark.django_db(transaction=True)
def test_event_is_delivered_on_commit_not_before(org_a, dispatched):
    with transaction.atomic():
        events.publish("alert.received", org=org_a, title="x")
        assert dispatched == []
    assert [e["name"] for e in dispatched] == ["alert.received"]
    assert dispatched[0]["organization_id"] == org_a.pk


@pytest.mark.django_db(transaction=True)
def test_event_is_dropped_on_rollback(org_a, dispatched):
    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish("alert.received", org=org_a, title="x")
        raise RuntimeError
    with transaction.atomic():
        events.publish("alert.resolved", org=org_a, title="y")
    assert [e["name"] for e in dispatched] == ["alert.resolved"]


@pytest.mark.django_db(transaction=True)
def test_event_in_rolled_back_savepoint_is_dropped(org_a, dispatched):
    with transaction.atomic():
        events.publish("alert.received", org=org_a, n=1)
        try:
            with transaction.atomic():
                events.publish("alert.received", org=org_a, n=2)
                raise RuntimeError
        except RuntimeError:
            pass
        events.publish("alert.received", org=org_a, n=3)
    assert [e["data"]["n"] for e in dispatched] == [1, 3]


def test_unknown_event_names_are_refused():
    with pytest.raises(ValueError):
        events.publish("alert.exploded", org=1)


@pytest.mark.django_db(transaction=True)
def test_subscriber_task_receives_event(org_a, own_subscribers):
    from celery import shared_task

    received = []

    @shared_task(name="tests.kernel.collect")
    def collect(event):
        received.append(event)

    events.subscribe("alert.silenced", collect)
    with transaction.atomic():
        events.publish("alert.silenced", org=org_a, title="quiet")
    assert [e["data"]["title"] for e in received] == ["quiet"]


@pytest.mark.django_db(transaction=True)
def test_batch_subscriber_gets_a_commits_events_in_one_call(org_a, own_subscribers):
    from celery import shared_task

    batches, singles = [], []

    @shared_task(name="tests.kernel.collect_batch")
    def collect_batch(its_events):
        batches.append([e["data"]["n"] for e in its_events])

    @shared_task(name="tests.kernel.collect_single")
    def collect_single(event):
        singles.append(event["data"]["n"])

    events.subscribe("alert.silenced", collect_batch, batch=True)
    events.subscribe("alert.assigned", collect_batch, batch=True)
    events.subscribe("alert.silenced", collect_single)
    with transaction.atomic():
        events.publish("alert.silenced", org=org_a, n=1)
        events.publish("alert.assigned", org=org_a, n=2)
        events.publish("alert.silenced", org=org_a, n=3)
    with transaction.atomic():
        events.publish("alert.assigned", org=org_a, n=4)
    assert batches == [[1, 2, 3], [4]]  # one call per commit, publishing order, a lone event as a list
    assert singles == [1, 3]
    with pytest.raises(ValueError, match="both per event and in batches"):
        events.subscribe("alert.unacknowledged", collect_batch)


def test_batch_subscriber_messages_are_split_at_the_limit(monkeypatch, own_subscribers):
    sent = []

    class FakeTask:  # stands in for the broker side only: what apply_async was asked to send
        name = "tests.kernel.limit"

        def apply_async(self, args, **options):
            sent.append(len(args[0]))

    monkeypatch.setattr(events, "BATCH_LIMIT", 3)
    task = FakeTask()
    events.subscribe("alert.silenced", task, batch=True)
    events.dispatch_many([events.build_event("alert.silenced", org=1, n=i) for i in range(7)])
    assert sent == [3, 3, 1]


# --- encryption --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_secrets_are_ciphertext_in_the_row_and_absent_from_the_api(org_a, users_a, api_client_for):
    integration = IntegrationFactory(organization=org_a, auth_type="bearer", auth_secret="hunter2-secret")
    with connection.cursor() as cursor:
        cursor.execute("SELECT auth_secret, token FROM alerts_integration WHERE id = %s", [integration.pk])
        stored_secret, stored_token = cursor.fetchone()
    assert "hunter2" not in stored_secret and stored_secret.startswith("fernet:")
    assert integration.token not in stored_token
    assert Integration.objects.get(pk=integration.pk).auth_secret == "hunter2-secret"
    for role in ("viewer", "admin", "owner"):
        body = api_client_for(users_a[role], org_a).get("/api/v1/integrations/").content.decode()
        assert "hunter2-secret" not in body


def test_key_rotation_keeps_old_ciphertext_readable(settings):
    from cryptography.fernet import Fernet

    old = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    token = crypto.encrypt("s3cret")
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    assert crypto.decrypt(token) == "s3cret"
    rotated = crypto.rotate(token)
    settings.FIELD_ENCRYPTION_KEYS = [new]
    assert crypto.decrypt(rotated) == "s3cret"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token)


# --- probes and pages ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


@pytest.mark.django_db
def test_readiness_names_a_broken_broker(client, dead_broker):
    from config.celery import app

    kill, revive = dead_broker
    previous = app.conf.broker_url
    kill()
    try:
        response = client.get("/readyz")
    finally:
        revive()
    assert response.status_code == 503
    assert "broker" in response.json()["failures"]
    assert app.conf.broker_url == previous


@pytest.mark.django_db
def test_portal_pages_and_org_switch(client, org_a, org_b, users_a):
    user = users_a["owner"]
    services.membership_set(organization=org_b, user=user, role=Role.VIEWER)
    assert client.get("/").status_code == 302  # login first
    client.force_login(user)
    page = client.get("/")
    assert page.status_code == 200 and "Org A" in page.content.decode()
    switched = client.post(reverse("tenancy:switch"), {"organization": org_b.pk, "next": "/"}, follow=True)
    assert "Dashboard · Org B" in switched.content.decode()
    foreign = client.post(reverse("tenancy:switch"), {"organization": 999999})
    assert foreign.status_code == 404
    assert client.get("/no-such-page/").status_code == 404


@pytest.mark.django_db
def test_api_schema_and_docs(client, users_a):
    client.force_login(users_a["viewer"])
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.django_db
def test_api_validation_errors_have_one_shape(org_a, users_a, api_client_for):
    response = api_client_for(users_a["admin"], org_a).post("/api/v1/teams/", {"name": ""}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "name" in error["fields"]


@pytest.mark.django_db
def test_admin_never_renders_a_stored_secret(rf, org_a, users_a):
    """Any admin — even one without the alerts admin's own override — keeps secrets out of the page."""
    from django.contrib import admin

    from aiops.admin import OrgScopedAdmin

    integration = IntegrationFactory(organization=org_a, auth_type="bearer", auth_secret="hunter2-admin")
    request = rf.get("/")
    request.user = users_a["owner"]
    request.organization = org_a
    for model_admin in (admin.ModelAdmin(Integration, admin.site), OrgScopedAdmin(Integration, admin.site)):
        form = model_admin.get_form(request, integration)(instance=integration)
        assert "hunter2-admin" not in str(form["auth_secret"])


@pytest.mark.django_db(transaction=True)
def test_seed_demo_is_idempotent_and_seeds_every_app():
    from django.core.management import call_command

    from apps.alerts.models import Alert
    from apps.incidents.models import Incident
    from apps.tenancy.models import Membership, Organization
    from apps.topology.models import Dependency

    call_command("seed_demo", password="demo-pass-1")
    counts = (Organization.objects.count(), Membership.objects.count(), Alert.objects.count())
    assert counts[0] == 2 and counts[2] == 14
    # The brief's example, worked by the (eager) subscribers: one incident, the database as root
    # cause by the demo's dependency graph.
    assert Dependency.objects.count() == 5
    incident = Incident.objects.get(merged_into__isnull=True)
    assert incident.alert_count == 14 and incident.root_cause_service_name == "database"
    assert incident.root_cause_evidence["method"] == "topology"
    call_command("seed_demo", password="demo-pass-1")
    assert (Organization.objects.count(), Membership.objects.count(), Alert.objects.count()) == counts


@pytest.mark.django_db
def test_api_refuses_unknown_fields_but_accepts_its_own_output_back(org_a, users_a, api_client_for):
    client = api_client_for(users_a["admin"], org_a)
    refused = client.post("/api/v1/integrations/", {"name": "am", "severty_label": "sev"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"severty_label": ["Unknown field."]}
    assert not Integration.objects.filter(name="am").exists()  # nothing half-created

    created = client.post("/api/v1/integrations/", {"name": "am", "auth_type": "bearer", "auth_secret": "s3cret-x"},
                          format="json")
    assert created.status_code == 201, created.content
    body = client.get(f"/api/v1/integrations/{created.json()['id']}/").json()
    assert body["auth_secret_set"] is True and "auth_secret" not in body
    body["name"] = "am (renamed)"
    replaced = client.put(f"/api/v1/integrations/{body['id']}/", body, format="json")  # read-only keys and *_set too
    assert replaced.status_code == 200, replaced.content
    stored = Integration.objects.get(pk=body["id"])
    assert stored.name == "am (renamed)" and stored.auth_secret == "s3cret-x"
