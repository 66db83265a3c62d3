"""Forecast models, picked per series by a rolling-origin backtest.

The fast models are a few numpy lines each, so a thousand series fit in seconds on one core:

* `seasonal_naive` — tomorrow repeats today (the benchmark every other model must beat);
* `seasonal_trend` — a linear trend fitted on the last `trend_days`, plus the mean daily profile of
  the detrended series (a cheap MSTL-like decomposition with one season);
* `level_season` — the recent level plus the daily profile, no trend (a flat series, a sawtooth);
* `linear` — the trend alone (series with no daily rhythm).

`prophet` (daily and weekly seasonality, uncertainty samples reduced, cmdstan logging quieted) is
opt-in per target: it is ~100× slower and, measured by `tests/benchmarks/test_predictions.py`, no
more accurate on these series.

Each candidate is backtested from two origins (the last `horizon` and the one before it); the
error is MASE (mean absolute error over the in-sample seasonal-naive error), and the lowest wins.
The band is the point forecast ± z·σ, σ being the backtest's RMSE grown with the square root of
the lead time.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

FAST_MODELS = ("seasonal_naive", "seasonal_trend", "level_season", "linear")
Z_90 = 1.645  # two-sided 90 % band


@dataclass
class Forecast:
    timestamps: np.ndarray
    values: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    model: str
    mase: float | None
    candidates: dict  # model -> backtest MASE

    def points(self) -> list[dict]:
        return [{"timestamp": float(t), "value": _r(v), "lower": _r(lo), "upper": _r(hi)}
                for t, v, lo, hi in zip(self.timestamps, self.values, self.lower, self.upper)]


def _r(value: float) -> float:
    return round(float(value), 6)


def period_rows(step: int) -> int:
    """Rows in one day at `step` seconds (0 when a day is not a whole number of steps)."""
    return 86400 // step if step and 86400 % step == 0 and 86400 // step >= 2 else 0


def _profile(detrended: np.ndarray, period: int, days: int) -> np.ndarray:
    """Mean value per phase over the last `days` whole days, centred on zero (phase 0 = row n)."""
    n = len(detrended)
    take = min(n // period, days) * period
    if take < period:
        return np.zeros(max(period, 1))
    tail = detrended[n - take:]
    prof = tail.reshape(-1, period).mean(axis=0)
    return prof - prof.mean()


def predict(model: str, y: np.ndarray, h: int, period: int, *, trend_days: int = 7, season_days: int = 7) -> np.ndarray:
    """Point forecast of the next `h` rows of `y` (no NaNs) with one of the fast models."""
    n = len(y)
    if model == "seasonal_naive":
        if period and n >= period:
            last = y[n - period:]
            return np.resize(last, h)
        return np.full(h, y[-1])
    window = min(n, max(period * trend_days, 12) if period else n)
    t = np.arange(n - window, n, dtype=float)
    tail = y[n - window:]
    if model in ("seasonal_trend", "linear"):
        slope, intercept = np.polyfit(t, tail, 1) if window >= 3 else (0.0, float(y[-1]))
    else:
        slope, intercept = 0.0, float(np.mean(tail[-period:] if period and window >= period else tail))
    future_t = np.arange(n, n + h, dtype=float)
    base = intercept + slope * future_t
    if model == "linear" or not period or n < 2 * period:
        return base
    fitted = intercept + slope * np.arange(n, dtype=float)
    prof = _profile(y - fitted, period, season_days)
    # phase of row n+k is (n+k) mod period relative to the profile's alignment (which ends at row n-1)
    phases = (np.arange(h) % period)
    return base + prof[phases]


def mase_scale(y: np.ndarray, period: int) -> float:
    lag = period if period and len(y) > period else 1
    diffs = np.abs(y[lag:] - y[:-lag])
    scale = float(np.mean(diffs)) if len(diffs) else 0.0
    return scale if scale > 1e-12 else max(float(np.std(y)), 1e-9)


def mase(actual: np.ndarray, predicted: np.ndarray, scale: float) -> float:
    return float(np.mean(np.abs(actual - predicted)) / scale)


def backtest(model: str, y: np.ndarray, h: int, period: int, origins: int = 2, **kw) -> tuple[float, float]:
    """(MASE, RMSE) of `model` over `origins` rolling origins, each holding out `h` rows."""
    errors, sq = [], []
    scale = mase_scale(y[: len(y) - h], period)
    for k in range(origins, 0, -1):
        cut = len(y) - k * h
        if cut < max(2 * period, 24):
            continue
        pred = model_predict(model, y[:cut], h, period, **kw)
        actual = y[cut:cut + h]
        errors.append(mase(actual, pred, scale))
        sq.append(float(np.mean((actual - pred) ** 2)))
    if not errors:
        return math.inf, float(np.std(y))
    return float(np.mean(errors)), math.sqrt(float(np.mean(sq)))


def model_predict(model: str, y: np.ndarray, h: int, period: int, *, step: int = 300, **kw) -> np.ndarray:
    if model == "prophet":
        return prophet_predict(y, h, step)
    return predict(model, y, h, period, **kw)


def clean(values) -> np.ndarray:
    """Carry the last finite value over gaps (NaN/Inf), the first finite one backwards."""
    y = np.asarray(values, dtype=float)
    finite = np.isfinite(y)
    if not finite.any():
        return np.zeros_like(y)
    idx = np.where(finite, np.arange(len(y)), 0)
    np.maximum.accumulate(idx, out=idx)
    y = y[idx]
    first = int(np.argmax(finite))
    y[:first] = y[first]
    return y


def forecast(timestamps, values, *, step: int, horizon_rows: int, models=FAST_MODELS,
             backtest_rows: int | None = None) -> Forecast:
    """Pick the model with the lowest backtest MASE and forecast `horizon_rows` rows past the last one."""
    y = clean(values)
    ts = np.asarray(timestamps, dtype=float)
    period = period_rows(step)
    h_bt = min(backtest_rows or horizon_rows, max(len(y) // 4, 1))
    scores = {}
    rmse = {}
    for model in models:
        scores[model], rmse[model] = backtest(model, y, h_bt, period, step=step)
    best = min(scores, key=lambda m: (scores[m], FAST_MODELS.index(m) if m in FAST_MODELS else 99))
    values_out = model_predict(best, y, horizon_rows, period, step=step)
    sigma = rmse[best] if math.isfinite(rmse[best]) else float(np.std(y))
    growth = np.sqrt(1.0 + np.arange(1, horizon_rows + 1) / max(h_bt, 1))
    band = Z_90 * sigma * growth
    last = ts[-1] if len(ts) else 0.0
    future = last + step * np.arange(1, horizon_rows + 1)
    score = scores[best]
    return Forecast(future, values_out, values_out - band, values_out + band, best,
                    None if not math.isfinite(score) else round(score, 4),
                    {m: (None if not math.isfinite(v) else round(v, 4)) for m, v in scores.items()})


def prophet_predict(y: np.ndarray, h: int, step: int) -> np.ndarray:
    """Prophet with daily and weekly seasonality; a few uncertainty samples; cmdstan kept quiet."""
    import pandas as pd
    from prophet import Prophet

    for name in ("cmdstanpy", "prophet"):
        logging.getLogger(name).setLevel(logging.WARNING)
    start = pd.Timestamp("2024-01-01")
    ds = start + pd.to_timedelta(np.arange(len(y)) * step, unit="s")
    model = Prophet(daily_seasonality=True, weekly_seasonality=True, yearly_seasonality=False,
                    uncertainty_samples=0)
    model.fit(pd.DataFrame({"ds": ds, "y": y}))
    future = pd.DataFrame({"ds": start + pd.to_timedelta((len(y) + np.arange(h)) * step, unit="s")})
    return model.predict(future)["yhat"].to_numpy()


def envelope_eta(timestamps, values, *, threshold: float, step: int, horizon_seconds: float) -> float | None:
    """Seconds until the trend of the daily maxima reaches `threshold`, or None within the horizon.

    A sawtooth (log rotation, a GC that frees at 80 %) climbs inside every tooth but its peaks do
    not: Prometheus' `predict_linear` on the climb predicts a fill that never comes. Requiring the
    peaks' own trend to cross as well removes those alerts and keeps real fill-ups, whose peaks
    climb with them.
    """
    y = clean(values)
    period = period_rows(step) or max(1, len(y) // 30)
    days = len(y) // period
    if days < 3:
        return 0.0  # too little history to tell a sawtooth: do not veto
    peaks = y[len(y) - days * period:].reshape(days, period).max(axis=1)
    x = np.arange(days, dtype=float)
    slope, intercept = np.polyfit(x, peaks, 1)
    if peaks[-1] >= threshold:
        return 0.0
    if slope <= 0:
        return None
    days_to = (threshold - (intercept + slope * (days - 1))) / slope
    seconds = days_to * period * step
    return seconds if seconds <= horizon_seconds else None
