"""Which SLAs cover an item, and which one wins each target (the strictest, and why).

The choice is made when the item opens, from the facts its opening event carried, and snapshotted
on the clock (`SLAClock.choice`), so editing an SLA later never rewrites a running clock's past.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from .choices import Measures, SubjectKind, Target


@dataclass
class ItemFacts:
    kind: str
    severity: str = ""
    services: list[str] = field(default_factory=list)
    team_id: int | None = None
    labels: dict = field(default_factory=dict)


def _glob(pattern: str, value: str) -> bool:
    return fnmatchcase(str(value).lower(), str(pattern).lower())


def covers(sla, facts: ItemFacts, team_ids: set[int] | None = None) -> bool:
    """Does this (active) SLA's scope hold the item? Empty scope fields match everything."""
    if not sla.is_active:
        return False
    wanted = {Measures.BOTH, Measures.ALERTS if facts.kind == SubjectKind.ALERT else Measures.INCIDENTS}
    if sla.measures not in wanted:
        return False
    if sla.applies_to_severity and facts.severity not in sla.applies_to_severity:
        return False
    if sla.applies_to_services and not any(
        _glob(pattern, service) for pattern in sla.applies_to_services for service in facts.services if service
    ):
        return False
    if team_ids and facts.team_id not in team_ids:
        return False
    if sla.label_matchers:
        if facts.kind != SubjectKind.ALERT:
            return False
        for key, pattern in sla.label_matchers.items():
            if key not in facts.labels or not _glob(pattern, facts.labels[key]):
                return False
    return True


@dataclass
class Choice:
    sla: object
    target: str
    minutes: float
    candidates: list[dict]

    def snapshot(self) -> dict:
        return {"sla_id": self.sla.pk, "sla_name": self.sla.name, "minutes": self.minutes,
                "candidates": self.candidates}


def strictest(slas, facts: ItemFacts, teams_of: dict[int, set[int]]) -> dict[str, Choice]:
    """Per target, the covering SLA with the shortest target (ties: lowest id), with every candidate."""
    chosen: dict[str, Choice] = {}
    covering = [s for s in slas if covers(s, facts, teams_of.get(s.pk))]
    for target in (Target.MTTA, Target.MTTR):
        ranked = sorted(((s.target_minutes(target), s.pk, s) for s in covering if s.target_minutes(target)),
                        key=lambda r: (r[0], r[1]))
        if not ranked:
            continue
        minutes, _pk, sla = ranked[0]
        chosen[target] = Choice(sla, target, minutes, [
            {"sla_id": s.pk, "sla_name": s.name, "minutes": m} for m, _p, s in ranked])
    return chosen
