"""The structured analysis every provider must produce, and the checks its output goes through.

LLMs (local ones especially) wrap JSON in prose or code fences and drift on small details (a step as
a string, confidence as "high"). `parse_output` tolerates exactly those drifts, then validates the
result against `ANALYSIS_SCHEMA` with jsonschema; anything else is an `InvalidOutput` whose message
goes back to the model once, verbatim, so it can correct itself.
"""

from __future__ import annotations

import json
import re

from jsonschema import Draft202012Validator

from .choices import SECTIONS

ANALYSIS_SCHEMA: dict = {
    "type": "object",
    "required": ["root_cause", "impact", "remediation", "prevention", "confidence", "evidence"],
    "properties": {
        "root_cause": {
            "type": "string",
            "minLength": 1,
            "description": "The most likely cause, one paragraph.",
        },
        "impact": {
            "type": "string",
            "minLength": 1,
            "description": "Who or what is affected, and how badly.",
        },
        "remediation": {
            "type": "array",
            "minItems": 1,
            "maxItems": 12,
            "description": "Ordered steps to restore service, most urgent first.",
            "items": {
                "type": "object",
                "required": ["step"],
                "properties": {
                    "step": {"type": "string", "minLength": 1},
                    "command": {
                        "type": ["string", "null"],
                        "description": "A shell or kubectl command, if any.",
                    },
                },
            },
        },
        "suggested_runbook": {
            "type": ["string", "null"],
            "description": "Name of a runbook that fits, if any.",
        },
        "prevention": {"type": "array", "items": {"type": "string", "minLength": 1}, "maxItems": 10},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "evidence": {
            "type": "array",
            "maxItems": 30,
            "description": "Which context items (by id, e.g. E1) support each claim.",
            "items": {
                "type": "object",
                "required": ["section", "refs"],
                "properties": {
                    "section": {"enum": list(SECTIONS)},
                    "claim": {"type": "string"},
                    "refs": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}

_VALIDATOR = Draft202012Validator(ANALYSIS_SCHEMA)
_WORD_CONFIDENCE = {
    "very high": 0.9,
    "high": 0.8,
    "medium": 0.5,
    "moderate": 0.5,
    "low": 0.25,
    "very low": 0.1,
}
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)


class InvalidOutput(ValueError):
    """The provider's answer is not an analysis; the message says why, in words a model can act on."""


def extract_json(text: str) -> dict:
    """The JSON object in `text`: the whole text, a fenced block, or the outermost {...} span."""
    text = (text or "").strip()
    if not text:
        raise InvalidOutput("The answer was empty; reply with one JSON object.")
    candidates = [text]
    candidates += [m.group(1).strip() for m in _FENCE.finditer(text)]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    error = None
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except json.JSONDecodeError as exc:
            error = exc
            continue
        if isinstance(value, dict):
            return value
        error = None
    if error is not None:
        raise InvalidOutput(
            f"The answer is not valid JSON ({error.msg} at line {error.lineno} column {error.colno})."
        )
    raise InvalidOutput("The answer must be one JSON object, not a list or a string.")


def _normalise(data: dict) -> dict:
    """Fix the harmless drifts models make, leaving anything else for the validator to reject."""
    data = dict(data)
    steps = data.get("remediation")
    if isinstance(steps, str):
        steps = [s for s in (line.strip(" -*\t") for line in steps.splitlines()) if s]
    if isinstance(steps, list):
        data["remediation"] = [{"step": s} if isinstance(s, str) else s for s in steps]
    prevention = data.get("prevention")
    if isinstance(prevention, str):
        data["prevention"] = [prevention] if prevention.strip() else []
    confidence = data.get("confidence")
    if isinstance(confidence, str):
        word = confidence.strip().lower().rstrip("%")
        if word in _WORD_CONFIDENCE:
            confidence = _WORD_CONFIDENCE[word]
        else:
            try:
                confidence = float(word)
            except ValueError:
                confidence = data["confidence"]
    if isinstance(confidence, int | float) and not isinstance(confidence, bool) and 1 < confidence <= 100:
        confidence = confidence / 100  # a percentage
    data["confidence"] = confidence
    if data.get("evidence") is None:
        data["evidence"] = []
    for item in data.get("evidence") or []:
        if isinstance(item, dict) and isinstance(item.get("refs"), str):
            item["refs"] = [item["refs"]]
    return data


def validate(data: dict) -> dict:
    """Validate a normalised analysis dict; raise InvalidOutput naming the first problems."""
    errors = sorted(_VALIDATOR.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        described = []
        for err in errors[:5]:
            where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
            described.append(f"{where}: {err.message}")
        raise InvalidOutput("The JSON does not match the schema: " + "; ".join(described))
    return data


def parse_output(text: str, *, known_refs: set[str]) -> dict:
    """Text from a provider → a validated analysis dict whose evidence cites only known context ids."""
    data = validate(_normalise(extract_json(text)))
    return clean(data, known_refs=known_refs)


def clean(data: dict, *, known_refs: set[str]) -> dict:
    """Keep the schema's fields only; drop evidence references to context the prompt never had."""
    evidence = []
    for item in data.get("evidence", []):
        refs = [r for r in item.get("refs", []) if r in known_refs]
        if refs:
            evidence.append(
                {"section": item["section"], "claim": (item.get("claim") or "").strip(), "refs": refs}
            )
    return {
        "root_cause": data["root_cause"].strip(),
        "impact": data["impact"].strip(),
        "remediation": [
            {"step": s["step"].strip(), **({"command": s["command"]} if s.get("command") else {})}
            for s in data["remediation"]
        ],
        "suggested_runbook": (data.get("suggested_runbook") or "").strip() or None,
        "prevention": [p.strip() for p in data.get("prevention", [])],
        "confidence": round(float(data["confidence"]), 2),
        "evidence": evidence,
    }


def schema_json() -> str:
    return json.dumps(ANALYSIS_SCHEMA, indent=1)
