"""Write paths for runbook definitions: import YAML, save a definition, restore a version.

Every change that alters the canonical definition creates a RunbookVersion (the YAML as given,
who, when, from where); saving identical content is a no-op, so re-importing a file or a Git
sync that found nothing new leaves the history alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from ..choices import VersionSource
from ..guards import managed_by
from ..models import Runbook, RunbookVersion
from ..schema import InvalidDefinition, Problem, validate
from ..yamlio import checksum, dump, load

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


@dataclass(frozen=True)
class SaveResult:
    runbook: Runbook
    outcome: str  # created | updated | unchanged


def _copy_columns(runbook: Runbook, definition: dict) -> None:
    runbook.name = definition["name"]
    runbook.slug = definition["slug"]
    runbook.description = definition["description"]
    runbook.category = definition["category"]
    runbook.tags = definition["tags"]
    runbook.enabled = definition["enabled"]
    runbook.mode = definition["execution"]["mode"]
    runbook.definition = definition
    runbook.checksum = checksum(definition)


@transaction.atomic
def runbook_save_definition(
    *,
    organization,
    definition: dict,
    user=None,
    source: str = VersionSource.API,
    yaml_text: str | None = None,
    team=None,
    runbook: Runbook | None = None,
    note: str = "",
    source_path: str = "",
) -> SaveResult:
    """Create or update the runbook with this definition (matched by `runbook`, else by slug).

    `definition` must be canonical (from `schema.validate` or `yamlio.load`). `team` applies to new
    runbooks; an existing runbook keeps its team.
    """
    if runbook is None:
        runbook = (
            Runbook.objects.select_for_update()
            .filter(organization=organization, slug=definition["slug"])
            .first()
        )
    else:
        runbook = Runbook.objects.select_for_update().get(pk=runbook.pk)
    clash = Runbook.objects.filter(organization=organization, slug=definition["slug"])
    if runbook is not None and clash.exclude(pk=runbook.pk).exists():
        raise InvalidDefinition(
            [Problem(("slug",), f"{definition['slug']!r} is already used by another runbook")]
        )
    owner = managed_by(runbook)
    if owner is not None and source != owner.source:
        raise InvalidDefinition(
            [Problem((), f"is managed by {owner.label} ({owner.path}): change it there, not here")]
        )
    digest = checksum(definition)
    if runbook is not None and runbook.checksum == digest:
        return SaveResult(runbook, UNCHANGED)
    outcome = UPDATED if runbook else CREATED
    if runbook is None:
        runbook = Runbook(organization=organization, team=team, created_by=user, version=0)
    _copy_columns(runbook, definition)
    runbook.version += 1
    if source_path:
        runbook.source_path = source_path
    runbook.save()
    RunbookVersion.objects.create(
        organization_id=runbook.organization_id,
        runbook=runbook,
        number=runbook.version,
        yaml_text=yaml_text if yaml_text is not None else dump(definition),
        definition=definition,
        checksum=digest,
        source=source,
        note=note[:500],
        created_by=user,
    )
    return SaveResult(runbook, outcome)


def runbook_set_team(*, runbook: Runbook, team) -> Runbook:
    """Hand the runbook to another team (or to the whole organisation with None); no new version."""
    if runbook.team_id != getattr(team, "pk", team):
        runbook.team = team
        runbook.save(update_fields=["team", "updated_at"])
    return runbook


@dataclass(frozen=True)
class NewRunbook:
    definition: dict  # canonical (from `yamlio.load` or `schema.validate`)
    yaml_text: str
    source_path: str = ""
    note: str = ""


@transaction.atomic
def runbook_create_many(
    *, organization, items: list[NewRunbook], source: str, team=None, user=None
) -> list[Runbook]:
    """Create runbooks that do not exist yet, each with its first version, in a few statements.

    For imports of many files at once (the first Git sync of a repository of a thousand): the
    same columns and first version as `runbook_save_definition`, without a round trip per file.
    Raises InvalidDefinition, creating nothing, when a slug is taken or given twice.
    """
    slugs = [item.definition["slug"] for item in items]
    taken = set(Runbook.objects.filter(organization=organization, slug__in=slugs).values_list("slug", flat=True))
    twice = {slug for slug in slugs if slugs.count(slug) > 1} if len(set(slugs)) != len(slugs) else set()
    if taken or twice:
        raise InvalidDefinition(
            [Problem(("slug",), f"{slug!r} is already used by another runbook") for slug in sorted(taken | twice)]
        )
    runbooks = []
    for item in items:
        runbook = Runbook(organization=organization, team=team, created_by=user, version=1,
                          source_path=item.source_path)
        _copy_columns(runbook, item.definition)
        runbooks.append(runbook)
    Runbook.objects.bulk_create(runbooks, batch_size=500)
    RunbookVersion.objects.bulk_create(
        [
            RunbookVersion(
                organization_id=organization.pk,
                runbook=runbook,
                number=1,
                yaml_text=item.yaml_text,
                definition=item.definition,
                checksum=runbook.checksum,
                source=source,
                note=item.note[:500],
                created_by=user,
            )
            for runbook, item in zip(runbooks, items, strict=True)
        ],
        batch_size=500,
    )
    return runbooks


def runbook_import_yaml(
    *,
    organization,
    text: str | bytes,
    user=None,
    source: str = VersionSource.YAML,
    team=None,
    runbook: Runbook | None = None,
    source_path: str = "",
    note: str = "",
) -> SaveResult:
    """Validate YAML (raising InvalidDefinition with line numbers) and save it as the next version."""
    definition = load(text)
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return runbook_save_definition(
        organization=organization,
        definition=definition,
        user=user,
        source=source,
        yaml_text=text,
        team=team,
        runbook=runbook,
        source_path=source_path,
        note=note,
    )


def runbook_save_document(
    *,
    organization,
    document: dict,
    user=None,
    runbook: Runbook | None = None,
    team=None,
    source: str = VersionSource.API,
) -> SaveResult:
    """Save a definition given as parsed data (the JSON API); raises InvalidDefinition without lines."""
    return runbook_save_definition(
        organization=organization,
        definition=validate(document),
        user=user,
        runbook=runbook,
        team=team,
        source=source,
    )


@transaction.atomic
def runbook_restore_version(*, version: RunbookVersion, user=None) -> SaveResult:
    """Make an older version current again, recorded as a new version (history is never rewritten)."""
    return runbook_save_definition(
        organization=version.runbook.organization,
        definition=version.definition,
        user=user,
        source=VersionSource.RESTORE,
        yaml_text=version.yaml_text,
        runbook=version.runbook,
        note=f"restored from version {version.number}",
    )


def runbook_export_yaml(*, runbook: Runbook) -> str:
    """The runbook in the canonical YAML schema (what `runbooks export` and the API return)."""
    return dump(runbook.definition)
