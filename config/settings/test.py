"""Test settings: the base settings with eager Celery and a fast password hasher.

Tests that exercise the real asynchronous path start their own worker (tests/support/worker.py)
against CELERY_BROKER_URL, so eager mode here only covers unit tests.
"""
import os
import tempfile
from pathlib import Path

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop in browser tests

from .base import *  # noqa: E402,F401,F403
from .base import CELERY_BROKER_TRANSPORT_OPTIONS, CELERY_BROKER_URL, DATABASES, env

# Unit tests run tasks inline; the worker process started by tests/support/worker.py sets this
# to false in its environment and shares the test database and a test-only broker folder.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Per test run too; the worker process started by the tests is told the folder.
    _test_broker = Path(env.str("AIOPS_TEST_BROKER_DIR",
                                default=os.path.join(tempfile.gettempdir(), f"aiops-broker-{os.getpid()}")))
    for _sub in ("queue", "processed", "control"):
        (_test_broker / _sub).mkdir(parents=True, exist_ok=True)
    # The same options as `make run` (polling interval included), only the folders differ.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,
        "data_folder_in": str(_test_broker / "queue"),
        "data_folder_out": str(_test_broker / "queue"),
        "processed_folder": str(_test_broker / "processed"),
        "control_folder": str(_test_broker / "control"),
    }
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory: tests that start a real Celery worker process share the database with it.
    # One file per test run, so parallel runs on one checkout never share it.
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(tempfile.gettempdir(), f"aiops-test-{os.getpid()}.sqlite3")}
