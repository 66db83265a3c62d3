"""Liveness and readiness probes for load balancers and orchestrators."""
from celery import current_app as app
from django.db import connection
from django.http import JsonResponse


def healthz(request):
    """The process is up; no dependencies checked."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "not ready"
        return type(exc).__name__
    return None


def _check_broker() -> str | None:
    if app.conf.task_always_eager:
        return None
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return type(exc).__name__
    return None


def _parked_messages() -> int | None:
    from .models import ParkedMessage

    try:
        return ParkedMessage.objects.count()
    except Exception:
        return None


def readyz(request):
    """The database and the broker answer; 503 names what does not. Also reports how many event
    messages wait for the broker (parked while it was down), so a monitor can alert on a backlog."""
    failures = {name: err for name, err in (("database", _check_database()), ("broker", _check_broker())) if err}
    status = 503 if failures else 200
    body = {"status": "ready" if not failures else "unavailable", "failures": failures}
    if "database" not in failures:
        body["parked_event_messages"] = _parked_messages()
    return JsonResponse(body, status=status)
