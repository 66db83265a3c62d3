"""Create the demo organisations, teams and logins, then let every app add its demo data.

Idempotent: running it again updates nothing it already created.
"""
from django.core.management.base import BaseCommand

from aiops.demo import seeders
from aiops.roles import Role
from apps.tenancy import services
from apps.tenancy.models import Organization, Team

DEMO_PASSWORD = "demo-password"  # printed by `make run`; change it for anything but a laptop demo

USERS = [
    # username, role in Acme, Acme teams
    ("admin", Role.OWNER, []),
    ("oncall", Role.OPERATOR, ["platform", "payments"]),
    ("viewer", Role.VIEWER, ["api"]),
]


class Command(BaseCommand):
    help = "Seed a demo organisation (Acme Corp) and a second one (Globex) to show isolation."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD)

    def handle(self, *args, password, **options):
        acme = Organization.objects.filter(slug="acme").first() or services.organization_create(name="Acme Corp", slug="acme")
        globex = Organization.objects.filter(slug="globex").first() or services.organization_create(name="Globex", slug="globex")
        teams = {}
        for name in ("Platform", "Payments", "API"):
            slug = name.lower()
            teams[slug] = Team.objects.filter(organization=acme, slug=slug).first() or services.team_create(
                organization=acme, name=name, slug=slug
            )
        users = {}
        for username, role, team_slugs in USERS:
            user, _ = services.user_get_or_create(username=username, email=f"{username}@example.com", password=password)
            services.membership_set(organization=acme, user=user, role=role, teams=[teams[s] for s in team_slugs])
            users[username] = user
        services.membership_set(organization=globex, user=users["admin"], role=Role.OWNER)
        for name, seeder in seeders():
            seeder(acme, users)
            self.stdout.write(f"seeded {name}")
        self.stdout.write(self.style.SUCCESS(
            f"demo ready: log in as admin / {password} (owner), oncall / {password} (operator), "
            f"viewer / {password} (viewer)"
        ))
