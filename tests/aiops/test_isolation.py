"""Tenant isolation, discovered: every org-scoped API route and admin changelist, two organisations.

A member of org A must not list, read, change or delete org B's rows, and a viewer must not
write. New apps are covered as soon as they register routes and ship factories.
"""
import pytest
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
