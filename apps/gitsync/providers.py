"""Push webhooks per provider: how each proves a delivery is genuine, names it, and says what moved.

- GitHub: `X-Hub-Signature-256: sha256=<HMAC-SHA256(secret, body)>`, `X-GitHub-Event: push`,
  a unique `X-GitHub-Delivery` (used to ignore a replayed delivery).
- GitLab: `X-Gitlab-Token` carries the secret token itself (GitLab does not sign bodies); it is
  compared in constant time. `X-Gitlab-Event: Push Hook` / `Tag Push Hook`; the delivery id is
  `X-Gitlab-Event-UUID` (or `Idempotency-Key` on newer GitLab).
- Gitea / Forgejo: `X-Gitea-Signature` (or `X-Forgejo-Signature`): hex HMAC-SHA256 of the body,
  no prefix; `X-Gitea-Event: push`, `X-Gitea-Delivery`.
- Bitbucket (Cloud and Data Center): `X-Hub-Signature: sha256=<hex>`; `X-Event-Key: repo:push`
  (Cloud) or `repo:refs_changed` (Data Center); `X-Request-UUID` / `X-Request-Id`.

Every comparison uses `hmac.compare_digest`.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from .choices import WebhookProvider


@dataclass
class Push:
    delivery_id: str
    refs: list[str] = field(default_factory=list)  # refs/heads/main, refs/tags/v1
    after: str = ""
    ping: bool = False
    ignored: str = ""  # why a genuine delivery is not a push


def _hmac_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _header(meta: dict, name: str) -> str:
    value = meta.get(name)
    return value.strip() if isinstance(value, str) else ""


def authentic(provider: str, secret: str, meta: dict, body: bytes) -> bool:
    if not secret:
        return False
    if provider == WebhookProvider.GITHUB:
        given = _header(meta, "HTTP_X_HUB_SIGNATURE_256")
        return hmac.compare_digest(("sha256=" + _hmac_hex(secret, body)).encode(), given.encode())
    if provider == WebhookProvider.GITLAB:
        return hmac.compare_digest(secret.encode(), _header(meta, "HTTP_X_GITLAB_TOKEN").encode())
    if provider == WebhookProvider.GITEA:
        given = _header(meta, "HTTP_X_GITEA_SIGNATURE") or _header(meta, "HTTP_X_FORGEJO_SIGNATURE")
        return hmac.compare_digest(_hmac_hex(secret, body).encode(), given.lower().encode())
    if provider == WebhookProvider.BITBUCKET:
        given = _header(meta, "HTTP_X_HUB_SIGNATURE")
        return hmac.compare_digest(("sha256=" + _hmac_hex(secret, body)).encode(), given.encode())
    return False


def _str(value) -> str:
    return value if isinstance(value, str) else ""


def parse(provider: str, meta: dict, body) -> Push:
    """What the delivery says; raises ValueError for a malformed body."""
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    if provider == WebhookProvider.GITHUB:
        push = Push(_header(meta, "HTTP_X_GITHUB_DELIVERY"))
        event = _header(meta, "HTTP_X_GITHUB_EVENT")
        if event == "ping":
            push.ping = True
        elif event != "push":
            push.ignored = f"GitHub event {event or 'without X-GitHub-Event'!r} is not a push"
        push.refs, push.after = [_str(body.get("ref"))], _str(body.get("after"))
    elif provider == WebhookProvider.GITLAB:
        push = Push(_header(meta, "HTTP_X_GITLAB_EVENT_UUID") or _header(meta, "HTTP_IDEMPOTENCY_KEY"))
        event = _header(meta, "HTTP_X_GITLAB_EVENT")
        if event not in ("Push Hook", "Tag Push Hook"):
            push.ignored = f"GitLab event {event!r} is not a push"
        push.refs, push.after = [_str(body.get("ref"))], _str(body.get("after") or body.get("checkout_sha"))
    elif provider == WebhookProvider.GITEA:
        push = Push(_header(meta, "HTTP_X_GITEA_DELIVERY") or _header(meta, "HTTP_X_FORGEJO_DELIVERY"))
        event = _header(meta, "HTTP_X_GITEA_EVENT") or _header(meta, "HTTP_X_FORGEJO_EVENT")
        if event != "push":
            push.ignored = f"Gitea event {event!r} is not a push"
        push.refs, push.after = [_str(body.get("ref"))], _str(body.get("after"))
    elif provider == WebhookProvider.BITBUCKET:
        push = Push(_header(meta, "HTTP_X_REQUEST_UUID") or _header(meta, "HTTP_X_REQUEST_ID"))
        event = _header(meta, "HTTP_X_EVENT_KEY")
        if event == "diagnostics:ping":
            push.ping = True
        elif event == "repo:push":  # Bitbucket Cloud
            changes = (body.get("push") or {}).get("changes") if isinstance(body.get("push"), dict) else None
            for change in changes if isinstance(changes, list) else []:
                new = change.get("new") if isinstance(change, dict) else None
                if isinstance(new, dict):
                    prefix = "refs/tags/" if new.get("type") == "tag" else "refs/heads/"
                    push.refs.append(prefix + _str(new.get("name")))
                    target = new.get("target") if isinstance(new.get("target"), dict) else {}
                    push.after = push.after or _str(target.get("hash"))
        elif event == "repo:refs_changed":  # Bitbucket Data Center
            changes = body.get("changes")
            for change in changes if isinstance(changes, list) else []:
                if isinstance(change, dict):
                    push.refs.append(_str(change.get("refId")))
                    push.after = push.after or _str(change.get("toHash"))
        else:
            push.ignored = f"Bitbucket event {event!r} is not a push"
    else:
        raise ValueError("this repository has no push webhook provider")
    push.refs = [r for r in push.refs if r]
    push.delivery_id = push.delivery_id[:200]
    return push
