"""`manage.py runbooks import FILE... --org SLUG`, `manage.py runbooks export --org SLUG [--out DIR]`, and
`manage.py runbooks validate PATH... [--json]` (no database: for a runbook repository's own CI).

Import is all-or-nothing: every file is validated (errors carry file and line) before any is saved.
"""

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.runbooks import services
from apps.runbooks.choices import VersionSource
from apps.runbooks.models import Runbook
from apps.runbooks.schema import InvalidDefinition
from apps.runbooks.yamlio import load
from apps.tenancy.models import Organization, Team


class Command(BaseCommand):
    help = "Import runbooks from YAML files, or export them as YAML."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="Import (create or update by slug) runbook YAML files.")
        imp.add_argument("files", nargs="+", help="YAML files or directories (searched for *.yaml and *.yml)")
        imp.add_argument("--org", required=True, help="organisation slug")
        imp.add_argument("--team", help="team slug for new runbooks (default: organisation-wide)")
        imp.add_argument("--user", help="username recorded as the author of the versions")
        exp = sub.add_parser("export", help="Write runbooks as YAML (canonical schema).")
        exp.add_argument("--org", required=True, help="organisation slug")
        exp.add_argument("--slug", action="append", help="only these runbooks (repeatable)")
        exp.add_argument("--out", help="directory to write <slug>.yaml files into (default: print)")
        val = sub.add_parser("validate", help="Check runbook YAML files (exit status 1 when any is invalid).")
        val.add_argument("files", nargs="+", help="YAML files or directories (searched for *.yaml and *.yml)")
        val.add_argument("--json", action="store_true", help="print a JSON report instead of text")

    def handle(self, *args, **options):
        if options["action"] == "validate":
            return self._validate(options)
        org = Organization.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"no organisation with slug {options['org']!r}")
        if options["action"] == "import":
            return self._import(org, options)
        return self._export(org, options)

    def _files(self, names) -> list[Path]:
        found = []
        for name in names:
            path = Path(name)
            if path.is_dir():
                found += sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
            elif path.is_file():
                found.append(path)
            else:
                raise CommandError(f"{name}: no such file or directory")
        return found

    def _import(self, org, options):
        team = None
        if options.get("team"):
            team = Team.objects.filter(organization=org, slug=options["team"]).first()
            if team is None:
                raise CommandError(f"no team {options['team']!r} in {org.slug}")
        user = None
        if options.get("user"):
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no user {options['user']!r}")
        files = self._files(options["files"])
        errors = []
        for path in files:
            try:
                load(path.read_bytes())
            except InvalidDefinition as exc:
                errors += [f"{path}: {message}" for message in exc.messages]
        if errors:
            raise CommandError("invalid runbook YAML, nothing imported:\n" + "\n".join(errors))
        with transaction.atomic():
            for path in files:
                try:
                    result = services.runbook_import_yaml(
                        organization=org,
                        text=path.read_bytes(),
                        user=user,
                        source=VersionSource.YAML,
                        team=team,
                        source_path=str(path),
                    )
                except InvalidDefinition as exc:  # e.g. two files with one slug
                    raise CommandError(f"{path}: " + "; ".join(exc.messages)) from exc
                self.stdout.write(
                    f"{result.outcome:9} {result.runbook.slug} (v{result.runbook.version}) from {path}"
                )

    def _validate(self, options):
        """Every file's problems with their lines; slugs used by two files are problems too."""
        report, slugs = [], {}
        for path in self._files(options["files"]):
            entry = {"path": str(path), "valid": True, "errors": []}
            try:
                definition = load(path.read_bytes())
            except InvalidDefinition as exc:
                entry.update(valid=False, errors=exc.messages)
            else:
                entry["slug"] = definition["slug"]
                if definition["slug"] in slugs:
                    entry.update(valid=False, errors=[f"slug {definition['slug']!r} is already used by {slugs[definition['slug']]}"])
                slugs.setdefault(definition["slug"], str(path))
            report.append(entry)
        invalid = [e for e in report if not e["valid"]]
        if options["json"]:
            self.stdout.write(json.dumps({"files": report, "valid": not invalid}, indent=2))
        else:
            for entry in report:
                for message in entry["errors"]:
                    self.stdout.write(f"{entry['path']}: {message}")
            self.stdout.write(f"{len(report) - len(invalid)} valid, {len(invalid)} invalid")
        if invalid:
            raise SystemExit(1)

    def _export(self, org, options):
        runbooks = Runbook.objects.filter(organization=org).order_by("slug")
        if options.get("slug"):
            runbooks = runbooks.filter(slug__in=options["slug"])
        out = Path(options["out"]) if options.get("out") else None
        if out:
            out.mkdir(parents=True, exist_ok=True)
        for runbook in runbooks:
            text = services.runbook_export_yaml(runbook=runbook)
            if out:
                (out / f"{runbook.slug}.yaml").write_text(text)
                self.stdout.write(f"wrote {out / (runbook.slug + '.yaml')}")
            else:
                self.stdout.write(f"---\n{text}", ending="")
