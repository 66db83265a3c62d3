"""Query expressions that indexes are built on: they must be the same object in query and index.

An expression index only serves a query whose expression is identical, so the filters and the
migrations that create the indexes both import them from here.
"""
from django.db.models import Case, IntegerField, TextField, Value, When
from django.db.models.functions import Cast, Concat

from .choices import SEVERITY_RANK


def severity_rank():
    """critical 3, warning 2, info 1: sorts alerts by severity instead of alphabetically."""
    return Case(
        *[When(severity=sev, then=Value(rank)) for sev, rank in SEVERITY_RANK.items()],
        default=Value(0),
        output_field=IntegerField(),
    )


def search_document():
    """The text `q` searches: name, summary, service, instance and the labels' JSON, space-separated.

    On PostgreSQL a trigram GIN index on `UPPER(<this>)` (migration 0002) serves `icontains`.
    """
    parts = ["name", "summary", "service", "instance", Cast("labels", TextField())]
    spaced = [item for part in parts for item in (part, Value(" "))][:-1]
    return Concat(*spaced, output_field=TextField())
