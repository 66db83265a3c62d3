"""OpenAI-compatible chat completions: OpenAI itself, and vLLM, Ollama, LM Studio, LiteLLM, ...

POST {base_url}/chat/completions with `model`, `messages` (system first), `temperature`,
`max_tokens` and, depending on the provider's JSON mode, `response_format` of type `json_object`
or `json_schema`. `max_tokens` (not `max_completion_tokens`) because every compatible server
accepts it. The bearer key is sent only when one is configured (local servers need none).
"""

from __future__ import annotations

from ..choices import JsonMode
from ..schema import ANALYSIS_SCHEMA
from .base import ProviderError

DEFAULT_BASE_URL = "https://api.openai.com/v1"


def endpoint(provider) -> str:
    return (provider.base_url or DEFAULT_BASE_URL).rstrip("/") + "/chat/completions"


def build_request(
    provider, *, system: str, messages: list[dict], max_tokens: int | None = None, json_output: bool = True
) -> tuple[dict, dict]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if provider.api_key:
        headers["Authorization"] = f"Bearer {provider.api_key}"
    body = {
        "model": provider.model,
        "messages": [{"role": "system", "content": system}, *messages],
        "temperature": provider.temperature,
        "max_tokens": max_tokens or provider.max_output_tokens,
    }
    if json_output and provider.json_mode == JsonMode.JSON_OBJECT:
        body["response_format"] = {"type": "json_object"}
    elif json_output and provider.json_mode == JsonMode.JSON_SCHEMA:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "alert_analysis", "schema": ANALYSIS_SCHEMA, "strict": False},
        }
    return headers, body


def parse_response(data: dict) -> dict:
    """The parts of a chat.completion object the analysis needs."""
    try:
        choice = data["choices"][0]
        text = choice["message"].get("content") or ""
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise ProviderError("the answer has no choices[0].message", kind="bad_response") from exc
    usage = data.get("usage") or {}
    return {
        "text": text,
        "prompt_tokens": int(usage.get("prompt_tokens") or 0),
        "completion_tokens": int(usage.get("completion_tokens") or 0),
        "model": data.get("model"),
        "finish_reason": choice.get("finish_reason"),
    }
