"""The plan's change↔alert score, made explainable: every factor is kept with its points.

score = time × w_time + service × w_service + environment × w_env + change-type risk × w_type,
each factor in 0..1 (the plan's 0.4 / 0.3 / 0.2 / 0.1 are the default weights). Two refinements
over the plan, both because a responder must be able to trust the banner:

- Service matching understands the dependency graph: a change to a service the alerting one
  depends on earns part of the service credit (less per hop), a change to a direct consumer a
  smaller part.
- When both sides name a service and they are unrelated (or both name an environment and they
  differ), the whole score is multiplied down. Without that, the plan's formula scores *any*
  production deploy 15 minutes before a production alert at 0.65, far above its own 0.3
  threshold, and every deploy would be "related".

Times are event times: the alert's `startsAt`, the change's start/end. A change counts from
(its start − clock skew) until `window` after it finished; during the change the time factor is 1.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from .choices import CorrelationType

ENVIRONMENT_ALIASES = {
    "prod": "production",
    "prd": "production",
    "live": "production",
    "stg": "staging",
    "stage": "staging",
    "preprod": "staging",
    "pre-production": "staging",
    "dev": "development",
    "develop": "development",
    "test": "testing",
    "tst": "testing",
}
_SEPARATORS = re.compile(r"[-_.\s]+")


def normalise_service(name: str) -> str:
    """Compare service names without case, owner prefixes ("acme/payment") or stray spaces."""
    name = (name or "").strip().lower().rstrip("/")
    return name.rsplit("/", 1)[-1]


def normalise_environment(name: str) -> str:
    name = (name or "").strip().lower()
    return ENVIRONMENT_ALIASES.get(name, name)


def _partial_match(a: str, b: str) -> bool:
    """ "payment" and "payment-service": one name is a whole-word run inside the other."""
    ta, tb = [t for t in _SEPARATORS.split(a) if t], [t for t in _SEPARATORS.split(b) if t]
    short, long = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    if not short or len(short) == len(long):
        return False
    return any(long[i : i + len(short)] == short for i in range(len(long) - len(short) + 1))


@dataclass(frozen=True)
class Weights:
    window_seconds: int = 7200
    threshold: float = 0.3
    time: float = 0.4
    service: float = 0.3
    environment: float = 0.2
    change_type: float = 0.1
    dependency_factor: float = 0.5
    dependency_max_hops: int = 2
    dependent_factor: float = 0.25
    service_mismatch_factor: float = 0.4
    environment_mismatch_factor: float = 0.25
    change_type_risk: dict = field(default_factory=dict)
    clock_skew_seconds: int = 120

    @classmethod
    def from_settings(cls, row) -> Weights:
        return cls(
            window_seconds=row.window_minutes * 60,
            threshold=row.threshold,
            time=row.weight_time,
            service=row.weight_service,
            environment=row.weight_environment,
            change_type=row.weight_change_type,
            dependency_factor=row.dependency_factor,
            dependency_max_hops=row.dependency_max_hops,
            dependent_factor=row.dependent_factor,
            service_mismatch_factor=row.service_mismatch_factor,
            environment_mismatch_factor=row.environment_mismatch_factor,
            change_type_risk=dict(row.change_type_risk or {}),
            clock_skew_seconds=row.clock_skew_seconds,
        )


@dataclass(frozen=True)
class AlertFacts:
    starts_at: datetime
    services: tuple[str, ...]  # candidate names: alert.service first, then service-like labels
    environment: str


@dataclass(frozen=True)
class ChangeFacts:
    started_at: datetime
    finished_at: datetime | None
    service: str
    environment: str
    event_type: str


# (change service, change env, alert service, alert env) -> ("upstream"|"downstream", hops) or None
Relation = Callable[[str, str, str, str], tuple[str, int] | None]


@dataclass
class Score:
    confidence: float
    factors: dict
    time_delta_seconds: int
    correlation_type: str
    in_window: bool

    def above(self, threshold: float) -> bool:
        return self.in_window and self.confidence > threshold


def alert_facts(alert, label_keys: list[str]) -> AlertFacts:
    names = [alert.service] + [str(alert.labels.get(k, "")) for k in label_keys if isinstance(alert.labels, dict)]
    unique = tuple(dict.fromkeys(n for n in names if n))
    return AlertFacts(alert.starts_at, unique, alert.environment)


def change_facts(change) -> ChangeFacts:
    return ChangeFacts(change.started_at, change.finished_at, change.service, change.environment, change.event_type)


def _time_factor(change: ChangeFacts, alert: AlertFacts, w: Weights) -> dict:
    end = change.finished_at or change.started_at
    since_start = (alert.starts_at - change.started_at).total_seconds()
    since_end = (alert.starts_at - end).total_seconds()
    if since_start < -w.clock_skew_seconds:
        return {"score": 0.0, "in_window": False, "delta_seconds": round(since_start), "relation": "after"}
    if since_end <= 0:
        return {
            "score": 1.0,
            "in_window": True,
            "delta_seconds": round(max(since_end, 0)),
            "relation": "during",
        }
    if since_end > w.window_seconds:
        return {
            "score": 0.0,
            "in_window": False,
            "delta_seconds": round(since_end),
            "relation": "before_window",
        }
    return {
        "score": max(0.0, 1 - since_end / w.window_seconds),
        "in_window": True,
        "delta_seconds": round(since_end),
        "relation": "before",
    }


def _service_factor(change: ChangeFacts, alert: AlertFacts, w: Weights, relation: Relation | None) -> dict:
    changed = normalise_service(change.service)
    if not changed or not alert.services:
        return {"score": 0.0, "match": "unknown"}
    candidates = [normalise_service(s) for s in alert.services]
    if changed in candidates:
        return {"score": 1.0, "match": "same", "alert_service": alert.services[candidates.index(changed)]}
    for original, name in zip(alert.services, candidates, strict=True):
        if _partial_match(changed, name):
            return {"score": 0.75, "match": "partial", "alert_service": original}
    if relation is not None:
        found = relation(change.service, change.environment, alert.services[0], alert.environment)
        if found is not None:
            direction, hops = found
            if direction == "upstream" and hops <= w.dependency_max_hops:
                return {
                    "score": w.dependency_factor / hops,
                    "match": "dependency",
                    "hops": hops,
                    "alert_service": alert.services[0],
                }
            if direction == "downstream" and hops == 1:
                return {
                    "score": w.dependent_factor,
                    "match": "dependent",
                    "hops": 1,
                    "alert_service": alert.services[0],
                }
    return {"score": 0.0, "match": "unrelated", "alert_service": alert.services[0]}


def _environment_factor(change: ChangeFacts, alert: AlertFacts) -> dict:
    a, c = normalise_environment(alert.environment), normalise_environment(change.environment)
    if not a or not c:
        return {"score": 0.0, "match": "unknown"}
    return {"score": 1.0, "match": "same"} if a == c else {"score": 0.0, "match": "different"}


def score(change: ChangeFacts, alert: AlertFacts, w: Weights, relation: Relation | None = None) -> Score:
    """Score one change against one alert; `factors` says how every point was earned."""
    time = _time_factor(change, alert, w)
    service = _service_factor(change, alert, w, relation)
    environment = _environment_factor(change, alert)
    risk = float(w.change_type_risk.get(change.event_type, 0.5))
    change_type = {"score": max(0.0, min(risk, 1.0)), "type": change.event_type}
    parts = {
        "time": (time, w.time),
        "service": (service, w.service),
        "environment": (environment, w.environment),
        "change_type": (change_type, w.change_type),
    }
    factors: dict = {}
    total = 0.0
    for name, (factor, weight) in parts.items():
        points = factor["score"] * weight
        factors[name] = {
            **factor,
            "score": round(factor["score"], 4),
            "weight": weight,
            "points": round(points, 4),
        }
        total += points
    penalties = []
    if service["match"] == "unrelated":
        penalties.append({"reason": "unrelated_service", "factor": w.service_mismatch_factor})
    if environment["match"] == "different":
        penalties.append({"reason": "other_environment", "factor": w.environment_mismatch_factor})
    for penalty in penalties:
        total *= penalty["factor"]
    factors["penalties"] = penalties
    confidence = round(max(0.0, min(total, 1.0)), 4) if time["in_window"] else 0.0
    factors["total"] = confidence
    found_by = (
        CorrelationType.SERVICE_MATCH
        if service["match"] in ("same", "partial", "dependency", "dependent")
        else CorrelationType.TEMPORAL
    )
    delta = round((alert.starts_at - change.started_at).total_seconds())
    return Score(confidence, factors, delta, found_by, time["in_window"])
