"""Choose the SSH target a run uses: fixed by name in the definition, picked by the person, or found
from an alert label (`instance` by default, host part only)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from ..executors.ssh import Endpoint, load_private_key
from ..matching import host_of
from ..models import SshTarget


class TargetError(Exception):
    """No usable target; the message tells the operator what to add or fix."""


def needs_target(definition: dict) -> bool:
    return any(step["type"] == "command" for step in definition["steps"])


def target_choose(
    *, definition: dict, organization, labels: dict, chosen: SshTarget | None = None
) -> SshTarget | None:
    if not needs_target(definition):
        return None
    if chosen is not None:
        if chosen.organization_id != getattr(organization, "pk", organization) or not chosen.enabled:
            raise TargetError(f"SSH target {chosen.name!r} is not available")
        return chosen
    spec = definition.get("target") or {"label": "instance"}
    targets = SshTarget.objects.filter(organization=organization, enabled=True)
    if "name" in spec:
        target = targets.filter(name=spec["name"]).first()
        if target is None:
            raise TargetError(
                f"the runbook runs on SSH target {spec['name']!r}, which does not exist or is disabled"
            )
        return target
    label = spec["label"]
    if not labels.get(label):
        raise TargetError(f"no SSH target: the alert has no {label!r} label (choose a target to run by hand)")
    host = host_of(str(labels[label]))
    found = list(targets.filter(Q(host__iexact=host) | Q(name__iexact=host))[:2])
    if not found:
        raise TargetError(
            f"no SSH target for {label}={labels[label]!r}: add an enabled SSH target with host {host!r}"
        )
    if len(found) > 1:
        raise TargetError(
            f"several SSH targets match host {host!r}: make host or name unique, or fix the target "
            "in the runbook"
        )
    return found[0]


def target_endpoint(target: SshTarget) -> Endpoint:
    from ..choices import HostKeyPolicy

    return Endpoint(
        host=target.host,
        port=target.port,
        username=target.username,
        private_key=target.private_key or "",
        passphrase=target.private_key_passphrase or "",
        password=target.password or "",
        host_key=target.host_key,
        accept_new_host_key=target.host_key_policy == HostKeyPolicy.ACCEPT_NEW,
    )


@transaction.atomic
def target_pin_host_key(*, target: SshTarget, host_key: str) -> bool:
    """Pin a key learned on first connect (accept-new); never overwrite a key already pinned."""
    return bool(SshTarget.objects.filter(pk=target.pk, host_key="").update(host_key=host_key))


def target_credential_problems(
    *, private_key: str, passphrase: str, password: str, key_changed: bool
) -> dict:
    """Field → problem for a target's credentials: one rule for the admin form and the API."""
    problems = {}
    if private_key and key_changed:
        try:
            load_private_key(private_key, passphrase)
        except ValueError as exc:
            problems["private_key"] = str(exc)
    if not private_key and not password:
        problems["private_key"] = "give a private key or a password"
    return problems
