"""Portal forms for log sources and query templates: write-only config, redacted URL, validation, roles."""

import pytest
from django.urls import reverse

from apps.logs.models import LogQuery, LogSource
from tests.logs.factories import LogQueryFactory, LogSourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(org_a):
    return LogSourceFactory(organization=org_a, name="loki", url="https://grafana:pw-in-url@loki.example",
                            config={"token": "s3cret-token", "tenant": "t1"})


def _source_post(**overrides):
    data = {"name": "loki", "kind": "loki", "url": "https://grafana:***@loki.example", "config": "",
            "field_mapping": '{"instance": "host"}', "enabled": "on"}
    return {**data, **overrides}


def test_edit_form_never_shows_the_secret_and_empty_keeps_it(client, users_a, source):
    client.force_login(users_a["admin"])
    page = client.get(reverse("logs:source-edit", args=[source.pk])).content.decode()
    assert "s3cret-token" not in page and "pw-in-url" not in page
    assert "https://grafana:***@loki.example" in page and "Stored keys: tenant, token." in page  # key names only
    response = client.post(reverse("logs:source-edit", args=[source.pk]), _source_post(name="loki 2"))
    assert response.status_code == 302, response.content
    source = LogSource.objects.get(pk=source.pk)
    assert source.name == "loki 2" and source.config == {"token": "s3cret-token", "tenant": "t1"}
    assert source.url == "https://grafana:pw-in-url@loki.example" and source.field_mapping == {"instance": "host"}
    client.post(reverse("logs:source-edit", args=[source.pk]),
                _source_post(config='{"token": "new"}', url="https://loki2.example"))
    source.refresh_from_db()
    assert source.config == {"token": "new"} and source.url == "https://loki2.example"


def test_create_source_and_bad_input_saves_nothing(client, users_a, org_a):
    client.force_login(users_a["admin"])
    url = reverse("logs:source-create")
    for bad, field in [({"config": "{not json"}, "config"), ({"config": "[1]"}, "config"),
                       ({"field_mapping": '{"pod": 3}'}, "field_mapping"), ({"url": ""}, "url"),
                       ({"kind": "graylog"}, "kind"), ({"name": ""}, "name")]:
        response = client.post(url, _source_post(**{"url": "https://loki.example", **bad}))
        assert response.status_code == 400 and field in response.context["form"].errors, (bad, response.status_code)
    assert not LogSource.objects.exists()
    response = client.post(url, _source_post(url="https://loki.example", config='{"token": "t"}', is_default="on"))
    assert response.status_code == 302
    created = LogSource.objects.get()
    assert created.organization == org_a and created.is_default and created.config == {"token": "t"}
    assert created.created_by == users_a["admin"]


def test_source_forms_need_admin_and_another_orgs_source_is_404(client, users_a, users_b, source):
    client.force_login(users_a["operator"])
    assert client.get(reverse("logs:source-create")).status_code == 403
    assert client.post(reverse("logs:source-edit", args=[source.pk]), _source_post(name="x")).status_code == 403
    client.force_login(users_b["admin"])
    assert client.get(reverse("logs:source-edit", args=[source.pk])).status_code == 404
    assert client.post(reverse("logs:source-edit", args=[source.pk]), _source_post(name="x")).status_code == 404
    assert LogSource.objects.get(pk=source.pk).name == "loki"


def test_query_template_must_render_against_a_sample_alert(client, users_a, org_a, source):
    client.force_login(users_a["operator"])
    url = reverse("logs:query-create")
    base = {"name": "by pod", "source": source.pk, "time_range_minutes": 5, "enabled": "on"}
    for template, reason in [("{{ labels.pod|nosuchfilter }}", "Invalid filter"), ("{% if %}", "TemplateSyntaxError"),
                             ("{% if labels.missing %}{% endif %}", "empty query")]:
        response = client.post(url, {**base, "query_template": template})
        assert response.status_code == 400
        errors = " ".join(response.context["form"].errors["query_template"])
        assert reason in errors, errors
    response = client.post(url, {**base, "time_range_minutes": 0, "query_template": "{job=\"x\"}"})
    assert response.status_code == 400 and "time_range_minutes" in response.context["form"].errors
    assert not LogQuery.objects.exists()
    response = client.post(url, {**base, "query_template": '{pod="{{ labels.pod }}"} |= "error"'})
    assert response.status_code == 302, response.context["form"].errors
    query = LogQuery.objects.get()
    assert query.organization == org_a and query.created_by == users_a["operator"]
    edit = reverse("logs:query-edit", args=[query.pk])
    assert client.post(edit, {**base, "name": "renamed", "query_template": "{% endif %}"}).status_code == 400
    assert client.post(edit, {**base, "name": "renamed", "query_template": ""}).status_code == 302
    query.refresh_from_db()
    assert query.name == "renamed" and query.query_template == ""


def test_query_forms_roles_and_tenancy(client, users_a, users_b, org_b, source):
    other_source = LogSourceFactory(organization=org_b, name="their loki")
    theirs = LogQueryFactory(organization=org_b, source=other_source)
    client.force_login(users_a["viewer"])
    assert client.get(reverse("logs:query-create")).status_code == 403
    client.force_login(users_a["operator"])
    assert client.get(reverse("logs:query-edit", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("logs:query-create"), {"name": "x", "source": other_source.pk,
                                                          "time_range_minutes": 5, "query_template": ""})
    assert response.status_code == 400 and "source" in response.context["form"].errors
    assert LogQuery.objects.filter(organization__slug="org-a").count() == 0
    page = client.get(reverse("logs:sources")).content.decode()
    assert "their loki" not in page and reverse("logs:query-create") in page
