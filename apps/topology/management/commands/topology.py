"""`manage.py topology import FILE` / `manage.py topology export FILE` ("-" = stdin/stdout)."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.tenancy.models import Organization
from apps.topology import selectors, services
from apps.topology.interchange import TopologyFileError, dump, load


class Command(BaseCommand):
    help = "Import or export an organisation's service topology as YAML or JSON."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["import", "export"])
        parser.add_argument("file", help="Path of the file, or - for stdin/stdout.")
        parser.add_argument("--org", help="Organisation slug (required when there are several).")
        parser.add_argument(
            "--format",
            choices=["yaml", "json"],
            help="File format; default: from the extension (export: yaml).",
        )
        parser.add_argument(
            "--replace", action="store_true", help="Import: delete services/dependencies the file omits."
        )
        parser.add_argument("--dry-run", action="store_true", help="Import: validate and report, change nothing.")

    def _organization(self, slug):
        if slug:
            org = Organization.objects.filter(slug=slug).first()
            if org is None:
                raise CommandError(f"No organisation with slug {slug!r}.")
            return org
        orgs = list(Organization.objects.all()[:2])
        if len(orgs) != 1:
            raise CommandError("Pass --org SLUG (there are several organisations, or none).")
        return orgs[0]

    def _format(self, options, path):
        if options["format"]:
            return options["format"]
        suffix = Path(path).suffix.lower()
        return {".json": "json", ".yaml": "yaml", ".yml": "yaml"}.get(suffix)

    def handle(self, *args, **options):
        org = self._organization(options["org"])
        path = options["file"]
        fmt = self._format(options, path)
        if options["action"] == "export":
            body = dump(selectors.topology_document(organization=org), fmt or "yaml")
            if path == "-":
                self.stdout.write(body, ending="")
            else:
                Path(path).write_text(body, encoding="utf-8")
                self.stderr.write(f"Wrote {path}")
            return
        try:
            raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        try:
            spec = load(raw, fmt)
            result = services.topology_import(
                organization=org, spec=spec, replace=options["replace"], dry_run=options["dry_run"]
            )
        except TopologyFileError as exc:
            lines = "\n".join(
                f"  {path}:{p.line or '?'}: {p.path + ': ' if p.path else ''}{p.message}" for p in exc.problems
            )
            raise CommandError(f"{len(exc.problems)} problem(s), nothing was changed:\n{lines}") from exc
        verb = "Would import" if options["dry_run"] else "Imported"
        self.stdout.write(
            f"{verb} into {org.slug}: services {result.created['services']} created, "
            f"{result.updated['services']} updated, {result.deleted['services']} deleted; dependencies "
            f"{result.created['dependencies']} created, {result.updated['dependencies']} updated, "
            f"{result.deleted['dependencies']} deleted."
        )
