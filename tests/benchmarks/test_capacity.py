"""Capacity benchmark: ETA accuracy on replayed histories with known fill times (no database).

BENCH_CAPACITY_SERIES (60) synthetic 30-day hourly histories of usage % whose time to 90 % is
known (uniform 2–30 days after "now"; linear growth plus a daily rhythm and noise), plus as many
bounded series (sawtooth disks cleaned every 6 h – 3 days with peaks 70–88 %, flat, and a queue
bounded below 85 %). For each, `apps.capacity.trend.analyse` gives P10/P50/P90 days to 90 %; in the
same run `predict_linear` over 6 h and 24 h (least squares on the last 6 / 24 hourly points, as
Prometheus computes it) gives its own ETA. Printed: median absolute error of P50 as a share of
the true time, P10–P90 coverage, and false "will fill within 30 days" on the bounded series.
Never asserts on figures. The 10,000-resource scan against Prometheus is not benchmarked here.
"""
from __future__ import annotations

import math
import os

import numpy as np

from apps.capacity import trend

STEP = 3600
DAYS = 30
N = int(os.environ.get("BENCH_CAPACITY_SERIES", 60))


def _filling(rng, now):
    t = now - STEP * np.arange(DAYS * 24)[::-1]
    eta = rng.uniform(2, 30)
    growth = rng.uniform(0.3, 2.5)
    level = 90 - growth * eta
    day = (t % 86400) / 86400
    y = level - growth * (now - t) / 86400 + rng.uniform(0, 4) * np.sin(2 * math.pi * day) + rng.normal(0, 0.5, len(t))
    return t, y, eta


def _bounded(rng, now, kind):
    t = now - STEP * np.arange(DAYS * 24)[::-1]
    if kind == 0:
        period = rng.uniform(6, 72) * 3600
        peak = rng.uniform(70, 88)
        low = peak - rng.uniform(20, 50)
        y = low + (peak - low) * ((t - t[0]) % period) / period
    elif kind == 1:
        y = np.full(len(t), rng.uniform(20, 80))
    else:
        y = np.minimum(85, 40 + 10 * np.abs(np.sin((t - t[0]) / 86400)) * rng.uniform(1, 4))
    return t, y + rng.normal(0, 0.5, len(t))


def _predict_linear(t, y, hours, threshold=90):
    tail_t, tail_y = t[-hours:], y[-hours:]
    slope, intercept = np.polyfit(tail_t, tail_y, 1)
    now_value = intercept + slope * t[-1]
    if now_value >= threshold:
        return 0.0
    return None if slope <= 0 else (threshold - now_value) / slope / 86400


def test_eta_accuracy(capsys):
    rng = np.random.default_rng(20)
    now = 1_800_000_000.0
    errors = {"capacity": [], "predict_linear 6h": [], "predict_linear 24h": []}
    misses = dict.fromkeys(errors, 0)
    covered = 0
    for _ in range(N):
        t, y, eta = _filling(rng, now)
        band = trend.analyse(t, y, step=STEP).eta["90"]
        if band is None:
            misses["capacity"] += 1
        else:
            errors["capacity"].append(abs(band["p50"] - eta) / eta)
            covered += band["p10"] <= eta <= (band["p90"] if band["p90"] is not None else math.inf)
        for hours, key in ((6, "predict_linear 6h"), (24, "predict_linear 24h")):
            got = _predict_linear(t, y, hours)
            if got is None:
                misses[key] += 1
            else:
                errors[key].append(abs(got - eta) / eta)
    false_fill = dict.fromkeys(errors, 0)
    for i in range(N):
        t, y = _bounded(rng, now, i % 3)
        band = trend.analyse(t, y, step=STEP).eta["90"]
        false_fill["capacity"] += band is not None and band["p50"] <= 30
        for hours, key in ((6, "predict_linear 6h"), (24, "predict_linear 24h")):
            got = _predict_linear(t, y, hours)
            false_fill[key] += got is not None and got <= 30
    with capsys.disabled():
        print(f"\ncapacity ETA to 90 %: {N} filling series (true ETA 2–30 d), {N} bounded/sawtooth/flat series")
        for key in errors:
            med = float(np.median(errors[key])) * 100 if errors[key] else float("nan")
            print(f"  {key:20s} median |error| {med:6.1f} % of true time; no ETA on {misses[key]:3d} filling; "
                  f"false 'will fill ≤30 d' on bounded {false_fill[key]:3d}/{N}")
        print(f"  capacity P10–P90 coverage: {covered}/{N - misses['capacity']} "
              f"({covered / max(N - misses['capacity'], 1) * 100:.0f} %)")
