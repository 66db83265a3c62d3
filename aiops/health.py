"""Liveness and readiness probes, and the admins' "work is piling up" banner.

`/readyz` answers 503 when the product accepts work it will not do: the database or the broker
is down, no worker (or no beat, which runs the timers and the outbox sweeper) has been seen for
AIOPS_WORKER_STALE_SECONDS, or some subscriber has left an event unprocessed for longer than
AIOPS_EVENT_BACKLOG_MAX_SECONDS. The body says which, with the figures, so a monitor can page on it.
"""
from celery import current_app as app
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils.translation import gettext as _

from . import heartbeat, outbox
from .conf import setting


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


def backlog_max_seconds() -> int:
    return setting("AIOPS_EVENT_BACKLOG_MAX_SECONDS", 300)


def work_status(*, per_subscriber: bool = True) -> tuple[dict, dict]:
    """(figures, failures) about the background work: heartbeats and the event backlog."""
    seen = heartbeat.last_seen()
    backlog = outbox.backlog()
    figures = {
        "worker_seen_seconds_ago": seen["worker"],
        "beat_seen_seconds_ago": seen["beat"],
        "open_events": backlog.open_events,
        "oldest_unprocessed_event_seconds": backlog.oldest_unprocessed_seconds,
        "events_given_up": backlog.given_up,
    }
    if per_subscriber:
        figures["unprocessed_by_subscriber"] = backlog.by_subscriber
    failures = {}
    if not app.conf.task_always_eager:  # eager (unit tests): the caller is the worker
        stale = heartbeat.stale_seconds()
        for kind in ("worker", "beat"):
            if seen[kind] is None:
                failures[kind] = _("no %(kind)s seen") % {"kind": kind}
            elif seen[kind] > stale:
                failures[kind] = _("%(kind)s last seen %(seconds)d s ago") % {"kind": kind, "seconds": seen[kind]}
    oldest = backlog.oldest_unprocessed_seconds
    if oldest is not None and oldest > backlog_max_seconds():
        failures["events"] = _("oldest unprocessed event is %(seconds)d s old") % {"seconds": oldest}
    return figures, failures


def readyz(request):
    """200 when the product can do the work it accepts; 503 names what stops it (see above)."""
    failures = {name: err for name, err in (("database", _check_database()), ("broker", _check_broker())) if err}
    body = {}
    if "database" not in failures:
        figures, work_failures = work_status()
        body.update(figures)
        failures.update(work_failures)
    response = JsonResponse({"status": "ready" if not failures else "unavailable", "failures": failures, **body},
                            status=503 if failures else 200)
    # A probe polled every few seconds would log an ERROR per poll during an outage; the body says it.
    response._has_been_logged = True
    return response


BANNER_CACHE_SECONDS = 15


def banner(request):
    """Context processor: for superusers and organisation admins, one line when background work
    is stopped or piling up (cached per process for a few seconds, so pages stay one query lighter)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not (user.is_superuser or _is_org_admin(request)):
        return {}
    failures = cache.get("aiops:work-failures")
    if failures is None:
        try:
            _figures, failures = work_status(per_subscriber=False)
        except Exception:  # the banner must never break a page
            failures = {}
        cache.set("aiops:work-failures", failures, BANNER_CACHE_SECONDS)
    if not failures:
        return {}
    return {"work_warning": _("Background work is not keeping up: %(why)s. Alerts are accepted but may not be "
                              "correlated or notified until this clears; see /readyz.")
            % {"why": "; ".join(failures.values())}}


def _is_org_admin(request) -> bool:
    from .access import access_for, active_organization
    from .roles import Role

    org = active_organization(request)
    return org is not None and access_for(request.user).has_role(org.pk, Role.ADMIN)
