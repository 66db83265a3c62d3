"""Test settings: the base settings with eager Celery and a fast password hasher.

Tests that exercise the real asynchronous path start their own worker (tests/support/worker.py)
against CELERY_BROKER_URL, so eager mode here only covers unit tests.
"""
import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop in browser tests

from .base import *  # noqa: E402,F401,F403
from .base import DATABASES, VAR_DIR

CELERY_TASK_ALWAYS_EAGER = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: tests that start a real Celery worker process share the database with it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
