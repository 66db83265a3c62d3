"""Portal pages: list, detail with the 14-day timeline, layer and override forms, import, my shifts."""
import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.oncall.models import Layer, Override

from .test_ical import ICS

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal(client, org_a):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_schedule_pages_show_who_is_on_call_and_the_timeline(portal, users_a, payments, users_b):
    client = portal(users_a["viewer"])
    listing = client.get("/oncall/")
    assert listing.status_code == 200 and b"Payments" in listing.content
    page = client.get(f"/oncall/{payments.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and 'id="oncall-timeline"' in html
    assert len(re.findall(r"<rect ", html)) >= 14  # a bar per shift across the lanes
    assert "Primary" in html and "Business hours" in html and "Final" in html
    assert client.get("/oncall/me/").status_code == 200
    assert portal(users_b["admin"]).get(f"/oncall/{payments.pk}/").status_code == 404


def test_a_gap_is_warned_on_the_schedule_page(portal, users_a, payments):
    layer = payments.layers.get(name="Primary")
    layer.end_date = timezone.localdate() + dt.timedelta(days=3)
    layer.start_date = min(layer.start_date, timezone.localdate() - dt.timedelta(days=7))
    layer.save()
    assert 'id="coverage-gaps"' in portal(users_a["viewer"]).get(f"/oncall/{payments.pk}/").content.decode()


def test_an_admin_edits_layers_through_the_form(portal, users_a, payments):
    client = portal(users_a["admin"])
    assert client.get(f"/oncall/{payments.pk}/layers/new/").status_code == 200
    response = client.post(f"/oncall/{payments.pk}/layers/new/", {
        "name": "Nights", "position": 3, "shift_unit": "days", "shift_length": 2, "start_date": "2026-03-02",
        "handoff_time": "18:00", "people": "a-owner\na-operator", "restriction_weekdays": ["5", "6"],
        "restriction_start": "22:00", "restriction_end": "06:00"})
    assert response.status_code == 302, response.content.decode()[:2000]
    layer = Layer.objects.get(name="Nights")
    assert layer.participants == [users_a["owner"].pk, users_a["operator"].pk]
    assert layer.restriction_weekdays == [5, 6] and layer.restriction_end == dt.time(6)
    edit = client.get(f"/oncall/{payments.pk}/layers/{layer.pk}/").content.decode()
    assert "a-owner\na-operator" in edit
    bad = client.post(f"/oncall/{payments.pk}/layers/{layer.pk}/", {
        "name": "Nights", "position": 3, "shift_unit": "days", "shift_length": 2, "start_date": "2026-03-02",
        "handoff_time": "18:00", "people": "a-owner\nb-viewer", "restriction_start": "22:00"})
    assert bad.status_code == 400 and "b-viewer" in bad.content.decode()
    layer.refresh_from_db()
    assert layer.participants == [users_a["owner"].pk, users_a["operator"].pk]
    assert client.post(f"/oncall/{payments.pk}/layers/{layer.pk}/", {"delete": "1"}).status_code == 302
    assert not Layer.objects.filter(pk=layer.pk).exists()
    assert portal(users_a["operator"]).get(f"/oncall/{payments.pk}/layers/new/").status_code == 403


def test_an_operator_adds_and_removes_an_override(portal, users_a, payments):
    client = portal(users_a["operator"])
    response = client.post(f"/oncall/{payments.pk}/overrides/", {
        "user": users_a["owner"].pk, "start": "2026-03-03T08:00", "end": "2026-03-03T20:00", "reason": "swap"})
    assert response.status_code == 302
    override = Override.objects.get()
    assert override.start == dt.datetime(2026, 3, 3, 7, tzinfo=dt.UTC)  # 08:00 Berlin (CET)
    assert override.created_by == users_a["operator"]
    assert client.post(f"/oncall/{payments.pk}/overrides/", {
        "user": users_a["owner"].pk, "start": "2026-03-03T08:00", "end": "2026-03-03T07:00"}).status_code == 400
    client.post(f"/oncall/{payments.pk}/overrides/{override.pk}/delete/")
    assert not Override.objects.exists()


def test_import_and_feeds_from_the_portal(portal, users_a, payments, client):
    admin = portal(users_a["admin"])
    response = admin.post(f"/oncall/{payments.pk}/import/", {
        "file": SimpleUploadedFile("old.ics", ICS, content_type="text/calendar"), "as_layer": "on",
        "layer_name": "Old tool"})
    assert response.status_code == 302
    assert payments.layers.filter(name="Old tool", kind="calendar").exists()
    admin.post("/oncall/feeds/", {"schedule": payments.pk})
    page = admin.get(f"/oncall/{payments.pk}/").content.decode()
    url = re.search(r'id="new-feed-url">([^<]+)<', page).group(1)
    assert "BEGIN:VCALENDAR" in client.get(url).content.decode()
    assert 'id="new-feed-url"' not in admin.get(f"/oncall/{payments.pk}/").content.decode()  # shown once


def test_the_timeline_svg_escapes_names(portal, users_a, payments):
    layer = payments.layers.get(name="Primary")
    layer.name = '<script>alert("x")</script>'
    layer.save()
    html = portal(users_a["viewer"]).get(f"/oncall/{payments.pk}/").content.decode()
    svg = html[html.index('<svg id="oncall-timeline"'):html.index("</svg>", html.index('id="oncall-timeline"'))]
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert re.search(r'<rect x="\d+\.\d" y="\d+" width="\d+\.\d" height="26" fill="#[0-9a-f]{6}">', svg)


def _cell(html, day):
    start = html.index(f'data-date="{day}"')
    return html[start:html.index("</td>", start)]


def test_month_calendar_shows_who_is_on_call_each_day_and_marks_overrides(portal, users_a, users_b, payments):
    from apps.oncall import services

    from .conftest import berlin

    services.override_create(schedule=payments, user=users_a["owner"], start=berlin(2026, 3, 10, 20),
                             end=berlin(2026, 3, 11, 2), reason="holiday swap")
    client = portal(users_a["viewer"])
    page = client.get(f"/oncall/{payments.pk}/month/?month=2026-03")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="oncall-month"' in html and "?month=2026-02" in html and "?month=2026-04" in html
    saturday = _cell(html, "2026-03-07")  # week 1: a-operator all day, no business-hours layer at weekends
    assert "a-operator" in saturday and "00:00–24:00" in saturday and "override" not in saturday
    tuesday = _cell(html, "2026-03-10")  # week 2: a-admin, a-viewer 09–17, a-owner's override from 20:00
    assert "a-admin" in tuesday and "a-viewer" in tuesday and "09:00–17:00" in tuesday
    assert "a-owner" in tuesday and "20:00–24:00" in tuesday and "override" in tuesday
    assert "a-owner" in _cell(html, "2026-03-11") and "00:00–02:00" in _cell(html, "2026-03-11")
    assert "nobody" in _cell(html, "2026-03-01")  # before the rotation starts: a gap, shown
    assert 'data-date="2026-03-30"' in html  # March's last week, Monday first
    assert "a-owner" not in _cell(html, "2026-03-12")
    for bad in ("2026-13", "march", "2026-3", "2026-03-01"):
        response = client.get(f"/oncall/{payments.pk}/month/", {"month": bad})
        assert response.status_code == 400, bad
    assert client.get(f"/oncall/{payments.pk}/month/").status_code == 200  # this month by default
    assert portal(users_b["admin"]).get(f"/oncall/{payments.pk}/month/").status_code == 404


def test_month_calendar_across_the_dst_change(portal, users_a, payments):
    """29 March 2026 in Berlin has 23 hours: the day is still covered from 00:00 to 24:00, once."""
    html = portal(users_a["viewer"]).get(f"/oncall/{payments.pk}/month/?month=2026-03").content.decode()
    sunday = _cell(html, "2026-03-29")
    assert sunday.count("oncall-entry") == 1 and "00:00–24:00" in sunday


def test_a_person_manages_their_own_notification_methods(portal, users_a, org_a):
    from apps.oncall import services
    from apps.oncall.models import ContactMethod

    client = portal(users_a["viewer"])
    assert client.post("/oncall/me/methods/", {"kind": "slack", "target": "U0VIEWER01", "label": "DM",
                                               "critical_only": "on"}).status_code == 302
    method = ContactMethod.objects.get()
    assert method.user == users_a["viewer"] and method.critical_only and method.target == "U0VIEWER01"
    page = client.get("/oncall/me/").content.decode()
    assert 'id="contact-methods"' in page and "DM" in page and "U0VIEWER01" not in page  # write-only
    bad = client.post("/oncall/me/methods/", {"kind": "email", "target": "nope"})
    assert bad.status_code == 400 and "valid e-mail" in bad.content.decode()
    assert ContactMethod.objects.count() == 1
    others = services.contact_method_create(organization=org_a, user=users_a["operator"], kind="email",
                                            target="op@example.com")
    assert client.post(f"/oncall/me/methods/{others.pk}/delete/").status_code == 404
    assert client.post(f"/oncall/me/methods/{method.pk}/delete/").status_code == 302
    assert list(ContactMethod.objects.all()) == [others]


def test_an_override_from_the_month_calendar_in_two_clicks(portal, users_a, payments):
    client = portal(users_a["operator"])
    month = client.get(f"/oncall/{payments.pk}/month/?month=2026-03").content.decode()
    link = re.search(r'href="([^"]+\?day=2026-03-10#overrides)"', month).group(1)  # click 1: the day's "+"
    page = client.get(link.replace("&amp;", "&")).content.decode()
    assert 'value="2026-03-10T00:00"' in page and 'value="2026-03-11T00:00"' in page
    response = client.post(f"/oncall/{payments.pk}/overrides/", {  # click 2: "Add override", person picked
        "user": users_a["owner"].pk, "start": "2026-03-10T00:00", "end": "2026-03-11T00:00", "reason": "holiday"})
    assert response.status_code == 302
    assert Override.objects.get().start == dt.datetime(2026, 3, 9, 23, tzinfo=dt.UTC)
    assert 'value="2026-' in client.get(f"/oncall/{payments.pk}/?day=garbage").content.decode()  # ignored
    viewer_month = portal(users_a["viewer"]).get(f"/oncall/{payments.pk}/month/?month=2026-03").content.decode()
    assert "oncall-override-day" not in viewer_month


def _row(html, schedule):
    match = re.search(rf'<tr data-schedule="{schedule.pk}">(.*?)</tr>', html, re.S)
    return match.group(1) if match else None


def test_who_is_on_call_now_is_on_the_dashboard_for_visible_schedules_only(portal, users_a, users_b, payments,
                                                                             org_b):
    from django.urls import reverse

    from apps.oncall import selectors, services

    foreign = services.schedule_create(organization=org_b, name="Foreign rota")
    [now] = selectors.oncall_now([payments])
    people = selectors.oncall_at(payments)
    assert now.primary == selectors.display_name(selectors.users_by_id([people[0].user_id])[people[0].user_id])
    html = portal(users_a["viewer"]).get(reverse("dashboard")).content.decode()
    card = html[html.index('id="panel-oncall"'):]
    card = card[:card.index("</section>")]
    row = _row(card, payments)
    assert row and f'class="oncall-primary">{now.primary}<' in row
    assert now.backup and f"backup: {now.backup}" in row
    assert _row(card, foreign) is None and "Foreign rota" not in card
    other = portal(users_b["admin"]).get(reverse("dashboard")).content.decode()
    assert _row(other, foreign) is not None and "nobody" in _row(other, foreign)  # no layer yet: a gap
    assert _row(other, payments) is None


def test_the_schedule_list_groups_who_is_on_call_by_team(portal, users_a, payments, org_a, team_a):
    from apps.oncall import selectors, services

    loose = services.schedule_create(organization=org_a, name="Infra")
    html = portal(users_a["viewer"]).get("/oncall/").content.decode()
    team_section = html[html.index(f'data-team="{team_a.pk}"'):]
    team_section = team_section[:team_section.index("</section>")]
    [now] = selectors.oncall_now([payments])
    assert f'class="oncall-primary">{now.primary}<' in _row(team_section, payments)
    assert _row(team_section, loose) is None
    no_team = html[html.index('data-team=""'):]
    assert "No team" in no_team and _row(no_team, loose) is not None and "nobody" in _row(no_team, loose)
