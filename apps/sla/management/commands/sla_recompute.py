"""`manage.py sla_recompute [--org SLUG]`: rebuild every open SLA clock and its timers from the
items' stored events (after an outage, a restore, or an edit of a calendar)."""
from django.core.management.base import BaseCommand, CommandError

from apps.sla.clocks import clocks_recompute
from apps.tenancy.models import Organization


class Command(BaseCommand):
    help = "Recompute open SLA clocks and their timers from the items' events."

    def add_arguments(self, parser):
        parser.add_argument("--org", help="organisation slug (default: all)")

    def handle(self, *args, org=None, **options):
        org_id = None
        if org:
            found = Organization.objects.filter(slug=org).first()
            if found is None:
                raise CommandError(f"no organisation {org!r}")
            org_id = found.pk
        count = clocks_recompute(organization_id=org_id)
        self.stdout.write(f"{count} clocks recomputed")
