"""Tenant isolation, discovered: every org-scoped API route and admin changelist, two organisations.

A member of org A must not list, read, change or delete org B's rows, and a viewer must not
write. New apps are covered as soon as they register routes and ship factories.
"""
import pytest
from django.apps import apps
from django.urls import reverse

from aiops.api.permissions import required_role
from aiops.roles import Role
from aiops.testing.factories import make_in_org
from aiops.testing.routes import admin_models, api_routes

ROUTES = api_routes()
ADMIN_MODELS = admin_models()


def test_discovery_finds_routes_and_admins():
    assert len(ROUTES) >= 4, ROUTES
    assert len(ADMIN_MODELS) >= 4, ADMIN_MODELS
    for route in ROUTES:
        assert route.list_name or route.detail_name, route


def _ids(response):
    body = response.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    return {row["id"] for row in rows}


def _snapshot(obj):
    obj.refresh_from_db()
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_api_member_of_a_cannot_touch_b(route, org_a, org_b, users_a, api_client_for):
    row_b = make_in_org(route.model, org_b)
    row_a = make_in_org(route.model, org_a)
    before = _snapshot(row_b)
    client = api_client_for(users_a["owner"], org_a)

    if route.list_name and "get" in route.list_methods:
        response = client.get(reverse(route.list_name))
        assert response.status_code == 200, response.content
        assert row_b.pk not in _ids(response)
    if route.detail_name:
        url = reverse(route.detail_name, kwargs={"pk": row_b.pk})
        assert client.get(url).status_code == 404
        for method in ("patch", "put", "delete"):
            if method in route.detail_methods:
                response = getattr(client, method)(url, {}, format="json")
                assert response.status_code == 404, (method, response.status_code, response.content)
        own = client.get(reverse(route.detail_name, kwargs={"pk": row_a.pk}))
        assert own.status_code == 200, own.content
    # An organisation header naming B is refused for a member of A only.
    if route.list_name and "get" in route.list_methods:
        foreign = api_client_for(users_a["owner"])
        response = foreign.get(reverse(route.list_name), HTTP_X_ORGANIZATION=org_b.slug)
        assert response.status_code == 403
    assert _snapshot(row_b) == before


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_api_viewer_cannot_write(route, org_a, users_a, api_client_for):
    row = make_in_org(route.model, org_a)
    client = api_client_for(users_a["viewer"], org_a)
    viewset = route.viewset()

    def needs_more_than_viewer(action):
        viewset.action = action
        return required_role(viewset) > Role.VIEWER

    before = _snapshot(row)
    checked = 0
    if "post" in route.list_methods and needs_more_than_viewer("create"):
        assert client.post(reverse(route.list_name), {}, format="json").status_code == 403
        checked += 1
    if route.detail_name:
        url = reverse(route.detail_name, kwargs={"pk": row.pk})
        for method, action in (("patch", "partial_update"), ("delete", "destroy")):
            if method in route.detail_methods and needs_more_than_viewer(action):
                assert getattr(client, method)(url, {}, format="json").status_code == 403
                checked += 1
    assert _snapshot(row) == before
    if checked == 0:
        pytest.skip(f"{route} has no write action a viewer is denied")


@pytest.mark.django_db
@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m._meta.label)
def test_admin_member_of_a_cannot_touch_b(model, org_a, org_b, users_a, client):
    row_b = make_in_org(model, org_b)
    make_in_org(model, org_a)
    before = _snapshot(row_b)
    client.force_login(users_a["owner"])
    opts = model._meta
    changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    assert row_b.pk not in {obj.pk for obj in changelist.context["cl"].result_list}
    change = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row_b.pk]))
    assert change.status_code in (302, 404)  # the admin redirects "does not exist" to the index
    delete = client.post(reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[row_b.pk]), {"post": "yes"})
    assert delete.status_code in (302, 403, 404)
    assert model.objects.filter(pk=row_b.pk).exists()
    assert _snapshot(row_b) == before


@pytest.mark.django_db
@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m._meta.label)
def test_admin_viewer_cannot_change(model, org_a, users_a, client):
    row = make_in_org(model, org_a)
    viewer = users_a["viewer"]
    viewer.is_staff = True  # even with staff status, the role decides
    viewer.save()
    client.force_login(viewer)
    opts = model._meta
    response = client.post(reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[row.pk]), {"post": "yes"})
    assert response.status_code in (302, 403)
    assert model.objects.filter(pk=row.pk).exists()


# --- portal pages, admin filters, foreign ids in bodies (issue #15) ----------------------------------

from django.contrib.admin import RelatedFieldListFilter  # noqa: E402
from rest_framework import serializers as drf_serializers  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework.test import APIRequestFactory  # noqa: E402

from aiops.testing.factories import factory_registry  # noqa: E402
from aiops.testing.routes import portal_object_routes  # noqa: E402

PORTAL_ROUTES = portal_object_routes()
MISSING_ID = 987_654_321


def test_discovery_finds_portal_object_pages():
    assert len(PORTAL_ROUTES) >= 5, PORTAL_ROUTES


# Portal views that take a pk but name no `model`/`queryset` (panels, actions): whose pk it is.
# A new such view fails the test below until it is listed here, so none goes unchecked.
PK_MODELS = {
    "analysis:alert-analyze": "alerts.Alert", "analysis:alert-panel": "alerts.Alert",
    "analysis:incident-analyze": "incidents.Incident", "analysis:incident-panel": "incidents.Incident",
    "feedback:alert-panel": "alerts.Alert", "feedback:incident-panel": "incidents.Incident",
    "feedback:edit": "feedback.SuccessfulRemediation", "feedback:rate": "analysis.Analysis",
    "logs:download": "logs.AlertLogContext", "logs:source-test": "logs.LogSource",
    "metrics:test": "metrics.MetricSource",
    "notifications:channel-test": "notifications.NotificationChannel",
    "notifications:delivery-retry": "notifications.NotificationDelivery",
    "notifications:escalation-cancel": "notifications.Escalation",
    "notifications:snooze-end": "notifications.Snooze",
    "oncall:import": "oncall.Schedule", "oncall:layer-new": "oncall.Schedule",
    "oncall:override-new": "oncall.Schedule", "oncall:schedule": "oncall.Schedule",
    "oncall:schedule-edit": "oncall.Schedule", "oncall:schedule-month": "oncall.Schedule",
    "predictions:dismiss": "alerts.Alert", "predictions:task": "alerts.Alert",
    "sla:breach-reason": "sla.SLABreach",
    "timeline:alert": "alerts.Alert", "timeline:alert-markdown": "alerts.Alert",
    "timeline:incident": "incidents.Incident", "timeline:incident-markdown": "incidents.Incident",
}


# Routes where a row of A is not enough for a 200 either (the 404 is then about more than the org).
OWN_ROW_NOT_ENOUGH = {
    "chatops:unlink": "only the signed-in person's own chat link",
    "predictions:dismiss": "only predictive alerts", "predictions:task": "only predictive alerts",
}


def _route_model(route):
    if route.model is not None:
        return route.model
    label = PK_MODELS.get(route.name)
    assert label, f"{route.name} ({route.view.__name__}) names no `model`: add it to PK_MODELS"
    return apps.get_model(label)


@pytest.mark.django_db
@pytest.mark.parametrize("route", PORTAL_ROUTES, ids=str)
def test_portal_object_page_of_b_is_a_404(route, org_a, org_b, users_a, client):
    """A portal page addressed by another organisation's id answers 404 and changes nothing; the
    same page addressed by A's own row does not (so the 404 is about the organisation, not the id)."""
    model = _route_model(route)
    if model not in factory_registry():
        pytest.skip(f"no factory for {model._meta.label}")
    row_b = make_in_org(model, org_b)
    row_a = make_in_org(model, org_a)
    before = _snapshot(row_b)
    client.force_login(users_a["owner"])
    method = "get" if hasattr(route.view, "get") else "post"
    if route.name not in OWN_ROW_NOT_ENOUGH:
        own = getattr(client, method)(reverse(route.name, kwargs={route.kwarg: row_a.pk}))
        assert own.status_code != 404, (route.name, method, "own row", own.status_code)
    url = reverse(route.name, kwargs={route.kwarg: row_b.pk})
    response = getattr(client, method)(url)
    assert response.status_code == 404, (route.name, method, response.status_code)
    if hasattr(route.view, "post"):
        assert client.post(url, {}).status_code in (403, 404)
    assert _snapshot(row_b) == before


@pytest.mark.django_db
@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m._meta.label)
def test_admin_filters_offer_only_a(model, org_a, org_b, users_a, client):
    """No sidebar filter of a changelist names another organisation's rows (teams, channels, orgs)."""
    make_in_org(model, org_b)
    make_in_org(model, org_a)
    client.force_login(users_a["owner"])
    opts = model._meta
    changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    for spec in changelist.context["cl"].filter_specs:
        if not isinstance(spec, RelatedFieldListFilter):
            continue
        related = spec.field.remote_field.model
        offered = {pk for pk, _label in spec.lookup_choices}
        if related._meta.label == "tenancy.Organization":
            assert org_b.pk not in offered, (spec.field_path, offered)
        elif any(f.name == "organization" for f in related._meta.concrete_fields):
            foreign = set(related._default_manager.filter(organization=org_b).values_list("pk", flat=True))
            assert not offered & foreign, (spec.field_path, offered & foreign)


def _writable_related_fields(route, org, user):
    viewset = route.viewset()
    viewset.action = "create"
    viewset.format_kwarg = None
    django_request = APIRequestFactory().post("/")
    django_request.user = user
    request = Request(django_request)
    request._user = user
    request.organization = org
    viewset.request = request
    serializer = viewset.get_serializer()
    fields = {}
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        many = isinstance(field, drf_serializers.ManyRelatedField)
        relation = field.child_relation if many else field
        if isinstance(relation, drf_serializers.PrimaryKeyRelatedField) and relation.queryset is not None:
            fields[name] = (relation.queryset.model, many)
    return fields


def _field_error(response, name):
    body = response.json()
    fields = (body.get("error") or {}).get("fields") or {}
    return fields.get(name)


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in ROUTES if "post" in r.list_methods], ids=str)
def test_api_foreign_id_in_a_body_reads_as_missing(route, org_a, org_b, users_a, api_client_for):
    """Creating (and updating) with another organisation's related id: the same 400 as a missing id."""
    related = _writable_related_fields(route, org_a, users_a["owner"])
    related = {name: spec for name, spec in related.items() if spec[0] in factory_registry()
               or spec[0]._meta.label == "tenancy.Organization"}
    if not related:
        pytest.skip(f"{route} takes no related id in its create body")
    client = api_client_for(users_a["owner"], org_a)
    own = make_in_org(route.model, org_a) if route.detail_name and "patch" in route.detail_methods else None
    for name, (model, many) in related.items():
        foreign = make_in_org(model, org_b)
        count = route.model._default_manager.count()
        bodies = {"foreign": foreign.pk, "missing": MISSING_ID}
        errors = {}
        for label, pk in bodies.items():
            value = [pk] if many else pk
            response = client.post(reverse(route.list_name), {name: value}, format="json")
            assert response.status_code in (400, 403, 404), (name, label, response.status_code, response.content)
            error = _field_error(response, name)
            errors[label] = str(error).replace(str(pk), "<id>") if error is not None else None
            if own is not None:
                patched = client.patch(reverse(route.detail_name, kwargs={"pk": own.pk}), {name: value}, format="json")
                assert patched.status_code in (400, 403, 404), (name, label, "patch", patched.status_code)
        assert errors["foreign"] == errors["missing"], (name, errors)
        assert route.model._default_manager.count() == count
