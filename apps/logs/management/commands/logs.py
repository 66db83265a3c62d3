"""`manage.py logs patterns FILE [--format csv|json] [--templates OUT]`: try the miner on your own logs.

One event per input line (`-` reads stdin). Output, in input order, one row per line with its
template id (CSV: LineId,EventId,EventTemplate — the Loghub layout, so tools/loghub_score.py reads
it), then the template table (JSON: "templates"; CSV: `--templates OUT` writes it as its own file).
"""

from __future__ import annotations

import csv
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from apps.logs.mining.drain import Miner


class Command(BaseCommand):
    help = "Log tools. `logs patterns FILE`: mine raw log lines into templates."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        patterns = sub.add_parser("patterns", help="one template id per input line, plus the template table")
        patterns.add_argument("file", help="a log file, or - for stdin")
        patterns.add_argument("--format", choices=["csv", "json"], default="csv")
        patterns.add_argument("--templates", help="CSV: also write the template table to this file")

    def handle(self, *args, **options):
        path = options["file"]
        try:
            stream = sys.stdin if path == "-" else open(path, encoding="utf-8", errors="replace")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        miner = Miner()
        with stream:
            ids = [miner.add(line.rstrip("\n")).template.id for line in stream]
        templates = {t.id: t for t in miner.templates}
        out = self.stdout
        if options["format"] == "json":
            out.write(json.dumps({
                "lines": [{"line": n, "template_id": tid} for n, tid in enumerate(ids, start=1)],
                "templates": [{"id": t.id, "template": t.text, "count": t.count, "levels": t.levels}
                              for t in miner.templates],
            }, ensure_ascii=False))
            return
        writer = csv.writer(out)
        writer.writerow(["LineId", "EventId", "EventTemplate"])
        for n, tid in enumerate(ids, start=1):
            writer.writerow([n, f"T{tid}", templates[tid].text])
        if options.get("templates"):
            with open(options["templates"], "w", newline="", encoding="utf-8") as fh:
                table = csv.writer(fh)
                table.writerow(["EventId", "EventTemplate", "Occurrences"])
                for t in miner.templates:
                    table.writerow([f"T{t.id}", t.text, t.count])
