"""Project wiring: settings, URLs, Celery app. No business logic lives here."""
from .celery import app as celery_app

__all__ = ("celery_app",)
