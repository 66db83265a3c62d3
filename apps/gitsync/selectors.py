"""Read queries other code needs: who owns a runbook, a repository's runs."""

from __future__ import annotations

from apps.runbooks.guards import ManagedBy

from .models import ManagedRunbook


def runbook_owner(runbook) -> ManagedBy | None:
    """The runbooks app's owner lookup: a runbook synced from Git is read-only outside Git sync."""
    from .services import file_url

    row = ManagedRunbook.objects.filter(runbook_id=runbook.pk).select_related("repository").first()
    if row is None:
        return None
    return ManagedBy(
        label=f"Git: {row.repository.name}",
        path=row.path,
        revision=row.commit_sha,
        url=file_url(row.repository, row.path, row.commit_sha),
        source="git",
    )
