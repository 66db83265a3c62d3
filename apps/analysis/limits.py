"""Per-provider rate limit and daily token budget, enforced on the `LLMCall` ledger.

A call is reserved (a STARTED row) under a row lock on the provider, so two workers cannot both
take the last slot of a minute; its tokens and latency are filled in when it ends. The budget check
adds the new prompt's estimate to what the day has spent, so an analysis that would overshoot the
budget is refused before it costs anything.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from .choices import CallStatus
from .models import LLMCall, LLMProvider


class LimitExceeded(Exception):
    """The provider may not be called now; the message says which limit and how it stands."""


def day_start(now: datetime | None = None) -> datetime:
    now = timezone.localtime(now or timezone.now())
    return timezone.make_aware(datetime.combine(now.date(), time.min), now.tzinfo)


def tokens_used_today(provider: LLMProvider) -> int:
    totals = LLMCall.objects.filter(provider=provider, started_at__gte=day_start()).aggregate(
        p=Sum("prompt_tokens"), c=Sum("completion_tokens")
    )
    return (totals["p"] or 0) + (totals["c"] or 0)


def calls_last_minute(provider: LLMProvider) -> int:
    return LLMCall.objects.filter(
        provider=provider, started_at__gte=timezone.now() - timedelta(minutes=1)
    ).count()


@transaction.atomic
def call_reserve(
    *, provider: LLMProvider, purpose: str, estimated_tokens: int, analysis=None, enforce: bool = True
) -> LLMCall:
    """Record a call about to be made, after checking the limits (`enforce=False` for connection tests)."""
    LLMProvider.objects.select_for_update().filter(pk=provider.pk).first()
    if enforce and provider.rate_limit_per_minute:
        recent = calls_last_minute(provider)
        if recent >= provider.rate_limit_per_minute:
            raise LimitExceeded(
                f"rate limit reached: {recent} of {provider.rate_limit_per_minute} calls in the last minute"
            )
    if enforce and provider.daily_token_budget:
        used = tokens_used_today(provider)
        if used + estimated_tokens > provider.daily_token_budget:
            raise LimitExceeded(
                f"daily token budget spent: {used} of {provider.daily_token_budget} tokens "
                f"used today, this call needs about {estimated_tokens}"
            )
    return LLMCall.objects.create(
        organization_id=provider.organization_id,
        provider=provider,
        analysis=analysis,
        purpose=purpose,
        status=CallStatus.STARTED,
        model_name=provider.model,
        started_at=timezone.now(),
    )


def call_finish(*, call: LLMCall, completion=None, error=None) -> LLMCall:
    """Store how a reserved call ended (a Completion, or a ProviderError / message)."""
    if completion is not None:
        call.status = CallStatus.OK
        call.http_status = completion.http_status
        call.prompt_tokens = completion.prompt_tokens
        call.completion_tokens = completion.completion_tokens
        call.latency_ms = completion.latency_ms
        call.attempts = completion.attempts
        call.model_name = completion.model or call.model_name
    else:
        call.status = CallStatus.ERROR
        call.error = str(error)[:2000]
        call.http_status = getattr(error, "status", None)
        call.attempts = getattr(error, "attempts", 1)
    call.save(
        update_fields=[
            "status",
            "http_status",
            "prompt_tokens",
            "completion_tokens",
            "latency_ms",
            "attempts",
            "model_name",
            "error",
            "updated_at",
        ]
    )
    return call
