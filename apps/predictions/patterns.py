"""Alert pattern learning: escalation odds from history, trending alert names, insights.

Escalation: a warning that was followed, on the same service or instance, by a critical alert
within `PREDICTIONS_ESCALATION_WINDOW_HOURS` escalated ("High Memory Warning" → "Out of Memory
Critical"). The odds of a new warning are the share of past warnings of the same name that
escalated, with a Wilson 95 % interval and the sample size; below the minimum sample the odds are
not shown. Only past warnings whose window has fully elapsed count, so a warning still open does
not look like "did not escalate".

Trending: an alert name fired more this week than last; an exact conditional binomial test
(given both weeks' total, is this week's share above one half?) keeps noise out.
"""
from __future__ import annotations

import bisect
import math
from collections import defaultdict
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.alerts.models import Alert

from . import conf

Z95 = 1.96


def wilson(k: int, n: int) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + Z95 ** 2 / n
    centre = (p + Z95 ** 2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95 ** 2 / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def escalation_odds(alert, *, now=None) -> dict:
    """The escalation prediction for `alert` (the plan's /escalation/{alert_id} body)."""
    now = now or timezone.now()
    window = timedelta(hours=conf.escalation_window_hours())
    since = now - timedelta(days=conf.escalation_history_days())
    base = {"alert_id": alert.pk, "alert_name": alert.name, "window_hours": conf.escalation_window_hours(),
            "min_samples": conf.escalation_min_samples()}
    if alert.severity == "critical":
        return {**base, "applicable": False, "reason": _("The alert is already critical."), "sample_size": 0,
                "escalation_probability": None}
    past = list(Alert.objects.filter(organization_id=alert.organization_id, name=alert.name,
                                     starts_at__gte=since, starts_at__lte=now - window)
                .exclude(severity="critical").exclude(pk=alert.pk)
                .order_by("-starts_at").values("starts_at", "service", "instance")[:1000])
    services = {p["service"] for p in past if p["service"]}
    instances = {p["instance"] for p in past if p["instance"]}
    crit_by_key: dict[tuple, list] = defaultdict(list)
    if past and (services or instances):
        criticals = Alert.objects.filter(
            Q(service__in=services) | Q(instance__in=instances), organization_id=alert.organization_id,
            severity="critical", starts_at__gte=since, starts_at__lte=now,
        ).values_list("starts_at", "service", "instance")
        for at, service, instance in criticals:
            if service:
                crit_by_key[("s", service)].append(at)
            if instance:
                crit_by_key[("i", instance)].append(at)
        for times in crit_by_key.values():
            times.sort()
    escalated, delays = 0, []
    for p in past:
        first = None
        for key in (("s", p["service"]), ("i", p["instance"])):
            if not key[1]:
                continue
            times = crit_by_key.get(key, [])
            j = bisect.bisect_right(times, p["starts_at"])
            if j < len(times) and times[j] - p["starts_at"] <= window:
                first = times[j] if first is None else min(first, times[j])
        if first is not None:
            escalated += 1
            delays.append((first - p["starts_at"]).total_seconds() / 3600)
    n = len(past)
    low, high = wilson(escalated, n)
    result = {**base, "applicable": True, "sample_size": n, "escalated": escalated,
              "escalation_probability": round(escalated / n, 4) if n else None,
              "interval_95": [round(low, 4), round(high, 4)],
              "predicted_time_to_escalate_hours": round(sum(delays) / len(delays), 2) if delays else None,
              "shown": n >= conf.escalation_min_samples()}
    if not result["shown"]:
        result["escalation_probability"] = None
        result["reason"] = _("Too few past alerts (%(n)d of %(min)d needed).") % {"n": n, "min": conf.escalation_min_samples()}
        result["recommendation"] = ""
        return result
    p = escalated / n
    result["sentence"] = (_("Escalated to critical %(p)d%% of the time (%(k)d of %(n)d), average %(h)s h")
                          % {"p": round(p * 100), "k": escalated, "n": n,
                             "h": f"{result['predicted_time_to_escalate_hours']:.1f}" if delays else "–"})
    result["recommendation"] = _("Immediate attention needed") if p > 0.5 else _("Monitor")
    return result


def binomial_tail(k: int, n: int) -> float:
    """P(X >= k) for X ~ Binomial(n, 1/2)."""
    if n == 0:
        return 1.0
    if n > 1000:  # normal approximation with continuity correction
        z = (k - 0.5 - n / 2) / math.sqrt(n / 4)
        return 0.5 * math.erfc(z / math.sqrt(2))
    return sum(math.comb(n, i) for i in range(k, n + 1)) / 2 ** n


def trending_alerts(*, organization_id: int, now=None, days: int = 7, alpha: float = 0.05, limit: int = 20) -> list[dict]:
    """Alert names firing significantly more in the last `days` than in the `days` before."""
    now = now or timezone.now()
    mid, start = now - timedelta(days=days), now - timedelta(days=2 * days)
    rows = (Alert.objects.filter(organization_id=organization_id, starts_at__gte=start, starts_at__lt=now)
            .values("name").annotate(recent=Count("id", filter=Q(starts_at__gte=mid)),
                                     earlier=Count("id", filter=Q(starts_at__lt=mid))))
    out = []
    for row in rows:
        recent, earlier = row["recent"], row["earlier"]
        if recent <= earlier:
            continue
        p_value = binomial_tail(recent, recent + earlier)
        if p_value >= alpha:
            continue
        out.append({"name": row["name"], "this_period": recent, "previous_period": earlier,
                    "change_percent": round((recent - earlier) / earlier * 100, 1) if earlier else None,
                    "p_value": round(p_value, 5), "days": days})
    out.sort(key=lambda r: (r["p_value"], -r["this_period"]))
    return out[:limit]


def escalation_patterns(*, organization_id: int, now=None, limit: int = 5) -> list[dict]:
    """The warning names that escalate most often (with enough samples), for the insights list."""
    now = now or timezone.now()
    names = (Alert.objects.filter(organization_id=organization_id, starts_at__gte=now - timedelta(days=conf.escalation_history_days()))
             .exclude(severity="critical").values("name").annotate(n=Count("id"))
             .filter(n__gte=conf.escalation_min_samples()).order_by("-n")[:20])
    out = []
    for row in names:
        latest = (Alert.objects.filter(organization_id=organization_id, name=row["name"])
                  .exclude(severity="critical").order_by("-starts_at").first())
        odds = escalation_odds(latest, now=now)
        if odds.get("shown") and odds.get("escalation_probability"):
            out.append(odds)
    out.sort(key=lambda o: -o["escalation_probability"])
    return out[:limit]
