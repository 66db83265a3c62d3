"""The per-organisation correlation lock: the CorrelationConfig row, locked FOR UPDATE.

Every change to which alerts an incident holds takes it, inside the transaction that makes the
change. A storm delivered to several workers at once is therefore decided one alert at a time per
organisation, so two workers can never both conclude "no incident yet" and open two. On SQLite
the same serialisation comes from its single writer (transactions start IMMEDIATE).
"""

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery

from .models import CorrelationConfig


def config_for(organization_id: int) -> CorrelationConfig:
    """The organisation's settings, created with defaults on first use (no lock)."""
    config = CorrelationConfig.objects.filter(organization_id=organization_id).first()
    if config is None:
        try:
            with transaction.atomic():
                config = CorrelationConfig.objects.create(organization_id=organization_id)
        except IntegrityError:  # another worker created it first
            config = CorrelationConfig.objects.get(organization_id=organization_id)
    return config


def lock_organization(organization_id: int, *, with_next_number: bool = False) -> CorrelationConfig:
    """Take the lock (must run inside `transaction.atomic`) and return the fresh settings.

    `with_next_number` also reads the organisation's highest incident number in the same query
    (as `latest_incident_number`, None when it has none): read under the lock, it stays current
    for the whole transaction, and the correlation engine saves a round trip per webhook.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_organization() must be called inside transaction.atomic()")
    rows = CorrelationConfig.objects.select_for_update(of=("self",))
    if with_next_number:
        from .models import Incident

        latest = Incident.objects.filter(organization_id=OuterRef("organization_id")).order_by("-number")
        rows = rows.annotate(latest_incident_number=Subquery(latest.values("number")[:1]))
    try:
        return rows.get(organization_id=organization_id)
    except CorrelationConfig.DoesNotExist:
        config_for(organization_id)
        return rows.get(organization_id=organization_id)
