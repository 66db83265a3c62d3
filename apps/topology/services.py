"""Write paths of the service registry: services and dependencies one by one, import a graph file,
discover services from alerts. The registry's rules (a name is unique per environment, an edge
joins two different services once) live here, whichever door the write comes through."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import conf, graph
from .choices import DiscoveredFrom
from .interchange import Problem, TopologyFileError, TopologySpec
from .models import Dependency, Service


def _save_unless_taken(row, fields: dict, *, taken, field: str, message) -> object:
    """Apply `fields` to `row` and save it, unless another row of `taken(row)` holds its place."""
    for name, value in fields.items():
        setattr(row, name, value)
    clash = taken(row)
    if row.pk is not None:
        clash = clash.exclude(pk=row.pk)
    if clash.exists():
        raise ValidationError({field: message})
    row.save()
    return row


def _service_taken(service: Service):
    return Service.objects.for_org(service.organization_id).filter(name=service.name, environment=service.environment)


def _dependency_taken(dependency: Dependency):
    if dependency.source_id is not None and dependency.source_id == dependency.target_id:
        raise ValidationError({"target": _("A service cannot depend on itself.")})
    return Dependency.objects.filter(source_id=dependency.source_id, target_id=dependency.target_id)


SERVICE_TAKEN = _("A service with this name already exists in this environment.")
DEPENDENCY_TAKEN = _("This dependency already exists.")


def service_create(*, organization, **fields) -> Service:
    return _save_unless_taken(
        Service(organization=organization), fields, taken=_service_taken, field="name", message=SERVICE_TAKEN
    )


def service_update(*, service: Service, **fields) -> Service:
    return _save_unless_taken(service, fields, taken=_service_taken, field="name", message=SERVICE_TAKEN)


def dependency_create(*, organization, **fields) -> Dependency:
    return _save_unless_taken(
        Dependency(organization=organization), fields, taken=_dependency_taken, field="target",
        message=DEPENDENCY_TAKEN,
    )


def dependency_update(*, dependency: Dependency, **fields) -> Dependency:
    return _save_unless_taken(dependency, fields, taken=_dependency_taken, field="target", message=DEPENDENCY_TAKEN)


@dataclass
class ImportResult:
    created: dict = field(default_factory=lambda: {"services": 0, "dependencies": 0})
    updated: dict = field(default_factory=lambda: {"services": 0, "dependencies": 0})
    deleted: dict = field(default_factory=lambda: {"services": 0, "dependencies": 0})
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "dry_run": self.dry_run,
        }


def _resolve(name: str, env: str | None, candidates: dict[tuple[str, str], object]):
    """Find a service by name (and environment when given); None, or a message when ambiguous."""
    if env is not None:
        return candidates.get((name, env)), None
    matches = [obj for (n, _e), obj in candidates.items() if n == name]
    if len(matches) > 1:
        envs = sorted(e for (n, e) in candidates if n == name)
        return (
            None,
            f"{name!r} exists in several environments ({', '.join(repr(e) for e in envs)}); set environment",
        )
    return (matches[0] if matches else None), None


@transaction.atomic
def topology_import(*, organization, spec: TopologySpec, replace: bool = False, dry_run: bool = False) -> ImportResult:
    """Upsert the file's services and dependencies; with `replace`, delete what the file omits.

    References are resolved before any write (team slugs, dependency ends against the file and,
    when merging, the existing registry), so a file with one bad reference changes nothing.
    """
    from apps.tenancy.models import Team

    result = ImportResult(dry_run=dry_run)
    problems: list[Problem] = []
    existing = {(s.name, s.environment): s for s in Service.objects.for_org(organization)}
    teams = {t.slug: t for t in Team.objects.for_org(organization)}
    for index, item in enumerate(spec.services):
        if item.team_slug and item.team_slug not in teams:
            problems.append(
                Problem(
                    f"services[{index}].team",
                    f"no team with slug {item.team_slug!r} in this organisation",
                    item.team_line,
                )
            )
    known = {(s.name, s.environment): s for s in spec.services}
    if not replace:
        known = {**existing, **known}
    ends = []
    for dep in spec.dependencies:
        resolved = []
        for label, (name, env) in (("source", dep.source), ("target", dep.target)):
            found, ambiguity = _resolve(name, env, known)
            if found is None:
                where = f" in environment {env!r}" if env else ""
                message = ambiguity or f"{label} {name!r}{where} is neither in the file nor in the registry"
                problems.append(Problem(f"{dep.path}.{label}", message, dep.end_lines.get(label, dep.line)))
            resolved.append(found)
        ends.append(resolved)
    if problems:
        raise TopologyFileError(problems)

    saved: dict[tuple[str, str], Service] = {}
    for item in spec.services:
        fields = dict(item.fields)
        if item.team_slug is not None:
            fields["team"] = teams.get(item.team_slug)
        service = existing.get((item.name, item.environment))
        if service is None:
            service = Service.objects.create(
                organization=organization,
                name=item.name,
                environment=item.environment,
                discovered_from=DiscoveredFrom.IMPORT,
                **fields,
            )
            result.created["services"] += 1
        else:
            for key, value in fields.items():
                setattr(service, key, value)
            if service.discovered_from == DiscoveredFrom.ALERT:
                service.discovered_from = DiscoveredFrom.IMPORT  # curated now
            service.save()
            result.updated["services"] += 1
        saved[(item.name, item.environment)] = service

    def as_saved(obj) -> Service:
        return obj if isinstance(obj, Service) else saved[(obj.name, obj.environment)]

    current = {(d.source_id, d.target_id): d for d in Dependency.objects.for_org(organization)}
    keep: set[int] = set()
    for dep, (source, target) in zip(spec.dependencies, ends, strict=True):
        source, target = as_saved(source), as_saved(target)
        edge = current.get((source.pk, target.pk))
        if edge is None:
            edge = Dependency.objects.create(
                organization=organization,
                source=source,
                target=target,
                discovered_from=DiscoveredFrom.IMPORT,
                **dep.fields,
            )
            result.created["dependencies"] += 1
        elif dep.fields:
            for key, value in dep.fields.items():
                setattr(edge, key, value)
            edge.save()
            result.updated["dependencies"] += 1
        keep.add(edge.pk)
    if replace:
        stale_deps = Dependency.objects.for_org(organization).exclude(pk__in=keep)
        result.deleted["dependencies"] = stale_deps.count()
        stale_deps.delete()
        stale = Service.objects.for_org(organization).exclude(pk__in=[s.pk for s in saved.values()])
        result.deleted["services"] = stale.count()
        stale.delete()
    if dry_run:
        transaction.set_rollback(True)
    else:
        transaction.on_commit(lambda: graph.forget(organization))
    return result


def _touch_needed(last_seen: datetime | None, seen_at: datetime) -> bool:
    return last_seen is None or seen_at - last_seen >= timedelta(seconds=conf.last_seen_resolution_seconds())


@dataclass(frozen=True)
class Sighting:
    """An alert naming a service: what discovery registers or refreshes."""

    organization_id: int
    name: str
    environment: str = ""
    namespace: str = ""
    team_id: int | None = None
    seen_at: datetime | None = None


def services_touch_from_alerts(*, sightings: list[Sighting]) -> list[Service | None]:
    """Register the services a batch of alerts names (if new) and refresh their `last_seen`.

    A storm's alerts mostly name a few services, so the work is set-based: one query finds the
    services already known, one insert adds the new ones, one update refreshes `last_seen` (at
    most every `last_seen_resolution_seconds` per service, to the latest sighting). Returns the
    service of each sighting (None for a blank name), in order.

    An environment-agnostic entry with the same name counts as the service, so a hand-made
    registry is not doubled by discovery; sightings are settled in order, so within a batch, as
    one by one, a service registered by an earlier sighting is found by a later one. Concurrent
    first sightings of one service are settled by the unique constraint (ON CONFLICT DO NOTHING,
    then read back), so a redelivered batch registers nothing twice.
    """
    now = timezone.now()
    cleaned = [
        replace(s, name=(s.name or "").strip()[:255], environment=(s.environment or "")[:100],
                namespace=(s.namespace or "")[:255], seen_at=s.seen_at or now)
        for s in sightings
    ]
    wanted = [s for s in cleaned if s.name]
    known = _services_named(wanted)
    new: dict[tuple[int, str, str], Service] = {}
    for s in wanted:
        if _registered(known, s) is None:
            key = (s.organization_id, s.name, s.environment)
            new[key] = known[key] = Service(
                organization_id=s.organization_id, name=s.name, environment=s.environment,
                namespace=s.namespace, team_id=s.team_id, discovered_from=DiscoveredFrom.ALERT,
                last_seen=s.seen_at,
            )
    if new:
        # bulk_create sends no post_save, so the graph cache is dropped here (as the signal would).
        Service.objects.bulk_create(new.values(), ignore_conflicts=True)
        known.update(_services_named(list(new.values())))  # ours, or a concurrent worker's
        for org_id in {key[0] for key in new}:
            transaction.on_commit(lambda org_id=org_id: graph.forget(org_id))
    latest: dict[int, tuple[Service, datetime]] = {}
    for s in wanted:
        service = _registered(known, s)
        if service.pk not in latest or s.seen_at > latest[service.pk][1]:
            latest[service.pk] = (service, s.seen_at)
    stale = []
    for service, seen_at in latest.values():
        if _touch_needed(service.last_seen, seen_at):
            service.last_seen = seen_at
            stale.append(service)
    if stale:
        # bulk_update(), not save(): last_seen does not change the graph, so its cache stays warm.
        Service.objects.bulk_update(stale, ["last_seen"])
    return [_registered(known, s) if s.name else None for s in cleaned]


def _services_named(sightings) -> dict[tuple[int, str, str], Service]:
    """The registered services (any environment) with the names the sightings carry, by key."""
    names = defaultdict(set)
    for s in sightings:
        names[s.organization_id].add(s.name)
    if not names:
        return {}
    wanted = Q()
    for org_id, org_names in names.items():
        wanted |= Q(organization_id=org_id, name__in=org_names)
    return {(s.organization_id, s.name, s.environment): s for s in Service.objects.filter(wanted)}


def _registered(known: dict, s: Sighting) -> Service | None:
    return known.get((s.organization_id, s.name, s.environment)) or known.get((s.organization_id, s.name, ""))


def services_discover_from_alerts(*, organization, since: datetime | None = None) -> int:
    """Register every service named by the organisation's alerts since a time; returns how many were new."""
    from apps.alerts.models import Alert

    since = since or timezone.now() - timedelta(days=7)
    rows = (
        Alert.objects.for_org(organization)
        .filter(starts_at__gte=since)
        .exclude(service="")
        .values("service", "environment")
        .distinct()
    )
    before = Service.objects.for_org(organization).count()
    services_touch_from_alerts(sightings=[
        Sighting(organization.pk, row["service"], row["environment"] or "") for row in rows
    ])
    return Service.objects.for_org(organization).count() - before
