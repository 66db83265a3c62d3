"""Write paths for metric sources: create, update, and the Test connection check."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .client import MetricQueryError, PrometheusClient
from .models import MetricSource


@transaction.atomic
def source_create(*, organization, name: str, url: str, created_by=None, **fields) -> MetricSource:
    """Create a metric source (credentials are encrypted by the model fields)."""
    source = MetricSource(organization=organization, name=name, url=url, created_by=created_by, **fields)
    source.full_clean(exclude=["organization", "created_by"])
    source.save()
    return source


def source_test_connection(*, source: MetricSource) -> tuple[bool, str]:
    """Run `vector(1)` (and read the build info) against the source; record and return the outcome."""
    client = PrometheusClient(source, timeout=min(source.timeout_seconds, 10.0))
    try:
        [series] = client.query("vector(1)")
        if series.values[0] != 1.0:
            raise MetricQueryError(_("%(name)s answered vector(1) with %(value)s") % {
                "name": source.name, "value": series.values[0]})
        try:
            version = client.build_info().get("version", "")
        except MetricQueryError:
            version = ""  # some API-compatible stores do not serve build info; queries are what matters
        ok, message = True, (_("Connected; version %(version)s") % {"version": version} if version
                             else _("Connected"))
    except (MetricQueryError, ValueError) as exc:
        ok, message = False, str(exc)
    MetricSource.objects.filter(pk=source.pk).update(
        last_checked_at=timezone.now(), last_check_ok=ok, last_check_message=message[:2000])
    source.refresh_from_db(fields=["last_checked_at", "last_check_ok", "last_check_message"])
    return ok, message
