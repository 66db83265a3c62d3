"""Trend and time to 80 / 90 / 100 % of one resource, ignoring periodic clean-ups.

The trend is a line through the *daily means* of usage % (a daily rhythm and the teeth of a
sawtooth average out), its slope is the growth per day, and its value now is the level. The time
to a threshold is (threshold − level) / slope; P10 and P90 come from the slope's standard error
and the residual spread of the daily means (z = 1.2816). A rise is vetoed with the predictions
app's `envelope_eta`: when the trend of the daily *peaks* never reaches the threshold (log
rotation, a cache that frees itself), the resource is not filling, whatever the means do.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from apps.predictions import forecasting

from . import conf
from .choices import Trend

LEVELS = (80, 90, 100)
Z_80 = 1.2816  # P10 / P90
NEVER = 3650 * 86400.0  # the veto's horizon: ten years


@dataclass
class Analysis:
    trend: str
    growth_per_day: float  # percentage points per day
    level: float | None  # the trend's value now (usage %)
    sigma: float = 0.0
    slope_se: float = 0.0
    at: float = 0.0  # unix seconds of "now" (the last sample)
    eta: dict = field(default_factory=dict)  # "80" -> {"p10", "p50", "p90"} in days, or None


def analyse(timestamps, percents, *, step: int, levels=LEVELS) -> Analysis:
    ts = np.asarray(timestamps, dtype=float)
    y = forecasting.clean(percents)
    period = forecasting.period_rows(step) or max(1, len(y) // 30)
    days = len(y) // period if period else 0
    if days < 3:
        return Analysis(Trend.UNKNOWN, 0.0, float(y[-1]) if len(y) else None, at=float(ts[-1]) if len(ts) else 0.0,
                        eta={str(level): None for level in levels})
    keep = days * period
    means = y[-keep:].reshape(days, period).mean(axis=1)
    x = ts[-keep:].reshape(days, period).mean(axis=1) / 86400.0
    slope, intercept = np.polyfit(x, means, 1)
    resid = means - (intercept + slope * x)
    sigma = float(np.sqrt(np.sum(resid ** 2) / max(days - 2, 1)))
    spread = float(np.sum((x - x.mean()) ** 2))
    slope_se = sigma / math.sqrt(spread) if spread > 0 else 0.0
    now = float(ts[-1])
    level = float(intercept + slope * now / 86400.0)
    stable = conf.stable_growth_per_day()
    trend = Trend.INCREASING if slope > stable else Trend.DECREASING if slope < -stable else Trend.STABLE
    eta = {}
    for threshold in levels:
        eta[str(threshold)] = _eta(ts, y, step, threshold, level, float(slope), sigma, slope_se, trend)
    return Analysis(trend, round(float(slope), 6), level, sigma, slope_se, now, eta)


def _eta(ts, y, step, threshold, level, slope, sigma, slope_se, trend) -> dict | None:
    if level >= threshold:
        return {"p10": 0.0, "p50": 0.0, "p90": 0.0}
    if trend != Trend.INCREASING:
        return None
    if forecasting.envelope_eta(ts, y, threshold=threshold, step=step, horizon_seconds=NEVER) is None:
        return None  # the daily peaks do not climb to it: a sawtooth, not a fill
    p50 = (threshold - level) / slope
    fast = slope + Z_80 * slope_se
    p10 = max(0.0, (threshold - (level + Z_80 * sigma)) / fast)
    slow = slope - Z_80 * slope_se
    p90 = (threshold - max(level - Z_80 * sigma, -1e9)) / slow if slow > 0 else None
    return {"p10": round(p10, 3), "p50": round(p50, 3), "p90": None if p90 is None else round(p90, 3)}


def trend_points(analysis: Analysis, *, days: int, step_days: float = 0.25) -> list[dict]:
    """The trend line ahead as predictions-chart points (value with its P10–P90 band)."""
    if analysis.level is None or analysis.trend == Trend.UNKNOWN:
        return []
    points = []
    for k in range(1, int(days / step_days) + 1):
        d = k * step_days
        value = analysis.level + analysis.growth_per_day * d
        spread = Z_80 * math.sqrt(analysis.sigma ** 2 + (analysis.slope_se * d) ** 2)
        points.append({"timestamp": analysis.at + d * 86400, "value": value, "lower": value - spread,
                       "upper": value + spread})
    return points
