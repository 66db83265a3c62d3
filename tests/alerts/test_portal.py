"""Portal pages: alert list (filters, sorting, capped pagination), detail, htmx actions, dashboard panels."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from aiops.panels import panels_for, register_panel
from aiops.roles import Role
from apps.alerts.models import Alert, AlertEvent
from tests.alerts.factories import AlertFactory, IntegrationFactory
from tests.tenancy.factories import TeamFactory, UserFactory, member

pytestmark = pytest.mark.django_db

LIST = reverse("alerts:list")


@pytest.fixture
def login(client, org_a):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def detail(alert):
    return reverse("alerts:detail", args=[alert.pk])


def action(alert, name):
    return reverse("alerts:action", args=[alert.pk, name])


# --- list ---------------------------------------------------------------------------------------------


def test_login_required(client):
    response = client.get(LIST)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_list_shows_own_org_only_with_filters(login, users_a, org_a, org_b):
    mine = AlertFactory(organization=org_a, name="PaymentLatency", severity="warning", service="payment-api")
    other = AlertFactory(organization=org_a, name="DiskFull", severity="critical", service="db")
    foreign = AlertFactory(organization=org_b, name="ForeignAlert")
    client = login(users_a["viewer"])
    page = client.get(LIST).content.decode()
    assert "PaymentLatency" in page and "DiskFull" in page and "ForeignAlert" not in page
    assert f'href="{detail(mine)}"' in page
    filtered = client.get(LIST, {"severity": "warning", "q": "payment"}).content.decode()
    assert "PaymentLatency" in filtered and "DiskFull" not in filtered
    # the filter form keeps what was asked
    assert 'value="payment"' in filtered
    assert re.search(r'value="warning"[^>]*checked', filtered) and not re.search(
        r'value="info"[^>]*checked', filtered
    )
    assert other.pk and foreign.pk


def test_list_filter_errors_are_shown_not_500(login, users_a, org_a):
    AlertFactory(organization=org_a)
    response = login(users_a["viewer"]).get(LIST, {"after": "yesterday", "label": "no-equals-sign"})
    assert response.status_code == 200
    assert response.context["filter"].errors.keys() >= {"after", "label"}


def test_sortable_columns(login, users_a, org_a):
    now = timezone.now()
    AlertFactory(organization=org_a, name="B-info", severity="info", starts_at=now - timedelta(hours=2))
    AlertFactory(
        organization=org_a, name="A-critical", severity="critical", starts_at=now - timedelta(hours=1)
    )
    AlertFactory(organization=org_a, name="C-warning", severity="warning", starts_at=now)
    client = login(users_a["viewer"])

    def names(ordering):
        return [a.name for a in client.get(LIST, {"ordering": ordering}).context["alerts"]]

    assert names("name") == ["A-critical", "B-info", "C-warning"]
    assert names("-severity") == ["A-critical", "C-warning", "B-info"]
    assert names("starts_at") == ["B-info", "A-critical", "C-warning"]
    page = client.get(LIST, {"ordering": "name", "severity": "info"}).content.decode()
    # the active column links to its reverse, and keeps the filters
    assert "ordering=-name" in page and "severity=info" in page


def test_pagination_never_counts_past_the_cap(login, users_a, org_a, settings):
    settings.ALERTS_LIST_COUNT_CAP = 60
    integration = IntegrationFactory(organization=org_a)
    now = timezone.now()
    Alert.objects.bulk_create(
        [
            Alert(
                organization=org_a,
                integration=integration,
                fingerprint=f"{i:04d}",
                name=f"Bulk{i}",
                starts_at=now - timedelta(seconds=i),
                labels={},
                annotations={},
            )
            for i in range(120)
        ]
    )
    client = login(users_a["viewer"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST)
    page = response.content.decode()
    assert "1–50" in page and "of more than 60" in page
    count_sql = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert len(count_sql) == 1 and "LIMIT 61" in count_sql[0].upper()
    third = client.get(LIST, {"page": 3})
    assert third.status_code == 200 and len(third.context["alerts"]) == 20
    assert not third.context["page_obj"].has_next()
    assert client.get(LIST, {"page": 4}).status_code == 404


def test_list_query_count_is_constant(login, users_a, org_a):
    team = TeamFactory(organization=org_a)
    integration = IntegrationFactory(organization=org_a)

    def make(n):
        for i in range(n):
            AlertFactory(
                organization=org_a,
                integration=integration,
                team=team if i % 2 else None,
                acknowledged_at=timezone.now(),
                acknowledged_by=users_a["operator"],
                assigned_to=users_a["admin"],
            )

    client = login(users_a["admin"])
    make(2)
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    make(30)
    with CaptureQueriesContext(connection) as many:
        response = client.get(LIST)
    assert len(response.context["alerts"]) == 32
    assert len(many) == len(few), [q["sql"] for q in many]
    assert len(many) <= 16


# --- detail ---------------------------------------------------------------------------------------------


def test_detail_renders_labels_annotations_history_and_link(login, users_a, org_a):
    alert = AlertFactory(
        organization=org_a,
        generator_url="http://prometheus:9090/graph?g0.expr=up",
        labels={"alertname": "HighErrorRate", "pod": "payment-7d9"},
        annotations={
            "summary": "Error ratio 0.2",
            "runbook_url": "https://wiki.example.com/rb/42",
            "description": "<script>alert(1)</script>",
        },
    )
    AlertEvent.objects.create(
        organization=org_a, alert=alert, kind="fired", source="alertmanager", at=alert.starts_at
    )
    page = login(users_a["viewer"]).get(detail(alert)).content.decode()
    assert "payment-7d9" in page
    assert 'href="https://wiki.example.com/rb/42"' in page
    assert 'id="generator-link"' in page and "http://prometheus:9090/graph?g0.expr=up" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "Fired" in page and 'id="alert-history"' in page


def test_unsafe_generator_url_is_not_a_link(login, users_a, org_a):
    alert = AlertFactory(organization=org_a, generator_url="javascript:alert(1)")
    page = login(users_a["viewer"]).get(detail(alert)).content.decode()
    assert 'id="generator-link"' not in page and 'href="javascript' not in page


def test_detail_of_other_org_is_404(login, users_a, org_b):
    foreign = AlertFactory(organization=org_b)
    assert login(users_a["owner"]).get(detail(foreign)).status_code == 404


def test_team_alert_hidden_from_outsider(login, org_a):
    team = TeamFactory(organization=org_a)
    alert = AlertFactory(organization=org_a, team=team)
    outsider = member(org_a, Role.VIEWER, username="outsider")
    insider = member(org_a, Role.VIEWER, username="insider", teams=[team])
    assert login(outsider).get(detail(alert)).status_code == 404
    assert login(insider).get(detail(alert)).status_code == 200


def test_buttons_only_for_operators(login, users_a, org_a):
    alert = AlertFactory(organization=org_a)
    viewer_page = login(users_a["viewer"]).get(detail(alert)).content.decode()
    assert 'id="alert-actions"' not in viewer_page and action(alert, "acknowledge") not in viewer_page
    operator_page = login(users_a["operator"]).get(detail(alert)).content.decode()
    assert f'hx-post="{action(alert, "acknowledge")}"' in operator_page
    assert f'hx-post="{action(alert, "resolve")}"' in operator_page
    assert 'id="silence-form"' in operator_page and 'id="assign-form"' in operator_page


def test_detail_renders_registered_panels(login, users_a, org_a, tmp_path, settings):
    alert = AlertFactory(organization=org_a)
    (tmp_path / "probe_panel.html").write_text(
        '<div id="probe">panel for {{ object.name }} {{ extra }}</div>'
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}]
    register_panel(
        "alert_detail", "test-probe", "probe_panel.html", context=lambda request, obj: {"extra": obj.pk}
    )
    try:
        page = login(users_a["viewer"]).get(detail(alert)).content.decode()
        assert f'<div id="probe">panel for HighErrorRate {alert.pk}</div>' in page
    finally:
        from aiops import panels

        panels._panels["alert_detail"] = [p for p in panels_for("alert_detail") if p.name != "test-probe"]


# --- actions -------------------------------------------------------------------------------------------

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_viewer_post_is_403(login, users_a, org_a):
    alert = AlertFactory(organization=org_a)
    assert login(users_a["viewer"]).post(action(alert, "acknowledge"), **HTMX).status_code == 403
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_operator_post_to_other_org_is_404(login, users_a, org_b):
    foreign = AlertFactory(organization=org_b)
    assert login(users_a["operator"]).post(action(foreign, "acknowledge"), **HTMX).status_code == 404


def test_get_is_not_an_action(login, users_a, org_a):
    alert = AlertFactory(organization=org_a)
    assert login(users_a["operator"]).get(action(alert, "acknowledge")).status_code == 405
    assert login(users_a["operator"]).post(action(alert, "explode")).status_code == 404


def test_htmx_acknowledge_returns_fragment_with_history(login, users_a, org_a):
    alert = AlertFactory(organization=org_a)
    response = login(users_a["operator"]).post(action(alert, "acknowledge"), **HTMX)
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<section class="card" id="alert-state"')
    assert "<html" not in fragment
    assert f'hx-post="{action(alert, "unacknowledge")}"' in fragment  # the button flipped
    assert 'id="alert-history" hx-swap-oob="true"' in fragment and "Acknowledged" in fragment
    alert.refresh_from_db()
    assert alert.acknowledged_by == users_a["operator"]
    event = AlertEvent.objects.get(alert=alert, kind="acknowledged")
    assert (event.source, event.actor) == ("web", users_a["operator"])


def test_htmx_conflict_is_shown_in_fragment(login, users_a, org_a):
    alert = AlertFactory(organization=org_a)
    client = login(users_a["operator"])
    response = client.post(action(alert, "unacknowledge"), **HTMX)
    assert response.status_code == 200
    assert 'id="action-error"' in response.content.decode()
    assert "not acknowledged" in response.content.decode()


def test_resolve_silence_assign_via_htmx(login, users_a, org_a):
    alert = AlertFactory(organization=org_a)
    client = login(users_a["operator"])
    fragment = client.post(action(alert, "silence"), {"silence-duration": "2h"}, **HTMX).content.decode()
    assert "Lift silence" in fragment
    alert.refresh_from_db()
    assert (
        timezone.now() + timedelta(hours=1, minutes=59)
        < alert.silenced_until
        <= timezone.now() + timedelta(hours=2)
    )
    client.post(action(alert, "silence"), {"silence-lift": "on"}, **HTMX)
    alert.refresh_from_db()
    assert alert.silenced_until is None
    bad = client.post(action(alert, "silence"), {"silence-duration": "forever"}, **HTMX).content.decode()
    assert 'id="action-error"' in bad

    fragment = client.post(action(alert, "assign"), {"assign-assignee": users_a["admin"].pk}, **HTMX)
    assert 'id="alert-assignee">a-admin<' in fragment.content.decode()
    stranger = UserFactory()  # not a member of the organisation
    refused = client.post(action(alert, "assign"), {"assign-assignee": stranger.pk}, **HTMX).content.decode()
    assert 'id="action-error"' in refused

    fragment = client.post(action(alert, "resolve"), **HTMX).content.decode()
    assert 'class="badge resolved"' in fragment
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.resolved_by == users_a["operator"]


def test_plain_post_redirects_with_message(login, users_a, org_a):
    alert = AlertFactory(organization=org_a)
    response = login(users_a["operator"]).post(action(alert, "acknowledge"), follow=True)
    assert response.redirect_chain[-1][0] == detail(alert)
    assert "Done." in response.content.decode()


# --- dashboard --------------------------------------------------------------------------------------------


def test_nav_and_dashboard_panels(login, users_a, org_a, org_b):
    now = timezone.now()
    AlertFactory(organization=org_a, severity="critical", name="CritOne")
    AlertFactory(organization=org_a, severity="critical", name="CritTwo", acknowledged_at=now)
    AlertFactory(organization=org_a, severity="warning", name="WarnOne")
    AlertFactory(
        organization=org_a,
        severity="info",
        status="resolved",
        ends_at=now,
        name="OldInfo",
        starts_at=now - timedelta(minutes=30),
    )
    AlertFactory(organization=org_b, severity="critical", name="ForeignCrit")
    response = login(users_a["viewer"]).get(reverse("dashboard"))
    page = response.content.decode()
    assert f'href="{LIST}"' in page  # nav item
    assert 'id="panel-alerts-firing"' in page and 'id="panel-alerts-mtta"' in page
    assert 'id="panel-alerts-latest"' in page
    assert 'data-severity="critical">2<' in page and 'data-severity="warning">1<' in page
    assert 'data-severity="info">0<' in page
    assert "CritOne" in page and "WarnOne" in page and "ForeignCrit" not in page and "OldInfo" not in page
    assert 'id="mttr-avg">30m 00s<' in page


def test_boolean_filters_offer_any_yes_no(login, users_a, org_a):
    AlertFactory(organization=org_a, name="Acked", acknowledged_at=timezone.now())
    AlertFactory(organization=org_a, name="Open")
    client = login(users_a["viewer"])
    page = client.get(LIST).content.decode()
    assert '<option value="" selected>Any</option>' in page
    assert [a.name for a in client.get(LIST, {"acknowledged": "true"}).context["alerts"]] == ["Acked"]
    assert [a.name for a in client.get(LIST, {"acknowledged": "false"}).context["alerts"]] == ["Open"]
    assert len(client.get(LIST, {"acknowledged": ""}).context["alerts"]) == 2


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_htmx_buttons_in_a_real_browser(browser_page, live_server, client, org_a, users_a):
    """Chromium clicks the buttons: htmx posts with the CSRF header and swaps state and history."""
    from tests.support.browser import screenshot

    alert = AlertFactory(organization=org_a, name="BrowserAlert")
    client.force_login(users_a["operator"])
    browser_page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    browser_page.on("dialog", lambda dialog: dialog.accept())  # the resolve confirmation
    browser_page.goto(live_server.url + detail(alert))

    browser_page.click("#alert-actions button[value=acknowledge]")
    browser_page.wait_for_selector("#alert-actions button[value=unacknowledge]")
    assert "Acknowledged" in browser_page.inner_text("#alert-history")  # swapped out of band
    alert.refresh_from_db()
    assert alert.acknowledged_by == users_a["operator"]

    browser_page.fill("input[name=silence-duration]", "2h")
    browser_page.click("#silence-form button[value=silence]")
    browser_page.wait_for_selector("#silence-form button[value=unsilence]")
    assert "Silenced" in browser_page.inner_text("#alert-history")

    browser_page.select_option("#assign-form select", str(users_a["admin"].pk))
    browser_page.click("#assign-form button[value=assign]")
    browser_page.wait_for_selector("#alert-assignee:has-text('a-admin')")

    browser_page.click("#alert-actions button[value=resolve]")
    browser_page.wait_for_selector("#alert-state .badge.resolved")
    screenshot(browser_page, "alerts-detail-after-actions")
    browser_page.goto(live_server.url + LIST + "?ordering=-severity")
    browser_page.wait_for_selector("#alert-table a:has-text('BrowserAlert')")
    screenshot(browser_page, "alerts-list")
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.assigned_to == users_a["admin"]
    assert list(
        AlertEvent.objects.filter(alert=alert).values_list("kind", flat=True).order_by("at", "id")
    ) == ["acknowledged", "silenced", "assigned", "resolved"]
