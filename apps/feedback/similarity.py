"""Similar past alerts, incidents and library entries for an alert, ranked by an explainable score.

Four signals, each between 0 and 1, weighted into the score the portal and the API show:

- name     — the same alert name (1), a library pattern that matches it (0.9), else shared name words;
- labels   — Jaccard overlap of the label pairs (`key=value`, alertname left out); for a library
             entry only the entry's key labels are compared;
- text     — TF-IDF cosine of name, summary and description (words + character trigrams, see text.py);
- service  — the same service (1), or a service one (0.6) or two (0.3) dependency hops away in the
             topology registry.

Candidates come only from indexed prefilters, each bounded (same name; same service; services
related in the topology; alerts that received feedback), always inside one organisation and,
for people, only rows they may see — so a million stored alerts cost a few bounded index scans.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from apps.alerts.models import Alert

from . import conf
from .models import AnalysisFeedback, RemediationFeedback, SuccessfulRemediation
from .text import TfIdf, jaccard, label_pairs, words

WEIGHTS = {"name": 0.35, "labels": 0.25, "text": 0.25, "service": 0.15}
HOP_SCORE = {1: 0.6, 2: 0.3}
GLOB_CHARS = ("*", "?", "[")
# What ranking, the panel, the API and the prompt read of a candidate alert (annotations etc. stay unread).
CASE_FIELDS = (
    "id",
    "organization_id",
    "team_id",
    "name",
    "service",
    "instance",
    "environment",
    "summary",
    "description",
    "labels",
    "status",
    "severity",
    "starts_at",
    "ends_at",
)


@dataclass
class Case:
    """One similar thing: a past alert, an incident, or a library entry, with how its score arose."""

    kind: str  # "alert", "incident" or "remediation"
    obj: object
    factors: dict[str, float]
    relation: str = ""  # how the service relates ("same service", "1 hop in the topology", ...)
    members: list = field(default_factory=list)  # for an incident: its similar alerts

    @property
    def score(self) -> float:
        return round(sum(WEIGHTS[k] * self.factors.get(k, 0.0) for k in WEIGHTS), 4)

    @property
    def percent(self) -> int:
        return round(self.score * 100)

    @property
    def url(self) -> str:
        name = {"alert": "alerts:detail", "incident": "incidents:detail", "remediation": "feedback:detail"}
        return reverse(name[self.kind], kwargs={"pk": self.obj.pk})

    @property
    def title(self) -> str:
        obj = self.obj
        if self.kind == "alert":
            return f"{obj.name} · {obj.service or obj.instance or '-'}"
        if self.kind == "incident":
            return f"#{obj.number} {obj.title}"
        return f"{obj.alert_pattern}: {obj.solution_summary}"


def alert_text(alert) -> str:
    return " ".join(filter(None, [alert.name, alert.summary, alert.description]))


def name_score(name: str, other: str) -> float:
    if not name or not other:
        return 0.0
    if name.lower() == other.lower():
        return 1.0
    return round(0.6 * jaccard(words(name), words(other)), 4)


def pattern_score(pattern: str, name: str) -> float:
    """A library entry's pattern against an alert name: exact, shell pattern, or shared words."""
    if pattern.lower() == (name or "").lower():
        return 1.0
    if any(c in pattern for c in GLOB_CHARS) and fnmatch.fnmatchcase((name or "").lower(), pattern.lower()):
        return 0.9
    return name_score(pattern, name)


def related_services(alert) -> dict[str, tuple[float, str]]:
    """Service name → (score, how it relates): the alert's own and its topology neighbours."""
    if not alert.service:
        return {}
    out = {alert.service: (1.0, "same service")}
    from apps.topology.graph import graph_for

    graph = graph_for(alert.organization_id)
    node = graph.node_for(alert.service, alert.environment)
    if node is None:
        return out
    for other, (hops, direction) in graph.related(node, max_hops=2).items():
        name = graph.nodes[other].name
        if name not in out:
            out[name] = (HOP_SCORE[hops], f"{direction}, {hops} hop{'s' if hops > 1 else ''} in the topology")
    return out


def _candidate_alerts(alert, alerts_qs, since, limit: int, services: dict) -> list[Alert]:
    """Bounded, indexed prefilters (organisation first in every index used)."""
    base = alerts_qs.filter(starts_at__gte=since).exclude(pk=alert.pk)
    ids: set[int] = set(base.filter(name=alert.name).order_by("-starts_at").values_list("pk", flat=True)[:limit])
    if alert.service:
        ids.update(base.filter(service=alert.service).order_by("-starts_at").values_list("pk", flat=True)[:limit])
    neighbours = [name for name in services if name != alert.service][:50]
    if neighbours:
        ids.update(base.filter(service__in=neighbours).order_by("-starts_at").values_list("pk", flat=True)[:limit])
    # Alerts people gave feedback on are the ones worth finding even under another name.
    for model in (RemediationFeedback, AnalysisFeedback):
        ids.update(
            model.objects.for_org(alert.organization_id)
            .filter(created_at__gte=since, alert__isnull=False)
            .exclude(alert_id=alert.pk)
            .order_by("-created_at")
            .values_list("alert_id", flat=True)[:limit]
        )
    return list(base.filter(pk__in=ids).only(*CASE_FIELDS))


def _candidate_entries(alert, entries_qs, limit: int, services: dict) -> list[SuccessfulRemediation]:
    """Entries for this alert name or a related service (indexed), and shell-pattern entries."""
    active = entries_qs.filter(is_active=True)
    ids = set(active.filter(alert_pattern=alert.name).values_list("pk", flat=True)[:limit])
    if services:
        ids.update(active.filter(service__in=list(services)[:50]).values_list("pk", flat=True)[:limit])
    globs = Q()
    for char in GLOB_CHARS:
        globs |= Q(alert_pattern__contains=char)
    ids.update(active.filter(globs).values_list("pk", flat=True)[:limit])
    return list(active.filter(pk__in=ids).select_related("runbook", "verified_by"))


def _service_factor(service: str, services: dict) -> tuple[float, str]:
    return services.get(service, (0.0, "")) if service else (0.0, "")


def similar_cases(
    *,
    alert,
    user=None,
    organization=None,
    limit: int = 10,
    min_score: float | None = None,
    kinds: tuple[str, ...] = ("alert", "incident", "remediation"),
) -> list[Case]:
    """Past alerts, incidents and library entries like `alert`, best first.

    With `user`, only rows the user may see in `organization` are considered (portal and API);
    without, the alert's organisation is searched (the analysis context, which runs as the system).
    """
    org_id = alert.organization_id
    if organization is not None and getattr(organization, "pk", organization) != org_id:
        return []
    floor = conf.min_similarity() if min_score is None else min_score
    since = timezone.now() - timedelta(days=conf.lookback_days())
    per_filter = conf.candidates_per_prefilter()
    alerts_qs = Alert.objects.for_org(org_id)
    entries_qs = SuccessfulRemediation.objects.for_org(org_id)
    if user is not None:
        alerts_qs = alerts_qs.visible_to(user)
        entries_qs = entries_qs.visible_to(user)
    services = related_services(alert)
    alerts = (
        _candidate_alerts(alert, alerts_qs, since, per_filter, services) if {"alert", "incident"} & set(kinds) else []
    )
    entries = _candidate_entries(alert, entries_qs, per_filter, services) if "remediation" in kinds else []

    corpus = TfIdf(
        [alert_text(alert)]
        + [alert_text(a) for a in alerts]
        + [f"{e.alert_pattern} {e.problem_summary}" for e in entries]
    )
    mine = label_pairs(alert.labels)
    alert_cases = []
    for index, other in enumerate(alerts, start=1):
        service, relation = _service_factor(other.service, services)
        alert_cases.append(
            Case(
                "alert",
                other,
                {
                    "name": name_score(alert.name, other.name),
                    "labels": round(jaccard(mine, label_pairs(other.labels)), 4),
                    "text": round(corpus.similarity(0, index), 4),
                    "service": service,
                },
                relation,
            )
        )
    cases: list[Case] = [c for c in alert_cases if c.score >= floor] if "alert" in kinds else []
    if "incident" in kinds:
        cases += _incident_cases([c for c in alert_cases if c.score >= floor], alert, user, organization)
    offset = 1 + len(alerts)
    for index, entry in enumerate(entries):
        keys = set(entry.alert_labels or {})
        service, relation = _service_factor(entry.service, services)
        case = Case(
            "remediation",
            entry,
            {
                "name": pattern_score(entry.alert_pattern, alert.name),
                "labels": round(
                    jaccard(
                        label_pairs(entry.alert_labels),
                        label_pairs({k: v for k, v in alert.labels.items() if k in keys}),
                    ),
                    4,
                ),
                "text": round(corpus.similarity(0, offset + index), 4),
                "service": service,
            },
            relation,
        )
        if case.score >= floor:
            cases.append(case)
    cases.sort(key=lambda c: (-c.score, c.kind != "remediation", -c.obj.pk))
    return cases[:limit]


def _incident_cases(alert_cases: list[Case], alert, user, organization) -> list[Case]:
    """An incident is as similar as its most similar alert (the alert's own incident is skipped)."""
    from apps.incidents.models import Incident, IncidentAlert

    by_alert = {c.obj.pk: c for c in alert_cases}
    if not by_alert:
        return []
    links = IncidentAlert.objects.filter(alert_id__in=list(by_alert)).values_list("incident_id", "alert_id")
    own = IncidentAlert.objects.filter(alert_id=alert.pk).values_list("incident_id", flat=True).first()
    members: dict[int, list[Case]] = {}
    for incident_id, alert_id in links:
        if incident_id != own:
            members.setdefault(incident_id, []).append(by_alert[alert_id])
    incidents = Incident.objects.for_org(alert.organization_id).filter(pk__in=list(members))
    if user is not None:
        incidents = incidents.visible_to(user)
    out = []
    for incident in incidents:
        best = max(members[incident.pk], key=lambda c: c.score)
        out.append(Case("incident", incident, dict(best.factors), best.relation, members[incident.pk]))
    return out
