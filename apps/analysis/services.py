"""Write paths of the analysis app: request an analysis, run it, test a provider, manage the policy.

An analysis is requested (a PENDING row, version n+1 of its subject) in the caller's transaction
and run by a Celery task on the `analysis` queue after commit, so nothing here ever slows the alert
path. Running it assembles the context, asks the provider (or the offline analyser), validates the
answer against the schema — retrying an LLM once with the validation error — and stores either the
sections or a failed row with the reason and the raw text. A failed LLM analysis is followed by an
offline one when the policy says so. Each finished analysis publishes `analysis.completed`.
"""

from __future__ import annotations

import logging
import time

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from aiops import events
from aiops.links import absolute_reverse

from . import context as context_mod
from . import incident_support, offline, providers, runbook_hooks
from .choices import AnalysisStatus, CallPurpose, ProviderKind, SubjectType, Trigger
from .limits import LimitExceeded, call_finish, call_reserve
from .models import Analysis, AnalysisPolicy, LLMProvider
from .providers.base import ProviderError
from .schema import InvalidOutput, parse_output
from .subjects import Subject

logger = logging.getLogger(__name__)

REPAIR_PROMPT = (
    "Your previous answer could not be used: {error} Reply again with only the corrected JSON object "
    "that matches the schema."
)


def policy_get(*, organization_id: int) -> AnalysisPolicy:
    """The organisation's policy, created with the defaults on first use."""
    policy, _created = AnalysisPolicy.objects.get_or_create(organization_id=organization_id)
    return policy


def provider_for(*, organization_id: int, provider: LLMProvider | None = None) -> LLMProvider | None:
    """The provider to use: the one asked for, else the policy's; None means the offline analyser."""
    chosen = provider or policy_get(organization_id=organization_id).provider
    if chosen is None or not chosen.enabled or chosen.kind == ProviderKind.BUILTIN:
        return None
    return chosen


def _next_version(subject: Subject) -> int:
    current = Analysis.objects.filter(**subject.analysis_filter()).aggregate(v=Max("version"))["v"]
    return (current or 0) + 1


def _subject_fields(subject: Subject) -> dict:
    return {
        "organization_id": subject.organization_id,
        "team_id": subject.team_id,
        "subject_type": subject.kind,
        "alert": subject.obj if subject.is_alert else None,
        "incident_id": None if subject.is_alert else subject.pk,
        "signature": subject.signature,
    }


def _reuse_fields(source: Analysis, trigger: str) -> dict:
    return {
        "status": AnalysisStatus.REUSED,
        "trigger": trigger,
        "reused_from": source,
        "provider_id": source.provider_id,
        "provider_kind": source.provider_kind,
        "model_name": source.model_name,
    }


def _create_row(subject: Subject, **fields) -> Analysis:
    """Insert the next version of the subject's analysis; a concurrent insert of the same version retries."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Analysis.objects.create(**_subject_fields(subject), version=_next_version(subject), **fields)
        except IntegrityError:
            continue
    raise RuntimeError(f"could not allocate an analysis version for {subject.kind} {subject.pk}")


def enqueue(analysis: Analysis, *, countdown: float | None = None) -> None:
    """Run the analysis on the `analysis` queue once the surrounding transaction commits."""
    from .tasks import run_analysis

    pk = analysis.pk
    options = {"queue": "analysis", **({"countdown": countdown} if countdown else {})}
    transaction.on_commit(lambda: run_analysis.apply_async(args=[pk], **options))


@transaction.atomic
def analysis_request(
    *,
    subject: Subject,
    trigger: str,
    requested_by=None,
    provider: LLMProvider | None = None,
    countdown: float | None = None,
) -> Analysis:
    """Queue a new analysis version of an alert or incident (manual, API or automatic)."""
    chosen = provider_for(organization_id=subject.organization_id, provider=provider)
    analysis = _create_row(
        subject,
        status=AnalysisStatus.PENDING,
        trigger=trigger,
        requested_by=requested_by,
        provider=chosen,
        provider_kind=chosen.kind if chosen else ProviderKind.BUILTIN,
        model_name=chosen.model if chosen else "",
    )
    enqueue(analysis, countdown=countdown)
    return analysis


@transaction.atomic
def analysis_reuse(*, subject: Subject, source: Analysis, trigger: str = Trigger.AUTO) -> Analysis:
    """Record that `subject` shares `source`'s analysis (same name and service, inside the window)."""
    return _create_row(subject, **_reuse_fields(source, trigger))


def analyses_reuse(*, pairs: list[tuple[Subject, Analysis]], trigger: str = Trigger.AUTO) -> list[Analysis]:
    """`analysis_reuse` for many alerts at once (a storm's twins): one insert.

    The rows are first versions, as the caller found no analysis of these alerts; if one got its
    own meanwhile (someone asked by hand), the insert is redone row by row with the next versions.
    """
    if not pairs:
        return []
    rows = [
        Analysis(**_subject_fields(subject), version=1, **_reuse_fields(source, trigger)) for subject, source in pairs
    ]
    try:
        with transaction.atomic():
            return Analysis.objects.bulk_create(rows)
    except IntegrityError:
        return [analysis_reuse(subject=subject, source=source, trigger=trigger) for subject, source in pairs]


def load_subject(analysis: Analysis) -> Subject | None:
    if analysis.subject_type == SubjectType.ALERT:
        return Subject.for_alert(analysis.alert) if analysis.alert_id else None
    incident = incident_support.get_incident(
        organization_id=analysis.organization_id, pk=analysis.incident_id
    )
    return Subject.for_incident(incident) if incident is not None else None


def _claim(analysis_id: int) -> Analysis | None:
    """Move a pending analysis to running; None if another worker has it or it is done (redelivery)."""
    with transaction.atomic():
        analysis = Analysis.objects.select_for_update().filter(pk=analysis_id).first()
        if analysis is None or analysis.status != AnalysisStatus.PENDING:
            return None
        analysis.status = AnalysisStatus.RUNNING
        analysis.started_at = timezone.now()
        analysis.save(update_fields=["status", "started_at", "updated_at"])
        return analysis


def analysis_execute(*, analysis_id: int) -> Analysis | None:
    """Run a pending analysis to completion (ok or failed) and publish `analysis.completed`."""
    analysis = _claim(analysis_id)
    if analysis is None:
        return None
    try:
        return _execute(analysis)
    except Exception as exc:  # whatever broke, the row must not stay "running" for ever
        logger.exception("analysis crashed", extra={"analysis": analysis.pk})
        return _finish_failed(analysis, f"Unexpected error: {type(exc).__name__}: {exc}")


def _execute(analysis: Analysis) -> Analysis:
    subject = load_subject(analysis)
    if subject is None:
        return _finish_failed(analysis, "The alert or incident no longer exists.")
    provider = analysis.provider if analysis.provider_kind != ProviderKind.BUILTIN else None
    budget = provider.context_budget_tokens if provider else None
    try:
        context = context_mod.assemble(subject, budget_tokens=budget)
    except Exception as exc:  # a template or provider-registry bug: visible on the row, never silent
        logger.exception("context assembly failed", extra={"analysis": analysis.pk})
        return _finish_failed(analysis, f"Context assembly failed: {type(exc).__name__}: {exc}")
    analysis.context_blocks = context.summary()
    if provider is None:
        return _run_offline(analysis, subject, context)
    done = _run_llm(analysis, subject, context, provider)
    if (
        done.status == AnalysisStatus.FAILED
        and policy_get(organization_id=analysis.organization_id).fallback_to_builtin
    ):
        fallback = _create_row(
            subject,
            status=AnalysisStatus.RUNNING,
            trigger=Trigger.FALLBACK,
            fallback_of=done,
            requested_by=analysis.requested_by,
            provider_kind=ProviderKind.BUILTIN,
            started_at=timezone.now(),
        )
        fallback.context_blocks = context.summary()
        return _run_offline(fallback, subject, context)
    return done


def _run_offline(analysis: Analysis, subject: Subject, context) -> Analysis:
    started = time.monotonic()
    try:
        result = offline.analyse(subject, context)
    except Exception as exc:
        logger.exception("offline analyser failed", extra={"analysis": analysis.pk})
        return _finish_failed(analysis, f"The offline analyser failed: {type(exc).__name__}: {exc}")
    system, user = context_mod.render_prompt(subject, context)
    analysis.prompt_hash = context_mod.prompt_hash(system, user)
    analysis.latency_ms = round((time.monotonic() - started) * 1000)
    analysis.model_name = "knowledge-base"
    return _finish_ok(analysis, subject, result, raw_text="")


def _run_llm(analysis: Analysis, subject: Subject, context, provider: LLMProvider) -> Analysis:
    system, user = context_mod.render_prompt(subject, context)
    analysis.prompt_hash = context_mod.prompt_hash(system, user)
    messages = [{"role": "user", "content": user}]
    raw_texts, error = [], None
    for purpose in (CallPurpose.ANALYSIS, CallPurpose.REPAIR):
        estimate = context_mod.estimate_tokens(system + "".join(m["content"] for m in messages))
        try:
            call = call_reserve(
                provider=provider,
                purpose=purpose,
                estimated_tokens=estimate + provider.max_output_tokens,
                analysis=analysis,
            )
        except LimitExceeded as exc:
            return _finish_failed(
                analysis, f"Not sent to {provider.name}: {exc}.", raw_text="\n\n".join(raw_texts)
            )
        try:
            completion = providers.complete(provider, system=system, messages=messages)
        except ProviderError as exc:
            call_finish(call=call, error=exc)
            analysis.attempts += exc.attempts
            return _finish_failed(analysis, f"{provider.name}: {exc}.", raw_text="\n\n".join(raw_texts))
        call_finish(call=call, completion=completion)
        analysis.attempts += completion.attempts
        analysis.prompt_tokens += completion.prompt_tokens
        analysis.completion_tokens += completion.completion_tokens
        analysis.latency_ms = (analysis.latency_ms or 0) + completion.latency_ms
        analysis.model_name = completion.model
        raw_texts.append(completion.text)
        try:
            result = parse_output(completion.text, known_refs=context.ids)
        except InvalidOutput as exc:
            error = str(exc) + (
                " (the answer was cut off at the output token limit)" if completion.truncated else ""
            )
            messages = messages + [
                {"role": "assistant", "content": completion.text or "(empty)"},
                {"role": "user", "content": REPAIR_PROMPT.format(error=error)},
            ]
            continue
        return _finish_ok(analysis, subject, result, raw_text="\n\n".join(raw_texts))
    return _finish_failed(
        analysis,
        f"{provider.name} returned invalid output twice; last problem: {error}",
        raw_text="\n\n----- retry -----\n\n".join(raw_texts),
    )


def _finish_ok(analysis: Analysis, subject: Subject, result: dict, *, raw_text: str) -> Analysis:
    analysis.root_cause = result["root_cause"]
    analysis.impact = result["impact"]
    analysis.remediation = result["remediation"]
    analysis.prevention = result["prevention"]
    analysis.confidence = result["confidence"]
    analysis.evidence = result["evidence"]
    analysis.suggested_runbook = runbook_hooks.suggest_runbook(subject=subject, analysis=result)
    analysis.raw_text = raw_text
    analysis.status = AnalysisStatus.OK
    analysis.failure_reason = ""
    return _save_and_publish(analysis)


def _finish_failed(analysis: Analysis, reason: str, *, raw_text: str = "") -> Analysis:
    analysis.status = AnalysisStatus.FAILED
    analysis.failure_reason = reason[:4000]
    analysis.raw_text = raw_text
    logger.warning("analysis failed", extra={"analysis": analysis.pk, "reason": reason[:200]})
    return _save_and_publish(analysis)


@transaction.atomic
def _save_and_publish(analysis: Analysis) -> Analysis:
    analysis.finished_at = timezone.now()
    analysis.save()
    events.publish(
        "analysis.completed", org=analysis.organization_id, subject=analysis, **completion_summary(analysis)
    )
    return analysis


def provider_test(*, provider: LLMProvider) -> LLMProvider:
    """Send a tiny prompt and record on the provider whether it answered, how fast, and any error."""
    from . import conf, knowledge

    if provider.kind == ProviderKind.BUILTIN:
        ok, latency = True, 0
        message = (
            f"The built-in analyser needs no connection; {len(knowledge.entries())} knowledge entries loaded."
        )
    else:
        call = call_reserve(provider=provider, purpose=CallPurpose.TEST, estimated_tokens=60, enforce=False)
        try:
            completion = providers.complete(
                provider,
                system="You answer health checks with JSON.",
                max_tokens=20,
                json_output=False,
                messages=[
                    {"role": "user", "content": 'Reply with the JSON object {"ok": true} and nothing else.'}
                ],
                timeout=min(provider.timeout_seconds, conf.test_connection_timeout()),
            )
        except ProviderError as exc:
            call_finish(call=call, error=exc)
            ok, latency, message = False, None, str(exc)
        else:
            call_finish(call=call, completion=completion)
            ok, latency = True, completion.latency_ms
            reply = completion.text.strip()[:120]
            message = f"{completion.model} answered in {completion.latency_ms} ms: {reply!r}"
    provider.last_tested_at = timezone.now()
    provider.last_test_ok = ok
    provider.last_test_message = message[:2000]
    provider.last_test_latency_ms = latency
    provider.save(
        update_fields=[
            "last_tested_at",
            "last_test_ok",
            "last_test_message",
            "last_test_latency_ms",
            "updated_at",
        ]
    )
    return provider


def completion_summary(analysis: Analysis) -> dict:
    """The `analysis.completed` payload: enough for notifications and the timeline to act on."""

    return {
        "analysis_id": analysis.pk,
        "version": analysis.version,
        "status": analysis.status,
        "subject_type": analysis.subject_type,
        "alert_id": analysis.alert_id,
        "incident_id": analysis.incident_id,
        "team_id": analysis.team_id,
        "trigger": analysis.trigger,
        "provider_kind": analysis.provider_kind,
        "model": analysis.model_name,
        "confidence": analysis.confidence,
        "root_cause": analysis.root_cause[:500],
        "failure_reason": analysis.failure_reason[:500],
        "suggested_runbook": (analysis.suggested_runbook or {}).get("name"),
        "url": absolute_reverse("analysis:detail", kwargs={"pk": analysis.pk}),
    }
