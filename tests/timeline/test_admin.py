"""Admin: entries are browsable and searchable, and nobody can add, change or delete one."""
import pytest
from django.urls import reverse

from apps.timeline.models import TimelineEntry
from tests.timeline.factories import TimelineEntryFactory

pytestmark = pytest.mark.django_db


def test_admin_is_read_only(org_a, users_a, client):
    entry = TimelineEntryFactory(organization=org_a, summary="Alert fired: DiskFull")
    owner = users_a["owner"]
    owner.is_staff = True
    owner.save()
    client.force_login(owner)
    changelist = reverse("admin:timeline_timelineentry_changelist")
    for term in ("DiskFull", str(entry.alert_id), "not a number"):
        response = client.get(changelist, {"q": term})
        assert response.status_code == 200, term
    assert [e.pk for e in client.get(changelist, {"q": "DiskFull"}).context["cl"].result_list] == [entry.pk]

    change = client.get(reverse("admin:timeline_timelineentry_change", args=[entry.pk]))
    assert change.status_code == 200 and not change.context["has_change_permission"]
    assert client.get(reverse("admin:timeline_timelineentry_add")).status_code == 403
    client.post(reverse("admin:timeline_timelineentry_change", args=[entry.pk]), {"summary": "rewritten"})
    client.post(reverse("admin:timeline_timelineentry_delete", args=[entry.pk]), {"post": "yes"})
    entry.refresh_from_db()
    assert entry.summary == "Alert fired: DiskFull"
    assert TimelineEntry.objects.filter(pk=entry.pk).exists()
