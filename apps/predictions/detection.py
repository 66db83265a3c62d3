"""Online anomaly scoring: robust residuals over a local and a seasonal baseline, with a hold-off.

One set of parameters for every series (nothing keys on a file or a metric name). For each row t,
using only rows before t:

* the *local* baseline is the median of the last `local_window` rows; its residual catches
  spikes and drops;
* the *level* baseline compares the median of the last `shift_window` rows (t included) with the
  median of the `local_window` rows before them: a sustained move (a trend change or a level
  shift) that no single point makes extreme;
* the *seasonal* baseline (series with a daily rhythm, once two days are known) is the median of
  the same time of day on the previous days; its residual catches pattern breaks (a busy hour
  that is quiet today);
* each residual is divided by a robust scale — the median absolute deviation of that residual
  over the last `scale_window` rows — so a noisy series needs a larger move than a flat one;
* z → score in 0..1; a detection holds off further reports for `hold_off` rows unless the
  score climbs higher, so one episode is one detection, not fifty.

The score of row t never depends on rows after t (the command's contract: causal).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

SPIKE, DROP, TREND_CHANGE, PATTERN_BREAK = "spike", "drop", "trend_change", "pattern_break"


@dataclass(frozen=True)
class DetectorParams:
    local_window: int = 48
    shift_window: int = 6
    scale_window: int = 2000
    seasonal_days: int = 3
    warmup: int = 60
    z_scale: float = 1.0
    hold_off: int = 120
    min_scale_fraction: float = 0.02  # of the running inter-quartile range: flat series are not infinitely sensitive
    norm_quantile: float = 0.995
    norm_window: int = 5000
    weights: tuple = (1.0, 1.0, 1.0)  # local, level, seasonal


DEFAULT = DetectorParams()


@dataclass
class DetectionResult:
    scores: np.ndarray      # 0..1 per row, after the hold-off
    raw: np.ndarray         # 0..1 per row, before it
    expected: np.ndarray    # the baseline that explained the row best
    kinds: list[str]        # the dominant kind per row ("" when nothing stands out)


def _lagged_rolling(x: np.ndarray, window: int, fn) -> np.ndarray:
    """fn over x[t-window:t] for each t (NaN until a full window exists): strictly before t."""
    n = len(x)
    out = np.full(n, np.nan)
    if n <= window:
        return out
    views = sliding_window_view(x[:-1], window)  # views[i] = x[i:i+window], ends at i+window-1
    out[window:] = fn(views, axis=1)
    return out


def _robust_scale(residual: np.ndarray, window: int) -> np.ndarray:
    """MAD·1.4826 of residual[t-window:t], computed every few rows (it moves slowly) and held."""
    n = len(residual)
    out = np.full(n, np.nan)
    stride = max(1, window // 20)
    for t in range(window // 4, n, stride):
        past = residual[max(0, t - window):t]
        past = past[np.isfinite(past)]
        if len(past) < 10:
            continue
        mad = np.median(np.abs(past - np.median(past))) * 1.4826
        out[t:t + stride] = mad
    return out


def _period_rows(timestamps: np.ndarray) -> tuple[float, int]:
    diffs = np.diff(timestamps)
    step = float(np.median(diffs)) if len(diffs) else 0.0
    if step <= 0 or step > 3600 * 6:
        return step, 0
    return step, int(round(86400.0 / step))


def score(timestamps, values, params: DetectorParams = DEFAULT) -> DetectionResult:
    """Score every row (see the module docstring). `timestamps` are unix seconds."""
    ts = np.asarray(timestamps, dtype=float)
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n == 0:
        return DetectionResult(np.zeros(0), np.zeros(0), np.zeros(0), [])
    # Missing values carry the last known one (Prometheus gaps, NaN samples).
    if not np.all(np.isfinite(x)):
        finite = np.isfinite(x)
        idx = np.where(finite, np.arange(n), 0)
        np.maximum.accumulate(idx, out=idx)
        x = np.where(finite[idx], x[idx], 0.0)
    p = params
    local = _lagged_rolling(x, p.local_window, np.median)
    r_local = x - local
    # Level: recent short median (t included) against the local baseline that precedes it.
    recent = np.full(n, np.nan)
    if n >= p.shift_window:
        recent[p.shift_window - 1:] = np.median(sliding_window_view(x, p.shift_window), axis=1)
    before = np.full(n, np.nan)
    if n > p.shift_window:
        before[p.shift_window - 1:] = np.concatenate([[np.nan], local])[: n - p.shift_window + 1]
    r_level = recent - before
    # Seasonal: the same time of day on the previous days.
    step, period = _period_rows(ts)
    r_season = np.full(n, np.nan)
    seasonal = np.full(n, np.nan)
    if period >= 8 and n > 2 * period:
        lags = []
        for d in range(1, p.seasonal_days + 1):
            lag = np.full(n, np.nan)
            if n > d * period:
                # the median of a small neighbourhood around the same time d days ago
                shifted = np.full(n, np.nan)
                shifted[d * period:] = x[: n - d * period]
                lag = shifted
            lags.append(lag)
        stack = np.vstack(lags)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            seasonal = np.nanmedian(stack, axis=0) if stack.size else seasonal
        count = np.sum(np.isfinite(stack), axis=0)
        seasonal[count < 2] = np.nan
        r_season = x - seasonal
    floor = _floor(x, p)
    local_scale = _robust_scale(r_local, p.scale_window)
    z_local = np.abs(r_local) / np.maximum(local_scale, floor)
    z_level = np.abs(r_level) / np.maximum(_robust_scale(r_level, p.scale_window), floor)
    z_season = np.abs(r_season) / np.maximum(_robust_scale(r_season, p.scale_window), floor)
    zs = np.vstack([w * np.nan_to_num(z, nan=0.0) for w, z in zip(p.weights, (z_local, z_level, z_season))])
    best = np.argmax(zs, axis=0)
    z = zs[best, np.arange(n)]
    z[: p.warmup] = 0.0
    valid = np.isfinite(local_scale)
    # Relative to this series' own history of surprises: one threshold then fits every series.
    q = _running_quantile(np.where(valid, z, np.nan), p.norm_quantile, p.norm_window, p.warmup)
    raw = 1.0 - np.exp(-np.maximum(z / q - 1.0, 0.0) / p.z_scale)
    scores = _hold_off(raw, p.hold_off)
    expected = np.where(best == 2, seasonal, np.where(best == 1, before, local))
    expected = np.where(np.isfinite(expected), expected, x)
    # How sudden the move is: the step from the recent rows against the usual step-to-step change.
    jump = np.zeros(n)
    if n > 3:
        jump[3:] = x[3:] - np.median(sliding_window_view(x[:-1], 3), axis=1)[: n - 3]
    z_jump = np.abs(jump) / np.maximum(np.nan_to_num(_robust_scale(jump, p.scale_window), nan=np.inf), floor)
    kinds = []
    for i in range(n):
        if raw[i] <= 0:
            kinds.append("")
        elif z_jump[i] >= 4.0:  # a sudden move away from the last rows: spike or drop
            kinds.append(SPIKE if jump[i] > 0 else DROP)
        elif best[i] == 1:
            kinds.append(TREND_CHANGE)
        else:
            kinds.append(PATTERN_BREAK)
    return DetectionResult(scores, raw, expected, kinds)


def _floor(x: np.ndarray, p: DetectorParams) -> np.ndarray:
    """A lower bound for the scale: a fraction of the running spread of the series itself."""
    n = len(x)
    out = np.full(n, 1e-9)
    stride = max(1, p.scale_window // 20)
    for t in range(10, n, stride):
        past = x[max(0, t - p.scale_window):t]
        q75, q25 = np.percentile(past, [75, 25])
        spread = max(q75 - q25, 1e-6 * max(1.0, abs(float(np.median(past)))))
        out[t:t + stride] = spread * p.min_scale_fraction
    return out


def _running_quantile(z: np.ndarray, q: float, window: int, warmup: int) -> np.ndarray:
    """The q-quantile of z over the `window` rows before t (refreshed every few rows)."""
    n = len(z)
    out = np.full(n, np.inf)
    stride = 25
    for t in range(warmup + 50, n, stride):
        past = z[max(warmup, t - window):t]
        past = past[np.isfinite(past)]
        if len(past) < 100:  # too few surprises seen to know what is unusual for this series
            continue
        out[t:t + stride] = max(float(np.quantile(past, q)), 1e-6)
    return out


def _hold_off(raw: np.ndarray, hold: int) -> np.ndarray:
    """After a row scores s, the next `hold` rows report only scores above s (one episode, one peak)."""
    out = np.zeros_like(raw)
    peak, until = 0.0, -1
    for i, s in enumerate(raw):
        if i > until:
            peak = 0.0
        if s > peak:
            out[i] = s
            peak, until = s, i + hold
    return out
