"""ChatOps write paths: explicit account linking (a signed token from Slack, confirmed in the portal)."""
from __future__ import annotations

from django.core import signing
from django.db import transaction
from django.utils.translation import gettext as _

from aiops.exceptions import ActionRefused

from . import conf
from .models import ChatIdentity, SlackWorkspace

SALT = "chatops.link"


class LinkError(ActionRefused):
    code = "link_refused"


def link_token(*, workspace: SlackWorkspace, external_id: str, display_name: str = "") -> str:
    """What the ephemeral "link your account" button carries to the portal (signed, short-lived)."""
    return signing.dumps({"w": workspace.pk, "u": external_id, "n": display_name[:200]}, salt=SALT, compress=True)


def read_link_token(token: str) -> tuple[SlackWorkspace, str, str]:
    try:
        data = signing.loads(token, salt=SALT, max_age=conf.link_max_age())
    except signing.SignatureExpired:
        raise LinkError(_("This link has expired; run /aiops again in Slack for a new one.")) from None
    except signing.BadSignature:
        raise LinkError(_("This link is not valid.")) from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), str) or not isinstance(data.get("w"), int):
        raise LinkError(_("This link is not valid."))
    workspace = SlackWorkspace.objects.filter(pk=data["w"], enabled=True).select_related("organization").first()
    if workspace is None:
        raise LinkError(_("This Slack workspace is no longer connected."))
    return workspace, data["u"], str(data.get("n") or "")


@transaction.atomic
def identity_link(*, workspace: SlackWorkspace, external_id: str, user, display_name: str = "") -> ChatIdentity:
    """Link the signed-in `user` to a Slack user; idempotent; refuses to take over another user's link."""
    from aiops.access import access_for

    if access_for(user).role_in(workspace.organization_id) is None:
        raise LinkError(_("You are not a member of %(org)s, which this Slack workspace belongs to.")
                        % {"org": workspace.organization.name})
    existing = ChatIdentity.objects.select_for_update().filter(workspace=workspace, external_id=external_id).first()
    if existing is not None:
        if existing.user_id != user.pk:
            raise LinkError(_("This Slack account is linked to another portal user; they must unlink it first."))
        return existing
    return ChatIdentity.objects.create(
        organization_id=workspace.organization_id, workspace=workspace, external_id=external_id,
        display_name=display_name, user=user, provider="slack",
    )


@transaction.atomic
def identity_unlink(*, identity: ChatIdentity, user) -> None:
    if identity.user_id != user.pk:
        raise LinkError(_("You can only unlink your own chat accounts."))
    identity.delete()
