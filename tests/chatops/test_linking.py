"""Explicit linking: the signed button opens the portal, the signed-in user confirms; unlink; admin is write-only."""
from django.core import signing
from django.urls import reverse

from apps.chatops import services
from apps.chatops.models import ChatIdentity
from tests.chatops.factories import SIGNING_SECRET, ChatIdentityFactory


def _link_url(command):
    _, reply = command("UNEW", "incidents")
    return reply["blocks"][1]["elements"][0]["url"].split("127.0.0.1:8000")[-1]


def test_link_flow_from_the_slack_button(client, command, users_a, org_a):
    url = _link_url(command)
    client.force_login(users_a["operator"])
    page = client.get(url)
    assert page.status_code == 200 and b"link-confirm" in page.content
    assert not ChatIdentity.objects.exists()  # a GET links nothing
    assert client.post(url).status_code in (200, 302)
    identity = ChatIdentity.objects.get()
    assert (identity.external_id, identity.user, identity.organization) == ("UNEW", users_a["operator"], org_a)
    assert client.post(url).status_code in (200, 302)  # idempotent
    assert ChatIdentity.objects.count() == 1
    _, reply = command("UNEW", "incidents")
    assert "blocks" not in reply or "Link your account" not in str(reply)


def test_link_needs_membership_and_cannot_take_over(client, command, users_a, users_b):
    url = _link_url(command)
    client.force_login(users_b["owner"])
    assert client.post(url).status_code == 409
    client.force_login(users_a["viewer"])
    client.post(url)
    client.force_login(users_a["admin"])
    response = client.post(url)
    assert response.status_code == 409 and b"linked to another portal user" in response.content
    assert ChatIdentity.objects.get().user == users_a["viewer"]


def test_bad_or_expired_token_refused(client, users_a, workspace, settings):
    client.force_login(users_a["viewer"])
    assert client.post(reverse("chatops:link", args=["nonsense"])).status_code == 400
    token = services.link_token(workspace=workspace, external_id="U9")
    forged = signing.dumps({"w": workspace.pk, "u": "U9"}, salt="other")
    assert client.post(reverse("chatops:link", args=[forged])).status_code == 400
    settings.CHATOPS_LINK_MAX_AGE = -1
    response = client.post(reverse("chatops:link", args=[token]))
    assert response.status_code == 400 and b"expired" in response.content
    assert not ChatIdentity.objects.exists()


def test_login_required(client, workspace):
    token = services.link_token(workspace=workspace, external_id="U9")
    assert client.get(reverse("chatops:link", args=[token])).status_code == 302


def test_accounts_page_lists_and_unlinks_only_your_own(client, workspace, users_a, org_a):
    mine = ChatIdentityFactory(organization=org_a, workspace=workspace, user=users_a["viewer"], display_name="me")
    theirs = ChatIdentityFactory(organization=org_a, workspace=workspace, user=users_a["admin"], display_name="them")
    client.force_login(users_a["viewer"])
    page = client.get(reverse("chatops:accounts"))
    assert page.status_code == 200 and b"me" in page.content and b"them" not in page.content
    assert client.post(reverse("chatops:unlink", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("chatops:unlink", args=[mine.pk])).status_code == 302
    assert list(ChatIdentity.objects.all()) == [theirs]


def test_admin_never_shows_secrets(client, workspace, users_a):
    users_a["admin"].is_staff = True
    users_a["admin"].save()
    client.force_login(users_a["admin"])
    page = client.get(reverse("admin:chatops_slackworkspace_change", args=[workspace.pk]))
    assert page.status_code == 200
    assert SIGNING_SECRET.encode() not in page.content and b"xoxb-test" not in page.content
