"""LLM clients, one module per wire protocol, behind one `complete()`.

A protocol module provides `endpoint(provider)`, `build_request(provider, system=, messages=,
max_tokens=, json_output=) -> (headers, body)` and `parse_response(data) -> dict`; sending,
retrying and error handling are shared (`base.post_json`).
"""

from ..choices import ProviderKind
from .base import Completion, ProviderError, parse_json_body, post_json


def protocol_for(kind: str):
    if kind == ProviderKind.OPENAI:
        from . import openai_compat

        return openai_compat
    if kind == ProviderKind.ANTHROPIC:
        from . import anthropic

        return anthropic
    raise ValueError(f"provider kind {kind!r} has no HTTP client (the built-in analyser runs offline)")


def complete(
    provider,
    *,
    system: str,
    messages: list[dict],
    max_tokens: int | None = None,
    json_output: bool = True,
    timeout: float | None = None,
) -> Completion:
    """One chat turn with the provider: the answer text, token counts and latency, or ProviderError."""
    protocol = protocol_for(provider.kind)
    url = protocol.endpoint(provider)
    headers, body = protocol.build_request(
        provider, system=system, messages=messages, max_tokens=max_tokens, json_output=json_output
    )
    response, latency, attempts = post_json(provider, url, headers=headers, body=body, timeout=timeout)
    data = parse_json_body(response, url)
    try:
        parts = protocol.parse_response(data)
    except ProviderError as exc:
        exc.status, exc.attempts = response.status_code, attempts
        raise
    return Completion(
        text=parts["text"],
        prompt_tokens=parts["prompt_tokens"],
        completion_tokens=parts["completion_tokens"],
        latency_ms=latency,
        model=str(parts["model"] or provider.model),
        finish_reason=parts["finish_reason"],
        http_status=response.status_code,
        attempts=attempts,
    )
