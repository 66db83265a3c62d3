"""Write paths of the service registry: import a graph file, discover services from alerts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import conf, graph
from .choices import DiscoveredFrom
from .interchange import Problem, TopologyFileError, TopologySpec
from .models import Dependency, Service


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


def service_touch_from_alert(
    *,
    organization_id: int,
    name: str,
    environment: str = "",
    namespace: str = "",
    team_id: int | None = None,
    seen_at: datetime | None = None,
) -> Service | None:
    """Register the service an alert names (if new) and refresh its `last_seen`.

    An environment-agnostic entry with the same name counts as the service, so a hand-made
    registry is not doubled by discovery. Concurrent first sightings of one service are settled
    by the unique constraint.
    """
    name = (name or "").strip()[:255]
    if not name:
        return None
    seen_at = seen_at or timezone.now()
    qs = Service.objects.filter(organization_id=organization_id, name=name)
    service = qs.filter(environment=environment).first() or qs.filter(environment="").first()
    if service is None:
        try:
            with transaction.atomic():
                return Service.objects.create(
                    organization_id=organization_id,
                    name=name,
                    environment=environment[:100],
                    namespace=namespace[:255],
                    team_id=team_id,
                    discovered_from=DiscoveredFrom.ALERT,
                    last_seen=seen_at,
                )
        except IntegrityError:
            service = qs.get(environment=environment[:100])
    if _touch_needed(service.last_seen, seen_at):
        # update(), not save(): last_seen does not change the graph, so the graph cache stays warm.
        Service.objects.filter(pk=service.pk).update(last_seen=seen_at)
        service.last_seen = seen_at
    return service


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
    for row in rows:
        service_touch_from_alert(
            organization_id=organization.pk, name=row["service"], environment=row["environment"] or ""
        )
    return Service.objects.for_org(organization).count() - before
