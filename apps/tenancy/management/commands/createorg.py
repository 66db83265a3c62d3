"""Create an organisation and (optionally) its owner: `manage.py createorg "Acme" --owner alice`."""
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError
from django.utils.text import slugify

from apps.tenancy import services
from apps.tenancy.models import Organization


class Command(BaseCommand):
    help = "Create an organisation, optionally with an owner (created if missing) and teams."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--slug")
        parser.add_argument("--owner", help="username of the owner; created if it does not exist")
        parser.add_argument("--owner-password", help="password for a newly created owner")
        parser.add_argument("--team", action="append", default=[], help="team name (repeatable)")

    def handle(self, *args, name, slug, owner, owner_password, team, **options):
        slug = slug or slugify(name)
        if Organization.objects.filter(slug=slug).exists():
            raise CommandError(f"an organisation with slug {slug!r} already exists")
        owner_user = None
        if owner:
            owner_user, created = services.user_get_or_create(username=owner, password=owner_password)
            if created and not owner_password:
                self.stdout.write(self.style.WARNING(f"user {owner} created without a password; set one with changepassword"))
        try:
            org = services.organization_create(name=name, slug=slug, owner=owner_user)
        except IntegrityError as exc:
            raise CommandError(str(exc)) from exc
        for team_name in team:
            services.team_create(organization=org, name=team_name)
        self.stdout.write(self.style.SUCCESS(f"created organisation {org.name} ({org.slug}), id {org.pk}"))
