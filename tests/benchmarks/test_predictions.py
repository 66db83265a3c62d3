"""Predictions benchmark: NAB anomaly scores, forecast speed/accuracy against Prophet, predictive-alert quality.

1. Anomaly detection on NAB's realKnownCause (7 series, ../shared/data/nab): `manage.py predictions
   detect` writes one results CSV per file, `../shared/tools/nab_score.py` scores them; the three
   profiles are printed, with per-file standard scores. One parameter set for every series.
2. Forecasting BENCH_SERIES (1,000) synthetic series × 30 days at 5-minute steps (linear growth,
   daily seasonality, sawtooth, random walk, mixes; noise) on BENCH_WORKERS (2) processes: wall
   time of the nightly run (backtest pick + 48 h forecast per series) and MASE on a 48 h holdout;
   Prophet (daily + weekly seasonality, as the plan's card) on BENCH_PROPHET_SERIES (10) of the
   same series in the same run, its per-series time extrapolated to all series (said so in the output).
3. Predictive alerts: BENCH_ALERT_SERIES (40) sawtooth disks (periods 6 h – 3 days, peaks 70–85 %)
   and as many disks filling to 90 % at a known time, evaluated every 6 h over the last 6 days with
   a 48 h horizon and two evaluations in a row; against `predict_linear(x[6h], 48h) > 90` in the same
   run. Prints false "will fill" alerts on sawtooth series and median lead time on true fill-ups.

Never asserts on figures.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from apps.predictions import forecasting

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
NAB = SHARED / "data" / "nab"
SCORER = SHARED / "tools" / "nab_score.py"
STEP = 300
DAY = 86400 // STEP
H48 = 48 * 3600 // STEP


def test_nab_anomaly_detection(tmp_path):
    if not (NAB.exists() and SCORER.exists()):
        pytest.skip(f"NAB data or scorer missing under {SHARED}")
    out = tmp_path / "aiops" / "realKnownCause"
    out.mkdir(parents=True)
    started = time.monotonic()
    for data in sorted((NAB / "realKnownCause").glob("*.csv")):
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "predictions", "detect", "--csv", str(data),
                        "--out", str(out / f"aiops_{data.name}")], check=True, cwd=ROOT)
    elapsed = time.monotonic() - started
    result = subprocess.run([sys.executable, str(SCORER), str(tmp_path / "aiops"), "--quiet", "--per-file"],
                            capture_output=True, text=True, check=True)
    report = json.loads(result.stdout)
    detector = next(iter(report["detectors"].values()))
    print(f"\nNAB realKnownCause ({report['files']} files, {report['windows']} windows, {report['rows']} rows; "
          f"detect took {elapsed:.1f} s):")
    for name, profile in detector["profiles"].items():
        print(f"  {name:20s} {profile['score']:6.1f}  (threshold {profile['threshold']:.4f}, "
              f"{profile['windows_detected']} windows detected, {profile['fp_rows']} false-positive rows)")
    per_file = detector.get("per_file") or detector.get("files") or {}
    for name, entry in sorted(per_file.items()) if isinstance(per_file, dict) else []:
        standard = entry.get("profiles", entry).get("standard", entry)
        score = standard.get("score") if isinstance(standard, dict) else standard
        if isinstance(score, int | float):
            print(f"    {name:60s} {score:7.1f}")
    print("  published on this subset (standard): ARTime 66.5, Numenta HTM 57.8, Twitter ADVec 26.7, "
          "windowed Gaussian 13.4")


# ----------------------------------------------------------------------------------------- forecasting

def synthetic(i: int, n: int = 30 * DAY) -> np.ndarray:
    rng = np.random.default_rng(1000 + i)
    k = np.arange(n)
    day = np.sin(2 * math.pi * k / DAY + rng.uniform(0, 2 * math.pi))
    week = np.sin(2 * math.pi * k / (7 * DAY))
    kind = i % 5
    level = rng.uniform(20, 200)
    noise = rng.normal(0, rng.uniform(0.5, 3), n)
    if kind == 0:
        y = level + rng.uniform(0.5, 5) * k / DAY + noise
    elif kind == 1:
        y = level + rng.uniform(5, 40) * day + rng.uniform(0, 10) * week + noise
    elif kind == 2:
        period = int(rng.choice([DAY // 4, DAY // 2, DAY, 2 * DAY]))
        y = level + rng.uniform(10, 50) * ((k % period) / period) + noise
    elif kind == 3:
        y = level + np.cumsum(rng.normal(0, 0.3, n)) + noise
    else:
        y = level + rng.uniform(0.2, 2) * k / DAY + rng.uniform(5, 30) * day + noise
    return y


def _fast_one(i: int) -> tuple[float, str, float]:
    y = synthetic(i)
    train, test = y[:-H48], y[-H48:]
    started = time.perf_counter()
    fc = forecasting.forecast(np.arange(len(train)) * STEP, train, step=STEP, horizon_rows=H48)
    elapsed = time.perf_counter() - started
    return elapsed, fc.model, forecasting.mase(test, fc.values, forecasting.mase_scale(train, DAY))


def _prophet_one(i: int) -> tuple[float, float]:
    y = synthetic(i)
    train, test = y[:-H48], y[-H48:]
    started = time.perf_counter()
    pred = forecasting.prophet_predict(train, H48, STEP)
    return time.perf_counter() - started, forecasting.mase(test, pred, forecasting.mase_scale(train, DAY))


def test_forecast_speed_and_accuracy():
    n_series = int(os.environ.get("BENCH_SERIES", "1000"))
    workers = int(os.environ.get("BENCH_WORKERS", "2"))
    n_prophet = int(os.environ.get("BENCH_PROPHET_SERIES", "10"))
    started = time.monotonic()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        fast = list(pool.map(_fast_one, range(n_series), chunksize=25))
    wall = time.monotonic() - started
    picks: dict[str, int] = {}
    for _t, model, _m in fast:
        picks[model] = picks.get(model, 0) + 1
    fast_mase = np.array([m for _t, _model, m in fast])
    print(f"\nForecasting {n_series} series × 30 days at 5 min on {workers} processes (backtest pick + 48 h):")
    print(f"  fast models: wall {wall:.1f} s, {sum(t for t, _, _ in fast) / n_series * 1000:.1f} ms/series (CPU), "
          f"MASE mean {fast_mase.mean():.3f} median {np.median(fast_mase):.3f}; picks {picks}")
    try:
        import prophet  # noqa: F401
    except ImportError:
        print("  prophet: not installed")
        return
    subset = list(range(n_prophet))
    started = time.monotonic()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        slow = list(pool.map(_prophet_one, subset))
    prophet_wall = time.monotonic() - started
    per_series = prophet_wall / n_prophet
    sub_fast = fast_mase[subset]
    sub_prophet = np.array([m for _t, m in slow])
    print(f"  prophet on {n_prophet} of them: wall {prophet_wall:.1f} s ({per_series:.2f} s/series wall on "
          f"{workers} processes) → {per_series * n_series:.0f} s extrapolated for {n_series} series; "
          f"speed-up {per_series * n_series / wall:.0f}×")
    print(f"  same {n_prophet} series, MASE on the 48 h holdout: fast mean {sub_fast.mean():.3f} "
          f"median {np.median(sub_fast):.3f} · prophet mean {sub_prophet.mean():.3f} median {np.median(sub_prophet):.3f}")


# ----------------------------------------------------------------------------------------- predictive alerts

def _disks(n: int):
    rng = np.random.default_rng(7)
    total = 30 * DAY
    k = np.arange(total)
    saw, fill = [], []
    for i in range(n):
        period = int(rng.uniform(DAY / 4, 3 * DAY))
        low, peak = rng.uniform(20, 40), rng.uniform(70, 85)
        saw.append(low + (peak - low) * ((k + rng.integers(period)) % period) / period + rng.normal(0, 0.5, total))
        breach_row = total - int(rng.uniform(0.5, 4) * DAY)  # crosses 90 % inside the evaluated window
        start_level = rng.uniform(30, 60)
        slope = (90 - start_level) / breach_row
        fill.append((start_level + slope * k + rng.normal(0, 0.5, total), breach_row))
    return saw, fill


def _evaluate(y: np.ndarray, upto: int, rule) -> bool:
    from apps.predictions import services
    from apps.predictions.models import MetricForecast

    history = y[max(0, upto - 10 * DAY):upto]
    ts = np.arange(upto - len(history), upto) * STEP
    fc = forecasting.forecast(ts, history, step=STEP, horizon_rows=H48)
    row = MetricForecast(predicted_values=fc.points(), history=[[float(t), float(v)] for t, v in zip(ts, history)])
    return services.breach_eta(rule, row) is not None


def _predict_linear(y: np.ndarray, upto: int) -> bool:
    window = y[upto - 6 * 3600 // STEP:upto]
    slope, intercept = np.polyfit(np.arange(len(window)), window, 1)
    return intercept + slope * (len(window) - 1 + H48) > 90


def test_predictive_alerts_sawtooth_and_lead_time():
    from apps.predictions.models import PredictiveRule

    n = int(os.environ.get("BENCH_ALERT_SERIES", "40"))
    rule = PredictiveRule(threshold=90, forecast_horizon_hours=48, anomaly_sensitivity=0.5)
    saw, fill = _disks(n)
    total = 30 * DAY
    times = list(range(total - 6 * DAY, total + 1, 6 * 3600 // STEP))
    ours_false = linear_false = 0
    for y in saw:
        streak = fired = 0
        lin_fired = False
        for upto in times:
            streak = streak + 1 if _evaluate(y, upto, rule) else 0
            fired |= streak >= 2
            lin_fired |= _predict_linear(y, upto)
        ours_false += bool(fired)
        linear_false += lin_fired
    leads, lin_leads, missed = [], [], 0
    for y, breach_row in fill:
        streak, lead, lin_lead = 0, None, None
        for upto in times:
            if upto >= breach_row:
                break
            streak = streak + 1 if _evaluate(y, upto, rule) else 0
            if streak >= 2 and lead is None:
                lead = (breach_row - upto) * STEP / 3600
            if lin_lead is None and _predict_linear(y, upto):
                lin_lead = (breach_row - upto) * STEP / 3600
        if lead is None:
            missed += 1
        else:
            leads.append(lead)
        if lin_lead is not None:
            lin_leads.append(lin_lead)
    print(f"\nPredictive alerts (48 h horizon, 2 evaluations in a row, every 6 h over 6 days; {n} + {n} disks):")
    print(f"  false 'will fill' alerts on sawtooth disks: ours {ours_false}/{n}, predict_linear(6h, 48h) "
          f"{linear_false}/{n}")
    print(f"  true fill-ups alerted: ours {len(leads)}/{n} (median lead {np.median(leads) if leads else float('nan'):.1f} h), "
          f"predict_linear {len(lin_leads)}/{n} (median lead {np.median(lin_leads) if lin_leads else float('nan'):.1f} h)")
