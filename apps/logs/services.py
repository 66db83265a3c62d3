"""The write paths of log context: sources (create, update, default, test) and alert log contexts.

Fetching never blocks the alert path: it runs in the `alert.received` subscriber (or on demand),
each request bounded by a timeout, at most `LOGS_MAX_CONCURRENCY` queries per source at once, and
alerts that render the same query over the same time bucket share one fetch (in a batch, and
across batches through the cache), so a storm on one service costs one query, not hundreds.
Failures are recorded on the context ("error"/"unavailable" with the reason), never raised.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import conf, querying, summarising
from .choices import ContextStatus
from .mining.events import fold_events
from .mining.patterns import LEVEL_RANK, mine
from .models import AlertLogContext, LogQuery, LogSource
from .providers import ProviderError, provider_for
from .summary import block_text

logger = logging.getLogger(__name__)
CACHE_SECONDS = 600
_semaphores: dict[int, threading.BoundedSemaphore] = {}
_semaphores_lock = threading.Lock()


# --- sources ----------------------------------------------------------------------------------

def source_create(*, organization, created_by=None, **fields) -> LogSource:
    """Create a log source; `is_default` moves the default of its team (or organisation) to it."""
    with transaction.atomic():
        source = LogSource(organization=organization, created_by=created_by, **fields)
        if source.is_default:
            _clear_default(source)
        source.full_clean(exclude=["config"])
        source.save()
    return source


def source_update(*, source: LogSource, **fields) -> LogSource:
    with transaction.atomic():
        for name, value in fields.items():
            if name == "config" and not value:
                continue  # write-only: empty keeps the stored config
            setattr(source, name, value)
        if source.is_default:
            _clear_default(source)
        source.full_clean(exclude=["config"])
        source.save()
    return source


def query_save(*, query: LogQuery, organization, created_by=None) -> LogQuery:
    """Create or update a saved query template; its source must belong to the same organisation."""
    if query.source.organization_id != organization.pk:
        raise ValueError("source of another organisation")
    query.organization = organization
    if query.pk is None:
        query.created_by = created_by
    query.full_clean()
    query.save()
    return query


def _clear_default(source: LogSource) -> None:
    LogSource.objects.filter(organization_id=source.organization_id, team_id=source.team_id, is_default=True).exclude(
        pk=source.pk).update(is_default=False)


def source_test(*, source: LogSource) -> tuple[bool, str]:
    """Ask the source something cheap; record and return (ok, message)."""
    try:
        ok, message = True, provider_for(source.kind).test(source)
    except ProviderError as exc:
        ok, message = False, str(exc)
    except Exception as exc:  # a malformed answer is a failed test, not a 500
        ok, message = False, f"unexpected answer: {type(exc).__name__}"
    LogSource.objects.filter(pk=source.pk).update(last_tested_at=timezone.now(), last_test_ok=ok,
                                                 last_test_message=message[:500])
    source.last_test_ok, source.last_test_message = ok, message[:500]
    return ok, message


def source_for_alert(alert) -> LogSource | None:
    """The alert's team default, else the organisation's default."""
    rows = LogSource.objects.filter(organization_id=alert.organization_id, enabled=True, is_default=True).filter(
        Q(team__isnull=True) | Q(team_id=alert.team_id))
    return min(rows, key=lambda s: s.team_id is None, default=None)


def query_for(source: LogSource, alert) -> LogQuery | None:
    rows = LogQuery.objects.filter(source=source, enabled=True).filter(
        Q(alert_name="") | Q(alert_name=alert.name)).filter(Q(team__isnull=True) | Q(team_id=alert.team_id))
    return min(rows, key=lambda q: (q.alert_name == "", q.team_id is None, q.pk), default=None)


# --- fetching ---------------------------------------------------------------------------------

@dataclass
class _Job:
    source: LogSource
    query: LogQuery | None
    rendered: querying.Rendered


def _semaphore(source_id: int) -> threading.BoundedSemaphore:
    with _semaphores_lock:
        if source_id not in _semaphores:
            _semaphores[source_id] = threading.BoundedSemaphore(conf.max_concurrency())
        return _semaphores[source_id]


def fetch_entries(source: LogSource, rendered: querying.Rendered, start=None, end=None, limit=None):
    provider = provider_for(source.kind)
    what = rendered.spec if source.kind == "elasticsearch" else rendered.text
    with _semaphore(source.pk):
        return provider.fetch(source, what, start or rendered.start, end or rendered.end, limit or conf.fetch_limit())


def _baseline(source: LogSource, rendered: querying.Rendered):
    """The same query over the hour before the window, folded; None when it fails (it is a bonus)."""
    try:
        fetched = fetch_entries(source, rendered, rendered.start - timedelta(hours=1), rendered.start)
    except ProviderError:
        return None
    except Exception:  # a malformed answer leaves the patterns unmarked, never fails the context
        logger.warning("logs: baseline fetch failed on source %s", source.pk, exc_info=True)
        return None
    return fold_events(fetched.entries)


def _run(job: _Job) -> dict:
    """Fetch, mine and summarise one (source, query, bucket); no database access (runs in threads)."""
    started = time.monotonic()
    source, rendered = job.source, job.rendered
    provider = provider_for(source.kind)
    result = {"query_used": rendered.text, "window_start": rendered.start, "window_end": rendered.end,
              "explore_url": "", "reason": "", "entries": 0, "level_counts": {}, "patterns": [], "key_lines": []}
    try:
        result["explore_url"] = provider.explore_url(source, rendered.text, rendered.start, rendered.end)[:4000]
        if conf.baseline_enabled():
            # The previous hour is fetched beside the current window, not after it: the wait is the
            # slower of the two, not their sum. Both go through the source's semaphore, so the
            # concurrency per source stays bounded by LOGS_MAX_CONCURRENCY.
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="logs-baseline") as pool:
                later = pool.submit(_baseline, source, rendered)
                try:
                    current = fetch_entries(source, rendered)
                finally:
                    baseline = later.result()
            if not current.entries:
                baseline = None
        else:
            current, baseline = fetch_entries(source, rendered), None
    except ProviderError as exc:
        status = ContextStatus.UNAVAILABLE if exc.unavailable else ContextStatus.ERROR
        return {**result, "status": status, "reason": str(exc)[:500], "summary": "", "summary_by": "",
                "duration_ms": round((time.monotonic() - started) * 1000)}
    events = fold_events(current.entries)
    window = (rendered.end - rendered.start).total_seconds()
    patterns, levels = mine(events, baseline=baseline, window_seconds=window)
    errors = [e for e in events if LEVEL_RANK.get(e.level, 9) <= 2]
    key_lines = [{"at": e.timestamp.isoformat() if e.timestamp else "", "level": e.level, "line": e.line[:500]}
                 for e in errors[-10:]]
    outcome = {**result, "status": ContextStatus.OK if events else ContextStatus.EMPTY, "entries": len(events),
               "level_counts": levels, "patterns": [p.as_dict() for p in patterns[:50]], "key_lines": key_lines}
    summary = summarising.builtin(outcome)
    return {**outcome, "summary": summary, "summary_by": summarising.BUILTIN if summary else "",
            "duration_ms": round((time.monotonic() - started) * 1000)}


def contexts_fetch(*, alerts, force: bool = False) -> list[AlertLogContext]:
    """Fetch and store the log context of each alert that has a default source (failures recorded)."""
    jobs: dict[str, _Job] = {}
    wanted: list[tuple] = []
    existing = set(
        AlertLogContext.objects.filter(alert__in=[a.pk for a in alerts]).values_list("alert_id", "source_id"))
    for alert in alerts:
        source = source_for_alert(alert)
        if source is None or (not force and (alert.pk, source.pk) in existing):
            continue
        query = query_for(source, alert)
        rendered = querying.render(source, alert, query)
        jobs.setdefault(rendered.dedupe_key, _Job(source, query, rendered))
        wanted.append((alert, jobs[rendered.dedupe_key]))
    if not wanted:
        return []
    results: dict[str, dict] = {}
    pending = []
    for key in jobs:
        cached = None if force else cache.get(f"logs:ctx:{key}")
        if cached is not None:
            results[key] = cached
        else:
            pending.append(key)
    if pending:
        with ThreadPoolExecutor(max_workers=min(len(pending), 8)) as pool:
            for key, outcome in zip(pending, pool.map(lambda k: _run(jobs[k]), pending), strict=True):
                results[key] = outcome
                if outcome["status"] in (ContextStatus.OK, ContextStatus.EMPTY):
                    cache.set(f"logs:ctx:{key}", outcome, CACHE_SECONDS)
    stored = []
    now = timezone.now()
    for alert, job in wanted:
        outcome = results[job.rendered.dedupe_key]
        with transaction.atomic():
            row, _created = AlertLogContext.objects.update_or_create(
                alert=alert, source=job.source,
                defaults={**outcome, "organization_id": alert.organization_id, "query": job.query,
                          "dedupe_key": job.rendered.dedupe_key, "queried_at": now},
            )
        stored.append(row)
    _summarise_later(stored)
    return stored


# --- LLM summary --------------------------------------------------------------------------------

def _llm_provider(organization_id: int):
    """The organisation's analysis provider, None for the built-in (offline) analyser."""
    from django.apps import apps

    if not apps.is_installed("apps.analysis"):
        return None
    from apps.analysis import services as analysis
    from apps.analysis.models import AnalysisPolicy

    # Read the policy without creating it (analysis.policy_get would, and this runs on GETs too).
    policy = AnalysisPolicy.objects.filter(organization_id=organization_id).select_related("provider").first()
    if policy is None or policy.provider is None:
        return None
    return analysis.provider_for(organization_id=organization_id, provider=policy.provider)


def _summarise_later(rows: list[AlertLogContext]) -> None:
    """Queue the LLM summary of the big contexts whose organisation has an LLM (after the commit)."""
    wanted = [r for r in rows if r.status == ContextStatus.OK and r.entries > summarising.LLM_MIN_ENTRIES
              and r.summary_by == summarising.BUILTIN]
    orgs = {r.organization_id for r in wanted}
    with_llm = {org for org in orgs if _llm_provider(org) is not None}
    ids = [r.pk for r in wanted if r.organization_id in with_llm]
    if ids:
        from . import tasks

        transaction.on_commit(lambda: tasks.summarise_contexts.apply_async(args=[ids], queue="analysis"))


def contexts_summarise(*, context_ids: list[int]) -> int:
    """Replace the built-in summary of these contexts by their organisation's LLM's.

    Contexts of one fetch (same organisation and dedupe key: a storm) share one call, and the
    answer is cached for the next batch of that storm. A context already summarised by an LLM is
    left alone (a redelivered task changes nothing); a failing provider keeps the built-in text.
    """
    rows = list(AlertLogContext.objects.filter(
        pk__in=context_ids, status=ContextStatus.OK, entries__gt=summarising.LLM_MIN_ENTRIES,
        summary_by=summarising.BUILTIN).select_related("source").order_by("pk"))
    groups: dict[tuple, list[AlertLogContext]] = {}
    for row in rows:
        groups.setdefault((row.organization_id, row.dedupe_key or f"context-{row.pk}"), []).append(row)
    updated = 0
    for (org_id, key), members in groups.items():
        provider = _llm_provider(org_id)
        if provider is None:
            continue
        cache_key = f"logs:summary:{org_id}:{provider.pk}:{key}"
        answer = cache.get(cache_key)
        if answer is None:
            answer = _llm_summary(members[0], provider)
            if answer is None:
                continue
            cache.set(cache_key, answer, CACHE_SECONDS)
        text, by = answer
        updated += AlertLogContext.objects.filter(pk__in=[m.pk for m in members],
                                                  summary_by=summarising.BUILTIN).update(summary=text, summary_by=by)
    return updated


def _llm_summary(row: AlertLogContext, provider) -> tuple[str, str] | None:
    """(summary, who wrote it) from the provider, through the analysis app's limits and call ledger."""
    from apps.analysis import providers as llm
    from apps.analysis.choices import CallPurpose
    from apps.analysis.context import estimate_tokens
    from apps.analysis.limits import LimitExceeded, call_finish, call_reserve

    prompt = "Log block:\n\n" + block_text(row, with_summary=False)
    max_tokens = min(300, provider.max_output_tokens or 300)
    try:
        with transaction.atomic():
            call = call_reserve(provider=provider, purpose=CallPurpose.LOG_SUMMARY,
                                estimated_tokens=estimate_tokens(summarising.SYSTEM_PROMPT + prompt) + max_tokens)
    except LimitExceeded as exc:
        logger.info("logs: LLM summary of context %s not sent: %s", row.pk, exc)
        return None
    try:
        completion = llm.complete(provider, system=summarising.SYSTEM_PROMPT,
                                  messages=[{"role": "user", "content": prompt}], max_tokens=max_tokens,
                                  json_output=False)
    except llm.ProviderError as exc:
        call_finish(call=call, error=exc)
        logger.warning("logs: LLM summary of context %s failed: %s", row.pk, exc)
        return None
    call_finish(call=call, completion=completion)
    text = summarising.clean(completion.text)
    return (text, f"{provider.name} ({completion.model})"[:300]) if text else None


def context_for_alert(alert, *, fetch: bool = True) -> AlertLogContext | None:
    """The stored context of the alert from its default source, fetched now if missing (cached per alert)."""
    row = AlertLogContext.objects.filter(alert=alert).select_related("source").order_by("-queried_at").first()
    if row is None and fetch:
        made = contexts_fetch(alerts=[alert])
        row = made[0] if made else None
    return row


ADHOC_MAX_MINUTES = 24 * 60
ADHOC_MAX_LIMIT = 1000


def adhoc_query(*, source: LogSource, text: str, minutes: int = 15, limit: int = 200) -> dict:
    """Run a person's query (bounded window and lines) and mine it; failures come back as data."""
    minutes = max(1, min(int(minutes), ADHOC_MAX_MINUTES))
    limit = max(1, min(int(limit), ADHOC_MAX_LIMIT))
    end = timezone.now()
    start = end - timedelta(minutes=minutes)
    spec = {"terms": {}, "words": [], "lucene": text}
    rendered = querying.Rendered(text=text, spec=spec, start=start, end=end, dedupe_key="")
    try:
        fetched = fetch_entries(source, rendered, limit=limit)
    except ProviderError as exc:
        return {"status": ContextStatus.UNAVAILABLE if exc.unavailable else ContextStatus.ERROR, "reason": str(exc),
                "entries": [], "patterns": [], "start": start, "end": end}
    events = fold_events(fetched.entries)
    patterns, levels = mine(events)
    return {"status": ContextStatus.OK if events else ContextStatus.EMPTY, "reason": "", "start": start, "end": end,
            "entries": [{"at": e.timestamp.isoformat() if e.timestamp else "", "line": e.text[:2000]} for e in events],
            "patterns": [p.as_dict() for p in patterns[:50]], "level_counts": levels,
            "explore_url": provider_for(source.kind).explore_url(source, text, start, end)}


def context_lines(*, context: AlertLogContext) -> list[str]:
    """The raw lines behind a stored context, fetched again (for "Download logs")."""
    if context.source is None:
        raise ProviderError("the log source was deleted")
    rendered = querying.render(context.source, context.alert, context.query)
    rendered.start, rendered.end = context.window_start, context.window_end
    fetched = fetch_entries(context.source, rendered)
    return [f"{ts.isoformat() if ts else ''} {line}" for ts, line, _labels in fetched.entries]
