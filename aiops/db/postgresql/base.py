"""PostgreSQL (psycopg 3) with the outbox's pre-commit hook (see aiops/db/__init__.py)."""
from django.db.backends.postgresql import base

from .. import PreCommitMixin


class DatabaseWrapper(PreCommitMixin, base.DatabaseWrapper):
    pass
