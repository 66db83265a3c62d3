"""The compact change summary that change.* events carry, so consumers need not import our models."""

from aiops.links import absolute_reverse


def change_url(change) -> str:
    return absolute_reverse("changes:detail", kwargs={"pk": change.pk})


def change_title(change) -> str:
    """ "payment-service deployment v2.3.1 (was v2.3.0)" — what the banner and timeline say."""
    what = " ".join(v for v in (change.service, change.get_event_type_display().lower(), change.version) if v)
    if change.previous_version:
        what += f" (was {change.previous_version})"
    return what or change.description[:120]


def change_summary(change) -> dict:
    """JSON-safe facts about a change: the plan's field names plus ids and the portal URL."""
    return {
        "change_id": change.pk,
        "title": change_title(change),
        "event_type": change.event_type,
        "source": change.source,
        "service": change.service,
        "environment": change.environment,
        "version": change.version,
        "previous_version": change.previous_version,
        "description": change.description[:500],
        "author": change.author,
        "user": change.author,
        "commit_sha": change.commit_sha,
        "status": change.status,
        "timestamp": change.started_at.isoformat(),
        "finished_at": change.finished_at.isoformat() if change.finished_at else None,
        "correlation_score": change.correlation_score,
        "external_url": change.url,
        "url": change_url(change),
    }


def human_delta(seconds: float | None) -> str:
    """ "45 s", "15 min", "1 h 20 min", "2 d 3 h": the two largest units, for banners and prompts."""
    if seconds is None:
        return "?"
    seconds = abs(int(round(seconds)))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"
