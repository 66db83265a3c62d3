"""SQLite with the outbox's pre-commit hook (see aiops/db/__init__.py)."""
from django.db.backends.sqlite3 import base

from .. import PreCommitMixin


class DatabaseWrapper(PreCommitMixin, base.DatabaseWrapper):
    pass
