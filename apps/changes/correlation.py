"""The correlation engine: score changes against alerts, keep the links worth showing, record verdicts.

It runs from both directions, so arrival order never matters: on `alert.received` the alert is
scored against the changes before it, and on `change.recorded` the change is scored against the
alerts that started after it (a deploy webhook that arrives late still finds its alert). Both
write through `_store`, which upserts by (change, alert): scoring the same pair twice is a no-op,
a suggestion that no longer clears the threshold is withdrawn, and an operator's verdict
(confirmed/rejected) or a hand-made link is never overwritten, only its factors refreshed.
"""

from __future__ import annotations

import logging
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from aiops import events
from apps.alerts.models import Alert

from . import conf
from .choices import CorrelationStatus, CorrelationType
from .models import ChangeCorrelation, ChangeEvent, CorrelationSettings
from .scoring import Relation, Score, Weights, alert_facts, change_facts, score
from .summary import change_summary
from .topology_link import relation_for

logger = logging.getLogger(__name__)


class CorrelationError(Exception):
    """A verdict that cannot be applied (shown to the operator as is)."""


def settings_for(organization_id: int) -> CorrelationSettings:
    """The organisation's correlation settings, created with the plan's defaults on first use."""
    row, _created = CorrelationSettings.objects.get_or_create(organization_id=organization_id)
    return row


@dataclass
class Scorer:
    """Everything needed to score pairs of one organisation, loaded once per run."""

    settings: CorrelationSettings
    weights: Weights
    relation: Relation | None
    label_keys: list[str]

    @classmethod
    def for_org(cls, organization_id: int) -> Scorer:
        row = settings_for(organization_id)
        weights = Weights.from_settings(row)
        return cls(
            row,
            weights,
            relation_for(organization_id, weights.dependency_max_hops),
            conf.alert_service_labels(),
        )

    def score(self, change: ChangeEvent, alert: Alert) -> Score:
        return score(change_facts(change), alert_facts(alert, self.label_keys), self.weights, self.relation)


def candidate_changes(*, organization_id: int, at, weights: Weights):
    """Changes that may have been in place when something started at `at` (indexed by start time)."""
    lookback = _lookback(weights)
    return ChangeEvent.objects.filter(
        organization_id=organization_id,
        started_at__lte=at + timedelta(seconds=weights.clock_skew_seconds),
        started_at__gte=at - lookback,
    ).order_by("-started_at")


def _lookback(weights: Weights) -> timedelta:
    """How long before an alert a change may have started and still be in place."""
    return timedelta(seconds=weights.window_seconds) + timedelta(hours=conf.max_change_duration_hours())


def correlate_alert(*, alert: Alert) -> list[ChangeCorrelation]:
    """Score the changes before an alert; return the links created now."""
    return correlate_alerts(alerts=[alert])


def correlate_alerts(*, alerts: list[Alert]) -> list[ChangeCorrelation]:
    """Score the changes before each of a batch of alerts (a storm's webhook); return the links created.

    Per organisation: the settings and the dependency graph once, the candidate changes of alerts
    close in time with one query, every pair stored in one transaction (one lookup of the pairs
    already linked, one score refresh per touched change). An alert whose scoring fails does not
    cost the others their links: they are stored, then its error is raised.
    """
    created, problems = [], []
    for organization_id, its_alerts in _by_org(alerts).items():
        scorer = Scorer.for_org(organization_id)
        if not scorer.settings.enabled:
            continue
        pairs = []
        for alert, changes in _changes_before(organization_id, its_alerts, scorer.weights):
            try:
                pairs.extend((change, alert, scorer.score(change, alert)) for change in changes)
            except Exception as exc:
                logger.exception("alert could not be scored against changes", extra={"alert": alert.pk})
                problems.append(exc)
        created += _store(pairs, scorer.weights)
    if problems:
        raise problems[0]
    return created


def _changes_before(organization_id: int, alerts: list[Alert], weights: Weights):
    """(alert, the changes that may have been in place when it started, newest first, at most 500).

    Alerts are taken in start order and grouped while their look-back windows overlap, one query
    per group (a storm is one), each alert then slicing its own window out of the group's rows.
    """
    lookback = _lookback(weights)
    skew = timedelta(seconds=weights.clock_skew_seconds)
    ordered = sorted(alerts, key=lambda a: a.starts_at)
    groups: list[list[Alert]] = []
    for alert in ordered:
        if groups and alert.starts_at - groups[-1][0].starts_at <= lookback:
            groups[-1].append(alert)
        else:
            groups.append([alert])
    for group in groups:
        rows = list(
            ChangeEvent.objects.filter(
                organization_id=organization_id,
                started_at__lte=group[-1].starts_at + skew,
                started_at__gte=group[0].starts_at - lookback,
            ).order_by("started_at")
        )
        starts = [row.started_at for row in rows]
        for alert in group:
            first = bisect_left(starts, alert.starts_at - lookback)
            last = bisect_right(starts, alert.starts_at + skew)
            yield alert, rows[first:last][::-1][:500]


def correlate_change(*, change: ChangeEvent) -> list[ChangeCorrelation]:
    """Score the alerts that started while or after a change was made; return the links created now."""
    return correlate_changes(changes=[change])


def correlate_changes(*, changes: list[ChangeEvent]) -> list[ChangeCorrelation]:
    """Score the alerts after each of a batch of changes; the settings once, the pairs stored together.

    Each change keeps its own bounded query (newest `correlate_max_alerts` alerts in its window):
    a deploy webhook brings a few changes, each of which may fit many alerts.
    """
    created = []
    for organization_id, its_changes in _by_org(changes).items():
        scorer = Scorer.for_org(organization_id)
        if not scorer.settings.enabled:
            continue
        w, pairs = scorer.weights, []
        for change in its_changes:
            alerts = Alert.objects.filter(
                organization_id=organization_id,
                starts_at__gte=change.started_at - timedelta(seconds=w.clock_skew_seconds),
                starts_at__lte=change.ended_at + timedelta(seconds=w.window_seconds),
            ).order_by("-starts_at")[: conf.correlate_max_alerts()]
            pairs.extend((change, alert, scorer.score(change, alert)) for alert in alerts)
        created += _store(pairs, w)
    return created


def _by_org(rows) -> dict[int, list]:
    grouped = defaultdict(list)
    for row in rows:
        grouped[row.organization_id].append(row)
    return grouped


def _apply_score(row: ChangeCorrelation, result: Score) -> bool:
    fields = {
        "confidence": result.confidence,
        "factors": result.factors,
        "time_delta_seconds": result.time_delta_seconds,
    }
    if row.correlation_type != CorrelationType.USER_CONFIRMED:
        fields["correlation_type"] = result.correlation_type
    changed = {k: v for k, v in fields.items() if getattr(row, k) != v}
    for key, value in changed.items():
        setattr(row, key, value)
    return bool(changed)


@transaction.atomic
def _store(pairs: list[tuple[ChangeEvent, Alert, Score]], weights: Weights) -> list[ChangeCorrelation]:
    if not pairs:
        return []
    existing = {
        (row.change_id, row.alert_id): row
        for row in ChangeCorrelation.objects.filter(
            change_id__in={c.pk for c, _a, _s in pairs}, alert_id__in={a.pk for _c, a, _s in pairs}
        )
    }
    new, touched = {}, set()
    for change, alert, result in pairs:
        row = existing.get((change.pk, alert.pk))
        keep_anyway = row is not None and (
            row.status != CorrelationStatus.SUGGESTED or row.correlation_type == CorrelationType.USER_CONFIRMED
        )
        if row is None and result.above(weights.threshold):
            row = ChangeCorrelation(organization_id=alert.organization_id, change=change, alert=alert)
            _apply_score(row, result)
            new[(change.pk, alert.pk)] = row
        elif row is not None and (keep_anyway or result.above(weights.threshold)):
            if _apply_score(row, result):
                row.save(
                    update_fields=[
                        "confidence",
                        "factors",
                        "time_delta_seconds",
                        "correlation_type",
                        "updated_at",
                    ]
                )
                touched.add(change.pk)
        elif row is not None:
            row.delete()  # a suggestion the new score no longer supports
            touched.add(change.pk)
    created = _insert_links(list(new.values()))
    touched.update(row.change_id for row in created)
    scores = refresh_scores(touched)
    for row in created:
        row.change.correlation_score = scores[row.change_id]
        _publish_link(row, refreshed=True)
    return created


def _insert_links(rows: list[ChangeCorrelation]) -> list[ChangeCorrelation]:
    """Insert new links in one statement; the ones stored meanwhile by the other direction (or a
    concurrent worker) are settled row by row and left out. Returns the rows inserted."""
    if not rows:
        return []
    try:
        with transaction.atomic():
            return ChangeCorrelation.objects.bulk_create(rows)
    except IntegrityError:
        pass
    inserted = []
    for row in rows:
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            continue
        inserted.append(row)
    return inserted


def refresh_scores(change_ids) -> dict[int, float | None]:
    """Store each change's highest non-rejected confidence (the plan's `correlation_score`); return them."""
    change_ids = set(change_ids)
    if not change_ids:
        return {}
    best = dict(
        ChangeCorrelation.objects.filter(change_id__in=change_ids)
        .exclude(status=CorrelationStatus.REJECTED)
        .order_by()
        .values("change_id")
        .annotate(best=Max("confidence"))
        .values_list("change_id", "best")
    )
    scores = {change_id: best.get(change_id) for change_id in change_ids}
    for change_id, best_score in scores.items():
        ChangeEvent.objects.filter(pk=change_id).update(correlation_score=best_score)
    return scores


def _publish_link(row: ChangeCorrelation, actor=None, *, refreshed: bool = False) -> None:
    change, alert = row.change, row.alert
    if not refreshed:
        change.refresh_from_db(fields=["correlation_score"])
    data = {**change_summary(change), "change_status": change.status}
    data.update(
        alert_id=alert.pk,
        team_id=alert.team_id,
        correlation_id=row.pk,
        confidence=row.confidence,
        score=row.confidence,
        status=row.status,
        correlation_type=row.correlation_type,
        time_delta_seconds=row.time_delta_seconds,
    )
    events.publish("change.correlated", org=row.organization_id, subject=alert, actor=actor, **data)


@transaction.atomic
def correlation_decide(*, correlation: ChangeCorrelation, status: str, user, note: str = "") -> ChangeCorrelation:
    """An operator confirms ("this deploy caused it"), rejects, or resets a link to a suggestion."""
    if status not in CorrelationStatus.values:
        raise CorrelationError(f"unknown verdict {status!r}")
    row = ChangeCorrelation.objects.select_for_update().select_related("change", "alert").get(pk=correlation.pk)
    if row.status == status and (note or "") == row.note:
        return row
    row.status = status
    row.note = note or row.note
    row.decided_by = user if status != CorrelationStatus.SUGGESTED else None
    row.decided_at = timezone.now() if status != CorrelationStatus.SUGGESTED else None
    row.save(update_fields=["status", "note", "decided_by", "decided_at", "updated_at"])
    refresh_scores([row.change_id])
    if status == CorrelationStatus.CONFIRMED:
        _publish_link(row, actor=user)
    return row


@transaction.atomic
def correlation_link(
    *, change: ChangeEvent, alert: Alert, user, status: str = CorrelationStatus.CONFIRMED, note: str = ""
) -> tuple[ChangeCorrelation, bool]:
    """Link a change to an alert by hand (the plan's POST /changes/{id}/correlate/{alert_id})."""
    if change.organization_id != alert.organization_id:
        raise CorrelationError("the change and the alert belong to different organisations")
    if status not in (CorrelationStatus.CONFIRMED, CorrelationStatus.REJECTED):
        raise CorrelationError("a link made by hand is either confirmed or rejected")
    result = Scorer.for_org(change.organization_id).score(change, alert)
    row, created = ChangeCorrelation.objects.select_for_update().get_or_create(
        change=change,
        alert=alert,
        defaults={
            "organization_id": alert.organization_id,
            "correlation_type": CorrelationType.USER_CONFIRMED,
            "confidence": result.confidence,
            "factors": result.factors,
            "time_delta_seconds": result.time_delta_seconds,
        },
    )
    if not created:
        _apply_score(row, result)
        row.save()
    return correlation_decide(correlation=row, status=status, user=user, note=note), created
