"""What people do to incidents: create, add/remove alerts, merge, change status, comment, assign, edit.

Every change to an incident's alerts takes the organisation's correlation lock, like the engine,
so a person and the engine never interleave on the same incident.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from aiops import events
from aiops.exceptions import ActionRefused
from apps.alerts.models import Alert
from apps.topology.graph import graph_for

from .choices import TRANSITIONS, AssignRole, IncidentStatus, Strategy
from .lifecycle import apply_status
from .locking import lock_organization
from .membership import attach, recompute
from .merging import merge
from .models import Incident, IncidentAlert, IncidentComment
from .summary import alert_facts, incident_summary

EDITABLE_FIELDS = {
    "title",
    "summary",
    "impact",
    "customer_impact",
    "root_cause_analysis",
    "lessons_learned",
    "action_items",
    "postmortem_url",
}


class IncidentActionError(ActionRefused):
    """The action does not apply to the incident in its current state (a user-facing message)."""


def _who(user) -> str:
    return user.get_username() if user is not None else _("the system")


def _fresh(incident: Incident) -> Incident:
    return Incident.objects.get(pk=incident.pk)


def _link_alert(
    incident: Incident, alert: Alert, *, user, move: bool, reason: str, config, graph, announce: bool
) -> None:
    if alert.organization_id != incident.organization_id:
        raise IncidentActionError(_("The alert belongs to another organisation."))
    existing = IncidentAlert.objects.filter(alert=alert).select_related("incident").first()
    if existing is not None:
        if existing.incident_id == incident.pk:
            raise IncidentActionError(_("The alert is already in this incident."))
        if not move:
            raise IncidentActionError(
                _("The alert is in incident #%(n)d; remove it there first, or move it.")
                % {"n": existing.incident.number}
            )
        _unlink(
            existing.incident,
            existing,
            user=user,
            config=config,
            graph=graph,
            reason=_("moved to incident #%(n)d") % {"n": incident.number},
        )
    attach(
        incident,
        alert,
        graph=graph,
        label_keys=config.label_keys,
        strategy=Strategy.MANUAL,
        reason=reason or _("Added by %(user)s.") % {"user": _who(user)},
        user=user,
        announce=announce,
    )


def _unlink(incident: Incident, link: IncidentAlert, *, user, config, graph, reason: str = "") -> None:
    alert = link.alert
    link.delete()
    recompute(incident, graph=graph, label_keys=config.label_keys, actor=user)
    events.publish(
        "incident.alert_removed",
        org=incident.organization_id,
        subject=incident,
        actor=user,
        **alert_facts(alert),
        reason=reason,
        **incident_summary(incident),
    )


@transaction.atomic
def incident_create(
    *,
    organization,
    user,
    title: str,
    summary: str = "",
    severity: str = "warning",
    alerts=(),
    team=None,
    move: bool = False,
) -> Incident:
    """Open an incident by hand, optionally with alerts (in no other incident, unless `move`)."""
    config = lock_organization(organization.pk)
    number = (Incident.objects.filter(organization=organization).aggregate(n=Max("number"))["n"] or 0) + 1
    incident = Incident.objects.create(
        organization=organization,
        number=number,
        title=title.strip()[:300],
        title_is_auto=False,
        summary=summary,
        severity=severity,
        team=team,
        created_by=user,
        correlation_strategy=Strategy.MANUAL,
        correlation_reason=_("Opened by %(user)s.") % {"user": _who(user)},
    )
    graph = graph_for(organization.pk)
    for alert in alerts:
        _link_alert(incident, alert, user=user, move=move, reason="", config=config, graph=graph, announce=False)
    events.publish(
        "incident.created",
        org=organization,
        subject=incident,
        actor=user,
        alert_id=alerts[0].pk if alerts else None,
        alert_ids=[a.pk for a in alerts],
        strategy=Strategy.MANUAL,
        reason=incident.correlation_reason,
        **incident_summary(incident),
    )
    return incident


@transaction.atomic
def incident_add_alert(*, incident: Incident, alert: Alert, user, move: bool = False, reason: str = "") -> Incident:
    """A person adds an alert ("these are related"); recorded as the manual strategy with who did it."""
    config = lock_organization(incident.organization_id)
    incident = _fresh(incident)
    if incident.merged_into_id:
        raise IncidentActionError(_("This incident was merged into #%(n)d.") % {"n": incident.merged_into.number})
    _link_alert(
        incident,
        alert,
        user=user,
        move=move,
        reason=reason,
        config=config,
        graph=graph_for(incident.organization_id),
        announce=True,
    )
    return incident


@transaction.atomic
def incident_remove_alert(*, incident: Incident, alert: Alert, user, reason: str = "") -> Incident:
    """Take an alert out; counters, services and root cause are rebuilt from the remaining alerts."""
    config = lock_organization(incident.organization_id)
    incident = _fresh(incident)
    link = IncidentAlert.objects.filter(incident=incident, alert=alert).select_related("alert").first()
    if link is None:
        raise IncidentActionError(_("The alert is not in this incident."))
    _unlink(
        incident,
        link,
        user=user,
        config=config,
        graph=graph_for(incident.organization_id),
        reason=reason or _("Removed by %(user)s.") % {"user": _who(user)},
    )
    return incident


@transaction.atomic
def incident_merge(*, target: Incident, source: Incident, user, reason: str = "") -> Incident:
    """Move every alert of `source` into `target`; `source` resolves and points at `target`."""
    config = lock_organization(target.organization_id)
    target, source = _fresh(target), _fresh(source)
    if source.organization_id != target.organization_id:
        raise IncidentActionError(_("Both incidents must belong to the same organisation."))
    if source.pk == target.pk:
        raise IncidentActionError(_("An incident cannot be merged into itself."))
    if source.merged_into_id:
        raise IncidentActionError(_("Incident #%(n)d was already merged.") % {"n": source.number})
    if target.merged_into_id:
        raise IncidentActionError(
            _("Incident #%(n)d was merged into another one; merge into that one.") % {"n": target.number}
        )
    merge(
        target,
        source,
        graph=graph_for(target.organization_id),
        label_keys=config.label_keys,
        user=user,
        reason=reason or _("merged by %(user)s") % {"user": _who(user)},
    )
    return _fresh(target)


@transaction.atomic
def incident_set_status(*, incident: Incident, status: str, user, note: str = "") -> Incident:
    """Move through the lifecycle; invalid moves are refused with the allowed ones named.

    Re-open rules: a resolved incident may go back to open or investigating, except one that was
    merged (its alerts live in the other incident now).
    """
    lock_organization(incident.organization_id)
    incident = _fresh(incident)
    if status not in IncidentStatus.values:
        raise IncidentActionError(_("Unknown status %(s)r.") % {"s": status})
    if status == incident.status:
        raise IncidentActionError(_("The incident is already %(s)s.") % {"s": incident.get_status_display()})
    allowed = TRANSITIONS[incident.status]
    if status not in allowed:
        names = ", ".join(sorted(str(IncidentStatus(s).label) for s in allowed))
        raise IncidentActionError(
            _("An incident that is %(old)s cannot become %(new)s; allowed: %(allowed)s.")
            % {"old": incident.get_status_display(), "new": IncidentStatus(status).label, "allowed": names}
        )
    if incident.status == IncidentStatus.RESOLVED and incident.merged_into_id:
        raise IncidentActionError(
            _("This incident was merged into #%(n)d; re-open that one instead.") % {"n": incident.merged_into.number}
        )
    reason = "re-opened" if incident.status == IncidentStatus.RESOLVED else ""
    apply_status(incident, status, user=user, note=note.strip(), reason=reason)
    return incident


@transaction.atomic
def incident_comment(*, incident: Incident, user, body: str) -> IncidentComment:
    body = (body or "").strip()
    if not body:
        raise IncidentActionError(_("The comment is empty."))
    if len(body) > 10000:
        raise IncidentActionError(_("The comment is longer than 10000 characters."))
    comment = IncidentComment.objects.create(
        organization_id=incident.organization_id, incident=incident, author=user, body=body
    )
    events.publish(
        "incident.commented",
        org=incident.organization_id,
        subject=incident,
        actor=user,
        comment_id=comment.pk,
        comment=body,
        author=_who(user),
        **incident_summary(incident),
    )
    return comment


@transaction.atomic
def incident_assign(*, incident: Incident, user, assignee, role: str = AssignRole.ASSIGNEE) -> Incident:
    """Set the assignee or the incident commander (a member of the organisation, or None to clear)."""
    from apps.tenancy.models import Membership

    if role not in AssignRole.values:
        raise IncidentActionError(_("Unknown role %(r)r; use assignee or commander.") % {"r": role})
    if (
        assignee is not None
        and not Membership.objects.filter(organization_id=incident.organization_id, user=assignee).exists()
    ):
        raise IncidentActionError(_("The assignee is not a member of this organisation."))
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    setattr(incident, role, assignee)
    incident.save(update_fields=[role, "updated_at"])
    events.publish(
        "incident.assigned",
        org=incident.organization_id,
        subject=incident,
        actor=user,
        role=role,
        assignee_id=assignee.pk if assignee else None,
        assignee=_who(assignee) if assignee else "",
        **incident_summary(incident),
    )
    return incident


def _validate_action_items(items) -> list:
    if not isinstance(items, list):
        raise IncidentActionError(_("Action items must be a list."))
    clean = []
    for item in items:
        if isinstance(item, str):
            item = {"title": item}
        if not isinstance(item, dict) or not str(item.get("title", "")).strip():
            raise IncidentActionError(_('Each action item needs a "title".'))
        unknown = set(item) - {"title", "owner", "due", "done"}
        if unknown:
            raise IncidentActionError(_("Unknown action item field(s): %(f)s.") % {"f": ", ".join(sorted(unknown))})
        clean.append(
            {
                "title": str(item["title"]).strip()[:500],
                "owner": str(item.get("owner") or "")[:200],
                "due": str(item.get("due") or "")[:40],
                "done": bool(item.get("done", False)),
            }
        )
    return clean


@transaction.atomic
def incident_update(*, incident: Incident, user, **fields) -> Incident:
    """Edit the title, summary and post-mortem fields; a title set by hand stops following the root cause."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise IncidentActionError(_("These fields cannot be edited: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if "action_items" in fields:
        fields["action_items"] = _validate_action_items(fields["action_items"])
    if "title" in fields:
        title = (fields["title"] or "").strip()
        if not title:
            raise IncidentActionError(_("The title is empty."))
        fields["title"] = title[:300]
        incident.title_is_auto = False
    for key, value in fields.items():
        setattr(incident, key, value)
    incident.save(update_fields=[*fields, "title_is_auto", "updated_at"])
    return incident
