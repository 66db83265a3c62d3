"""Anthropic Messages API: POST {base_url}/v1/messages.

Headers `x-api-key` and `anthropic-version: 2023-06-01`; the system prompt is the top-level
`system` field (not a message), `max_tokens` is required, and the answer is a list of content
blocks whose `text` blocks are joined. There is no JSON mode to switch on: the system prompt asks
for one JSON object and `schema.extract_json` copes with a stray sentence or code fence.
"""

from __future__ import annotations

from .base import ProviderError

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"


def endpoint(provider) -> str:
    base = (provider.base_url or DEFAULT_BASE_URL).rstrip("/")
    if base.endswith("/v1"):
        base = base[:-3]  # accept both https://api.anthropic.com and .../v1
    return base + "/v1/messages"


def build_request(
    provider, *, system: str, messages: list[dict], max_tokens: int | None = None, json_output: bool = True
) -> tuple[dict, dict]:
    # No JSON switch exists in the Messages API: `json_output` is accepted for a uniform interface.
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "anthropic-version": API_VERSION,
    }
    if provider.api_key:
        headers["x-api-key"] = provider.api_key
    body = {
        "model": provider.model,
        "max_tokens": max_tokens or provider.max_output_tokens,
        "system": system,
        "messages": messages,
        "temperature": min(provider.temperature, 1.0),  # Anthropic accepts 0..1
    }
    return headers, body


def parse_response(data: dict) -> dict:
    """The parts of a Messages API `message` object the analysis needs (text blocks joined)."""
    blocks = data.get("content")
    if not isinstance(blocks, list):
        raise ProviderError("the answer has no content blocks", kind="bad_response")
    usage = data.get("usage") or {}
    return {
        "text": "".join(b.get("text", "") for b in blocks if isinstance(b, dict) and b.get("type") == "text"),
        "prompt_tokens": int(usage.get("input_tokens") or 0),
        "completion_tokens": int(usage.get("output_tokens") or 0),
        "model": data.get("model"),
        "finish_reason": data.get("stop_reason"),
    }
