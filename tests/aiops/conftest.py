"""Fixtures of the kernel tests: private subscriptions, a broker that refuses everything."""
import pytest

from aiops import events


@pytest.fixture
def own_subscribers():
    """Tests subscribe their own tasks; the apps' real subscriptions are put back afterwards."""
    saved = {name: list(subs) for name, subs in events._subscribers.items()}
    events._subscribers.clear()
    yield
    events._subscribers.clear()
    events._subscribers.update(saved)


@pytest.fixture
def dead_broker(monkeypatch):
    """Celery pointed at a port nothing listens on, not eager; put back afterwards.

    The previous settings are read before touching the environment: Celery prefers
    CELERY_BROKER_URL over its configuration, and a broken URL left behind would break every
    later test that publishes through the broker.
    """
    from config.celery import app

    previous = (app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_transport)  # before the env override

    def fresh_pool():  # the app caches its producer pool for whichever broker it first met
        app._pool = None
        app.amqp._producer_pool = None

    def kill():
        monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
        app.conf.task_always_eager = False
        app.conf.broker_url = "redis://127.0.0.1:1/0"
        app.conf.broker_transport = None  # the embedded default names its own transport
        fresh_pool()

    def revive():
        monkeypatch.undo()
        app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_transport = previous
        fresh_pool()

    yield kill, revive
    revive()


