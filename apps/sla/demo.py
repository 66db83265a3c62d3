"""Demo data for `make run`: the brief's three SLAs, defined before the alert storm is seeded so
its alerts get live clocks. Idempotent (by name)."""
from aiops import demo

DEMO_SLAS = [
    {"name": "Critical", "description": "All critical alerts.", "target_mtta_minutes": 5, "target_mttr_minutes": 30,
     "target_availability": 99.9, "applies_to_severity": ["critical"]},
    {"name": "Standard", "description": "Warning alerts.", "target_mtta_minutes": 30, "target_mttr_minutes": 240,
     "applies_to_severity": ["warning"]},
    {"name": "Payment System", "description": "Payment-* alerts.", "target_mtta_minutes": 2,
     "target_mttr_minutes": 15, "target_success_rate": 90, "applies_to_services": ["payment", "payment-*"]},
]


def seed(organization, users) -> None:
    from .models import SLADefinition

    for spec in DEMO_SLAS:
        SLADefinition.objects.get_or_create(organization=organization, name=spec["name"],
                                            defaults={**spec, "breach_notify_channels": ["email"]})


def register() -> None:
    demo.register_seeder("sla", seed, order=45)  # before the alert storm (50)
