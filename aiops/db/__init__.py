"""Database backends: Django's own, plus a pre-commit hook the event outbox writes its rows in.

Django has on-commit hooks but none that runs *before* the commit. The outbox needs one: a
transaction that publishes 30 events (a storm's correlation links) should write them in one
statement at the end, yet inside the transaction, so the events commit or vanish with the change.
`PreCommitMixin._commit` runs `aiops.events.before_commit` just before the real COMMIT.
Settings map `django.db.backends.postgresql` and `...sqlite3` (what DATABASE_URL gives) to these.
"""


class PreCommitMixin:
    def _commit(self):
        from aiops import events

        events.before_commit(self)
        return super()._commit()


ENGINES = {
    "django.db.backends.postgresql": "aiops.db.postgresql",
    "django.db.backends.sqlite3": "aiops.db.sqlite3",
}
