"""`manage.py predictions detect --csv FILE --out FILE`: backtest the anomaly detector on exported data.

Reads `timestamp,value` rows (a header line; timestamps as unix seconds or ISO 8601 / "YYYY-MM-DD
HH:MM:SS", UTC) and writes `timestamp,value,anomaly_score` — one row per input row, in order, the
score in 0..1 and causal (a row's score uses only earlier rows). `--out -` writes to stdout.
"""
from __future__ import annotations

import csv
import sys
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from apps.predictions import detection


def _parse_time(text: str, line: int) -> float:
    value = text.strip()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(f"line {line}: {text!r} is not a timestamp") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


class Command(BaseCommand):
    help = "Prediction tools. detect: score exported timestamp,value rows with the anomaly detector."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        detect = sub.add_parser("detect", help="score a CSV of timestamp,value rows")
        detect.add_argument("--csv", required=True, help="input CSV with a timestamp,value header")
        detect.add_argument("--out", required=True, help="output CSV ('-' for stdout)")

    def handle(self, *args, action=None, **options):
        if action == "detect":
            self.detect(options["csv"], options["out"])

    def detect(self, src: str, dst: str) -> None:
        try:
            with open(src, newline="") as fh:
                rows = list(csv.reader(fh))
        except OSError as exc:
            raise CommandError(f"cannot read {src}: {exc}") from exc
        if not rows:
            raise CommandError(f"{src} is empty")
        header = [h.strip().lower() for h in rows[0]]
        if "timestamp" not in header or "value" not in header:
            raise CommandError(f"{src}: the header must name timestamp and value columns")
        ti, vi = header.index("timestamp"), header.index("value")
        body = [r for r in rows[1:] if r]
        stamps, values = [], []
        for line, row in enumerate(body, start=2):
            if len(row) <= max(ti, vi):
                raise CommandError(f"line {line}: short row")
            stamps.append(_parse_time(row[ti], line))
            try:
                values.append(float(row[vi]))
            except ValueError:
                raise CommandError(f"line {line}: {row[vi]!r} is not a number") from None
        result = detection.score(stamps, values)
        out = sys.stdout if dst == "-" else open(dst, "w", newline="")
        try:
            writer = csv.writer(out)
            writer.writerow(["timestamp", "value", "anomaly_score"])
            for row, score in zip(body, result.scores):
                writer.writerow([row[ti], row[vi], f"{float(score):.6f}"])
        finally:
            if out is not sys.stdout:
                out.close()
