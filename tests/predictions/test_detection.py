"""The anomaly detector and `manage.py predictions detect`: causal scores in 0..1, the four types."""
import csv
import math

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from apps.predictions import detection

STEP = 300


def _daily(days=6, seed=1):
    rng = np.random.default_rng(seed)
    n = days * 288
    t = 1_700_000_000 + STEP * np.arange(n)
    y = 100 + 40 * np.sin(2 * math.pi * np.arange(n) / 288) + rng.normal(0, 2, n)
    return t, y


def _peak(result, start, stop):
    return float(result.scores[start:stop].max())


def test_spike_and_drop_score_high_and_are_typed():
    t, y = _daily()
    y[1300] += 150
    y[1600:1604] -= 120  # after the spike's hold-off (one episode, one report)
    result = detection.score(t, y)
    assert _peak(result, 1300, 1301) > 0.8 and result.kinds[1300] == detection.SPIKE
    assert _peak(result, 1600, 1604) > 0.5
    assert detection.DROP in result.kinds[1600:1604]
    quiet = np.delete(result.scores[900:], [i - 900 for i in (*range(1300, 1450), *range(1600, 1728))])
    assert float(np.max(quiet)) < 0.5


def test_trend_change_and_pattern_break():
    t, y = _daily(days=7)
    shifted = y.copy()
    shifted[1700:] += 60  # a level that stays: trend change
    result = detection.score(t, shifted)
    window = slice(1700, 1760)
    assert _peak(result, 1700, 1760) > 0.5
    assert {detection.SPIKE, detection.TREND_CHANGE} & set(result.kinds[window])
    flat = y.copy()
    flat[1728:1800] = 100 + np.random.default_rng(3).normal(0, 2, 72)  # a day whose peak never comes
    broken = detection.score(t, flat)
    assert _peak(broken, 1728, 1800) > 0.3
    assert detection.PATTERN_BREAK in broken.kinds[1728:1800]


def test_scores_are_causal():
    t, y = _daily(days=4)
    y[800] += 100
    full = detection.score(t, y).scores
    prefix = detection.score(t[:900], y[:900]).scores
    assert np.allclose(full[:900], prefix)


def test_detect_command(tmp_path):
    t, y = _daily(days=3)
    y[700] += 200
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    with src.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["timestamp", "value"])
        for ts, v in zip(t, y):
            writer.writerow([f"{ts:.0f}", f"{v:.3f}"])
    call_command("predictions", "detect", "--csv", str(src), "--out", str(out))
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == len(t) and list(rows[0]) == ["timestamp", "value", "anomaly_score"]
    scores = [float(r["anomaly_score"]) for r in rows]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert max(range(len(scores)), key=scores.__getitem__) == 700


def test_detect_command_rejects_bad_input(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,value\n2026-01-01 00:00:00,abc\n")
    with pytest.raises(CommandError, match="line 2"):
        call_command("predictions", "detect", "--csv", str(bad), "--out", str(tmp_path / "o.csv"))
    missing = tmp_path / "nohdr.csv"
    missing.write_text("a,b\n1,2\n")
    with pytest.raises(CommandError, match="header"):
        call_command("predictions", "detect", "--csv", str(missing), "--out", str(tmp_path / "o.csv"))
